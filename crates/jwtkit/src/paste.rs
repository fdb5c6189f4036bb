//! Finding a token in pasted text: `Authorization: Bearer …`, a `curl -H` line, quotes, line
//! breaks from a terminal or an e-mail. Used by the CLI and the debugger, never by the gateway
//! (which parses strictly).
//!
//! An SD-JWT (RFC 9901 §4, `<JWT>~<Disclosure>~…~[<KB-JWT>]`) is kept whole, `~` segments
//! included.
//!
//! Every change made to the input is reported as a note, so the user knows what was stripped.
//! Characters that make a token invalid (`=`, `+`, `/`) are kept, so strict parsing still
//! reports them.

/// The token found, and what was done to find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The token text (compact serialization, or a JSON serialization as given).
    pub token: String,
    /// Human notes on what was stripped (empty when the input was used as is).
    pub notes: Vec<String>,
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/' | '~')
}

/// A compact JWS or JWE (2 or 4 dots), or an SD-JWT (a compact JWS followed by `~`).
fn token_shaped(run: &str) -> bool {
    let dots = run.matches('.').count();
    if run.contains('~') {
        crate::sd_jwt::SdJwt::looks_like(run)
    } else {
        dots == 2 || dots == 4
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..).unwrap_or(""))
}

/// Extract the token from pasted text.
///
/// ```
/// let e = jwtkit::paste::extract("  Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\n");
/// assert_eq!(e.token, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
/// assert_eq!(e.notes, ["stripped the \"Authorization: Bearer \" prefix"]);
/// ```
pub fn extract(input: &str) -> Extracted {
    let mut notes = Vec::new();
    let mut s = input.trim();
    if s.starts_with('{') {
        if let Some(found) = from_token_response(s) {
            return found;
        }
        return Extracted {
            token: s.to_string(),
            notes,
        };
    }
    if let Some(rest) = strip_prefix_ci(s, "authorization:") {
        let rest = rest.trim_start();
        if let Some(r) = strip_prefix_ci(rest, "bearer ") {
            s = r.trim_start();
            notes.push("stripped the \"Authorization: Bearer \" prefix".to_string());
        } else {
            s = rest;
            notes.push("stripped the \"Authorization:\" header name".to_string());
        }
    } else if let Some(r) = strip_prefix_ci(s, "bearer ") {
        s = r.trim_start();
        notes.push("stripped the \"Bearer \" prefix".to_string());
    }
    for q in ['"', '\'', '`'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            s = s.get(1..s.len() - 1).unwrap_or("").trim();
            notes.push(format!("stripped surrounding {q} quotes"));
            break;
        }
    }
    if s.chars().all(|c| is_token_char(c) || c.is_whitespace()) {
        let removed = s.chars().filter(|c| c.is_whitespace()).count();
        let joined: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let whole = !s.contains(char::is_whitespace) || (joined.starts_with("eyJ") && token_shaped(&joined));
        if removed > 0 && whole {
            notes.push(format!(
                "removed {removed} whitespace character{} or line break{} inside the token",
                plural(removed),
                plural(removed)
            ));
            return Extracted { token: joined, notes };
        }
        if whole {
            return Extracted {
                token: s.to_string(),
                notes,
            };
        }
    }
    // Free text (a curl line, a log line, a cookie header): find the token-shaped runs.
    let mut best: Option<&str> = None;
    for run in s.split(|c: char| !is_token_char(c)) {
        // `access_token=eyJ…` (cookie, query string): the token starts after the '='.
        let run = match run.find("=eyJ") {
            Some(i) if !run.starts_with("eyJ") => run.get(i + 1..).unwrap_or(run),
            _ => run,
        };
        if !token_shaped(run) {
            continue;
        }
        let looks_jose = run.starts_with("eyJ");
        let better = match best {
            None => true,
            Some(b) => looks_jose && !b.starts_with("eyJ"),
        };
        if better {
            best = Some(run);
        }
    }
    match best {
        Some(run) => {
            notes.push(format!(
                "found the token inside the pasted text ({} other characters ignored)",
                s.chars().count().saturating_sub(run.chars().count())
            ));
            Extracted {
                token: run.to_string(),
                notes,
            }
        }
        None => Extracted {
            token: s.to_string(),
            notes,
        },
    }
}

/// An OAuth 2.0 token response (RFC 6749 §5.1) or OpenID Connect one: `{"access_token": …,
/// "id_token": …}`. Takes `access_token` when it is a JWT, else `id_token`. Not a JOSE JSON
/// serialization (those have `payload`, `protected` or `ciphertext`).
fn from_token_response(s: &str) -> Option<Extracted> {
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(s).ok()?;
    if ["payload", "protected", "ciphertext", "signatures", "recipients"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        return None;
    }
    fn is_jwt(v: &serde_json::Value) -> Option<&str> {
        v.as_str().filter(|t| t.starts_with("eyJ") && t.contains('.'))
    }
    let (name, token) = ["access_token", "id_token"]
        .iter()
        .find_map(|n| obj.get(*n).and_then(is_jwt).map(|t| (*n, t)))?;
    let mut notes = vec![format!("took {name} from the pasted token response")];
    if name == "access_token" && obj.get("id_token").and_then(is_jwt).is_some() {
        notes.push("the response also has an id_token (paste it alone to inspect it)".into());
    }
    Some(Extracted {
        token: token.to_string(),
        notes,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";

    #[test]
    fn pasted_forms() {
        assert_eq!(extract(T).notes, Vec::<String>::new());
        assert_eq!(extract(&format!("  {T}\n")).token, T);
        assert_eq!(extract(&format!("Bearer {T}")).token, T);
        assert_eq!(
            extract(&format!("bearer {T}")).notes,
            ["stripped the \"Bearer \" prefix"]
        );
        assert_eq!(extract(&format!("\"{T}\"")).token, T);
        let curl = format!("curl -H 'Authorization: Bearer {T}' https://api.example.com/orders");
        let e = extract(&curl);
        assert_eq!(e.token, T);
        assert!(e.notes[0].starts_with("found the token inside"), "{:?}", e.notes);
        let wrapped = format!("{}\n{}", &T[..20], &T[20..]);
        let e = extract(&wrapped);
        assert_eq!(e.token, T);
        assert_eq!(
            e.notes,
            ["removed 1 whitespace character or line break inside the token"]
        );
        let prose = format!("the token is {T} thanks");
        assert_eq!(extract(&prose).token, T);
        let cookie = format!("Cookie: theme=dark; access_token={T}; lang=en");
        assert_eq!(extract(&cookie).token, T);
    }

    #[test]
    fn sd_jwts_are_kept_whole_with_their_disclosures() {
        let sd = format!("{T}~WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkpvaG4iXQ~");
        assert_eq!(
            extract(&sd),
            Extracted {
                token: sd.clone(),
                notes: vec![]
            }
        );
        let kb = format!("{sd}{T}");
        assert_eq!(extract(&format!("Bearer {kb}")).token, kb);
        let wrapped = format!("{}\n{}", &sd[..50], &sd[50..]);
        let e = extract(&wrapped);
        assert_eq!(e.token, sd);
        assert_eq!(
            e.notes,
            ["removed 1 whitespace character or line break inside the token"]
        );
        let curl = format!("curl -H 'Authorization: Bearer {kb}' https://verifier.example/present");
        assert_eq!(extract(&curl).token, kb);
        // A plain token next to a '~' in prose is still found alone.
        assert_eq!(extract(&format!("see ~/notes: {T}")).token, T);
    }

    #[test]
    fn keeps_invalid_characters_for_strict_errors() {
        assert_eq!(extract("eyJhbGc=.e30=.sig=").token, "eyJhbGc=.e30=.sig=");
        assert_eq!(extract("{\"payload\":\"x\"}").token, "{\"payload\":\"x\"}");
        let response = format!("{{\"access_token\":\"{T}\",\"token_type\":\"Bearer\",\"expires_in\":3600}}");
        let e = extract(&response);
        assert_eq!(e.token, T);
        assert_eq!(e.notes, ["took access_token from the pasted token response"]);
    }
}
