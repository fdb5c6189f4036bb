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
    /// Every repair made to the input, in input order: what kind, at which byte offset of the
    /// input, how many bytes were removed (never the bytes themselves). Empty when the input
    /// was exactly the token; a strict verifier refuses any other input
    /// ([`Extracted::require_exact`]).
    pub repairs: Vec<Repair>,
}

/// What a repair removed (see [`Repair`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepairKind {
    /// Whitespace or line breaks before or after the token.
    SurroundingWhitespace,
    /// Whitespace or line breaks inside the token (a wrapped terminal or e-mail line).
    InnerWhitespace,
    /// An `Authorization:` header name and/or a `Bearer ` prefix (RFC 6750 §2.1).
    Prefix,
    /// A quote character around the token (`"`, `'` or a backtick).
    Quote,
    /// Other text around the token (a curl line, a log line, a cookie or query string) or a
    /// stray character that split it.
    SurroundingText,
    /// The rest of an OAuth 2.0 token response the token was taken from (RFC 6749 §5.1).
    TokenResponse,
}

impl RepairKind {
    /// Stable snake_case name, as in JSON output (`"inner_whitespace"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            RepairKind::SurroundingWhitespace => "surrounding_whitespace",
            RepairKind::InnerWhitespace => "inner_whitespace",
            RepairKind::Prefix => "prefix",
            RepairKind::Quote => "quote",
            RepairKind::SurroundingText => "surrounding_text",
            RepairKind::TokenResponse => "token_response",
        }
    }

    /// What was removed, for a sentence ("removing a \"Bearer \" prefix").
    pub const fn describe(self) -> &'static str {
        match self {
            RepairKind::SurroundingWhitespace => "whitespace around the token",
            RepairKind::InnerWhitespace => "whitespace inside the token",
            RepairKind::Prefix => "an Authorization/Bearer prefix",
            RepairKind::Quote => "quotes",
            RepairKind::SurroundingText => "text around the token",
            RepairKind::TokenResponse => "the rest of a token response",
        }
    }
}

/// One repair of the pasted input: `bytes` bytes removed at byte `offset` of the input (both
/// in bytes of the UTF-8 input, offset 0-based). Never carries the removed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repair {
    /// What was removed.
    pub kind: RepairKind,
    /// Byte offset in the input of the first removed byte.
    pub offset: usize,
    /// Number of bytes removed.
    pub bytes: usize,
}

impl Repair {
    /// `{"kind": "prefix", "offset": 0, "bytes": 7}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"kind": self.kind.as_str(), "offset": self.offset, "bytes": self.bytes})
    }
}

impl Extracted {
    /// The input as it was given, when it is exactly a token: for strict verification
    /// (`verify --strict`), where any repair is an error.
    ///
    /// # Errors
    /// `malformed` (check `segments`) naming the byte offset and kind of the first repair, and
    /// how many repairs there were.
    pub fn require_exact(&self) -> crate::Result<&str> {
        let Some(first) = self.repairs.first() else {
            return Ok(&self.token);
        };
        let more = match self.repairs.len() {
            1 => String::new(),
            n => format!(" ({} more repair{})", n - 1, plural(n - 1)),
        };
        Err(crate::error::err!(
            Malformed,
            "the input is not exactly a token: byte {} starts {} ({} byte{} a lenient reader would remove){more}; a strict verifier takes the token byte for byte",
            first.offset,
            first.kind.describe(),
            first.bytes,
            plural(first.bytes)
        )
        .at(crate::Check::Segments))
    }

    /// "removing a \"Bearer \" prefix and whitespace inside the token": the kinds of repair
    /// made, in order, each once; None when the input was exactly a token.
    pub fn repair_summary(&self) -> Option<String> {
        let mut kinds: Vec<RepairKind> = Vec::new();
        for r in &self.repairs {
            if !kinds.contains(&r.kind) {
                kinds.push(r.kind);
            }
        }
        let words: Vec<&str> = kinds.iter().map(|k| k.describe()).collect();
        match words.as_slice() {
            [] => None,
            [one] => Some((*one).to_string()),
            [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
        }
    }
}

/// The whitespace runs of `input[start..end]` as [`RepairKind::InnerWhitespace`] repairs.
fn inner_whitespace(input: &str, start: usize, end: usize, out: &mut Vec<Repair>) {
    let mut run: Option<usize> = None;
    for (i, c) in input.get(start..end).unwrap_or_default().char_indices() {
        match (c.is_whitespace(), run) {
            (true, None) => run = Some(start + i),
            (false, Some(from)) => {
                out.push(Repair {
                    kind: RepairKind::InnerWhitespace,
                    offset: from,
                    bytes: start + i - from,
                });
                run = None;
            }
            _ => {}
        }
    }
    if let Some(from) = run {
        out.push(Repair {
            kind: RepairKind::InnerWhitespace,
            offset: from,
            bytes: end - from,
        });
    }
}

/// Byte offset of `part` (a subslice of `whole`) in `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// Repairs for keeping only `kept` (a subslice of `within`, itself a subslice of `input`):
/// what was before and after it, as `kind`.
fn around(input: &str, within: &str, kept: &str, kind: RepairKind, out: &mut Vec<Repair>) {
    let (w, k) = (offset_in(input, within), offset_in(input, kept));
    if k > w {
        out.push(Repair {
            kind,
            offset: w,
            bytes: k - w,
        });
    }
    let (w_end, k_end) = (w + within.len(), k + kept.len());
    if w_end > k_end {
        out.push(Repair {
            kind,
            offset: k_end,
            bytes: w_end - k_end,
        });
    }
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

impl Extracted {
    /// Extract the token from pasted text.
    ///
    /// ```
    /// let e = jwtkit::diagnose::Extracted::from_paste("  Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\n");
    /// assert_eq!(e.token, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
    /// assert_eq!(e.notes, ["stripped the \"Authorization: Bearer \" prefix"]);
    /// // Each repair says where and how many bytes, never which bytes.
    /// use jwtkit::diagnose::{Repair, RepairKind};
    /// assert_eq!(e.repairs, [
    ///     Repair { kind: RepairKind::SurroundingWhitespace, offset: 0, bytes: 2 },
    ///     Repair { kind: RepairKind::Prefix, offset: 2, bytes: 22 },
    ///     Repair { kind: RepairKind::SurroundingWhitespace, offset: 52, bytes: 1 },
    /// ]);
    /// assert_eq!(e.require_exact().unwrap_err().kind(), jwtkit::ErrorKind::Malformed);
    /// ```
    pub fn from_paste(input: &str) -> Extracted {
        let mut e = extract_noting(input);
        e.repairs.sort_by_key(|r| r.offset);
        e
    }
}

fn extract_noting(input: &str) -> Extracted {
    let mut notes = Vec::new();
    let mut repairs = Vec::new();
    let mut s = input.trim();
    // Surrounding whitespace: recorded now, sorted into input order by `extract`.
    around(input, input, s, RepairKind::SurroundingWhitespace, &mut repairs);
    if s.starts_with('{') {
        if let Some(mut found) = from_token_response(s) {
            let kept = s
                .find(found.token.as_str())
                .and_then(|i| s.get(i..i + found.token.len()));
            if let Some(kept) = kept {
                around(input, s, kept, RepairKind::TokenResponse, &mut repairs);
            }
            repairs.append(&mut found.repairs);
            found.repairs = repairs;
            return found;
        }
        return Extracted {
            token: s.to_string(),
            notes,
            repairs,
        };
    }
    let before_prefix = s;
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
    if s.len() < before_prefix.len() {
        repairs.push(Repair {
            kind: RepairKind::Prefix,
            offset: offset_in(input, before_prefix),
            bytes: before_prefix.len() - s.len(),
        });
    }
    for q in ['"', '\'', '`'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            let quoted = s;
            s = s.get(1..s.len() - 1).unwrap_or("").trim();
            let inner = quoted.get(1..quoted.len() - 1).unwrap_or("");
            around(input, quoted, inner, RepairKind::Quote, &mut repairs);
            around(input, inner, s, RepairKind::SurroundingWhitespace, &mut repairs);
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
            let at = offset_in(input, s);
            inner_whitespace(input, at, at + s.len(), &mut repairs);
            return Extracted {
                token: joined,
                notes,
                repairs,
            };
        }
        if whole {
            return Extracted {
                token: s.to_string(),
                notes,
                repairs,
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
            around(input, s, run, RepairKind::SurroundingText, &mut repairs);
            Extracted {
                token: run.to_string(),
                notes,
                repairs,
            }
        }
        None => Extracted {
            token: s.to_string(),
            notes,
            repairs,
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
        repairs: Vec::new(),
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whitespace runs of `input` as repairs: at either end [`RepairKind::SurroundingWhitespace`],
    /// inside [`RepairKind::InnerWhitespace`]. For callers that join a token's lines themselves.
    fn whitespace_repairs(input: &str) -> Vec<Repair> {
        let start = input.len() - input.trim_start().len();
        let end = input.trim_end().len().max(start);
        let mut out = Vec::new();
        if start > 0 {
            out.push(Repair {
                kind: RepairKind::SurroundingWhitespace,
                offset: 0,
                bytes: start,
            });
        }
        inner_whitespace(input, start, end, &mut out);
        if end < input.len() {
            out.push(Repair {
                kind: RepairKind::SurroundingWhitespace,
                offset: end,
                bytes: input.len() - end,
            });
        }
        out
    }

    const T: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";

    #[test]
    fn pasted_forms() {
        assert_eq!(Extracted::from_paste(T).notes, Vec::<String>::new());
        assert_eq!(Extracted::from_paste(&format!("  {T}\n")).token, T);
        assert_eq!(Extracted::from_paste(&format!("Bearer {T}")).token, T);
        assert_eq!(
            Extracted::from_paste(&format!("bearer {T}")).notes,
            ["stripped the \"Bearer \" prefix"]
        );
        assert_eq!(Extracted::from_paste(&format!("\"{T}\"")).token, T);
        let curl = format!("curl -H 'Authorization: Bearer {T}' https://api.example.com/orders");
        let e = Extracted::from_paste(&curl);
        assert_eq!(e.token, T);
        assert!(e.notes[0].starts_with("found the token inside"), "{:?}", e.notes);
        let wrapped = format!("{}\n{}", &T[..20], &T[20..]);
        let e = Extracted::from_paste(&wrapped);
        assert_eq!(e.token, T);
        assert_eq!(
            e.notes,
            ["removed 1 whitespace character or line break inside the token"]
        );
        let prose = format!("the token is {T} thanks");
        assert_eq!(Extracted::from_paste(&prose).token, T);
        let cookie = format!("Cookie: theme=dark; access_token={T}; lang=en");
        assert_eq!(Extracted::from_paste(&cookie).token, T);
    }

    fn kinds(e: &Extracted) -> Vec<(&'static str, usize, usize)> {
        e.repairs
            .iter()
            .map(|r| (r.kind.as_str(), r.offset, r.bytes))
            .collect()
    }

    #[test]
    fn repairs_name_kind_offset_and_length() {
        let exact = Extracted::from_paste(T);
        assert!(exact.repairs.is_empty());
        assert_eq!(exact.require_exact().unwrap(), T);
        assert_eq!(exact.repair_summary(), None);
        let e = Extracted::from_paste(&format!("Bearer {T}"));
        assert_eq!(kinds(&e), [("prefix", 0, 7)]);
        let err = e.require_exact().unwrap_err();
        assert_eq!(
            (err.kind(), err.check()),
            (crate::ErrorKind::Malformed, crate::Check::Segments)
        );
        assert!(
            err.message()
                .contains("byte 0 starts an Authorization/Bearer prefix (7 bytes"),
            "{}",
            err.message()
        );
        assert!(!err.message().contains(T), "never the token");
        let wrapped = format!("{}\r\n{}\n", &T[..20], &T[20..]);
        let e = Extracted::from_paste(&wrapped);
        assert_eq!(e.token, T);
        assert_eq!(
            kinds(&e),
            [
                ("inner_whitespace", 20, 2),
                ("surrounding_whitespace", T.len() + 2, 1)
            ]
        );
        assert_eq!(
            e.repair_summary().unwrap(),
            "whitespace inside the token and whitespace around the token"
        );
        let e = Extracted::from_paste(&format!("'{T}'"));
        assert_eq!(kinds(&e), [("quote", 0, 1), ("quote", T.len() + 1, 1)]);
        let curl = format!("curl -H 'Authorization: Bearer {T}' https://x");
        let e = Extracted::from_paste(&curl);
        let at = curl.find(T).unwrap();
        assert_eq!(
            kinds(&e),
            [
                ("surrounding_text", 0, at),
                ("surrounding_text", at + T.len(), curl.len() - at - T.len())
            ]
        );
        let response = format!("{{\"access_token\":\"{T}\"}}");
        let e = Extracted::from_paste(&response);
        assert_eq!(
            kinds(&e),
            [("token_response", 0, 17), ("token_response", 17 + T.len(), 2)]
        );
        // A stray character inside the token: the longest token-shaped run is kept, the rest
        // reported (and `require_exact` names where the input stops being the token).
        let stray = format!("{}\u{200b}", T);
        assert_eq!(
            kinds(&Extracted::from_paste(&stray)),
            [("surrounding_text", T.len(), 3)]
        );
        assert_eq!(
            kinds(&Extracted {
                token: String::new(),
                notes: vec![],
                repairs: whitespace_repairs(" a b ")
            }),
            [
                ("surrounding_whitespace", 0, 1),
                ("inner_whitespace", 2, 1),
                ("surrounding_whitespace", 4, 1)
            ]
        );
    }

    #[test]
    fn sd_jwts_are_kept_whole_with_their_disclosures() {
        let sd = format!("{T}~WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkpvaG4iXQ~");
        assert_eq!(
            Extracted::from_paste(&sd),
            Extracted {
                token: sd.clone(),
                notes: vec![],
                repairs: vec![]
            }
        );
        let kb = format!("{sd}{T}");
        assert_eq!(Extracted::from_paste(&format!("Bearer {kb}")).token, kb);
        let wrapped = format!("{}\n{}", &sd[..50], &sd[50..]);
        let e = Extracted::from_paste(&wrapped);
        assert_eq!(e.token, sd);
        assert_eq!(
            e.notes,
            ["removed 1 whitespace character or line break inside the token"]
        );
        assert_eq!(
            e.require_exact().map(|_| ()).map_err(|e| e.kind()),
            Err(crate::ErrorKind::Malformed)
        );
        let curl = format!("curl -H 'Authorization: Bearer {kb}' https://verifier.example/present");
        assert_eq!(Extracted::from_paste(&curl).token, kb);
        // A plain token next to a '~' in prose is still found alone.
        assert_eq!(Extracted::from_paste(&format!("see ~/notes: {T}")).token, T);
    }

    #[test]
    fn keeps_invalid_characters_for_strict_errors() {
        assert_eq!(
            Extracted::from_paste("eyJhbGc=.e30=.sig=").token,
            "eyJhbGc=.e30=.sig="
        );
        assert_eq!(
            Extracted::from_paste("{\"payload\":\"x\"}").token,
            "{\"payload\":\"x\"}"
        );
        let response = format!("{{\"access_token\":\"{T}\",\"token_type\":\"Bearer\",\"expires_in\":3600}}");
        let e = Extracted::from_paste(&response);
        assert_eq!(e.token, T);
        assert_eq!(e.notes, ["took access_token from the pasted token response"]);
    }
}
