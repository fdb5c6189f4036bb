//! The `jwtkit verify …` command line equivalent to what the page verified, for sharing.
//! Secrets never appear in it: an HMAC secret becomes `env:JWT_SECRET` (or `b64:$JWT_SECRET`),
//! a pasted key a file name to save it under.

use super::keys::{KeyInput, Loaded, UrlKind};
use super::verify::{List, VerifyRequest};

/// Quote `s` for a POSIX shell (single quotes; bare when only safe characters).
pub(crate) fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '+' | ',' | '@')
        });
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command as groups: `jwtkit verify TOKEN`, then one `--flag value` per group. Join with
/// `" "` for one line, or with `" \\\n  "` for one flag per line.
pub(crate) fn verify(token: &str, req: &VerifyRequest, loaded: &Loaded, explicit_algs: bool) -> Vec<String> {
    let mut parts = vec![format!("jwtkit verify {}", shell_quote(token))];
    // A flag and its value; an empty value for a switch.
    let mut push = |flag: &str, value: String| {
        if value.is_empty() {
            parts.push(flag.to_string());
        } else {
            parts.push(format!("{flag} {value}"));
        }
    };
    match &req.key {
        KeyInput::Secret { base64: false, .. } => push("--secret", "env:JWT_SECRET".into()),
        KeyInput::Secret { base64: true, value } => {
            let prefix = if value.contains(['-', '_']) {
                "b64url"
            } else {
                "b64"
            };
            push("--secret", format!("\"{prefix}:$JWT_SECRET\""));
        }
        KeyInput::Key { .. } => {
            let file = match loaded.form {
                "jwk" => "key.jwk",
                "jwks" => "jwks.json",
                "der" => "key.der",
                _ => "key.pem",
            };
            push("--key", file.into());
        }
        KeyInput::Url { value, kind } => {
            let flag = match kind {
                UrlKind::Jwks => "--jwks",
                UrlKind::Issuer => "--issuer",
            };
            push(flag, shell_quote(value.trim()));
        }
    }
    if explicit_algs {
        for a in req.algorithms.as_ref().map(List::items).unwrap_or_default() {
            push("--alg", shell_quote(&a));
        }
    }
    let one = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(shell_quote)
    };
    if let Some(iss) = one(&req.issuer) {
        push("--iss", iss);
    }
    let auds = req.audience.as_ref().map(List::items).unwrap_or_default();
    if auds.is_empty() {
        // The page does not check `aud` without an expected audience; the CLI must be told.
        push("--ignore-aud", String::new());
    }
    for a in auds {
        push("--aud", shell_quote(&a));
    }
    if let Some(sub) = one(&req.subject) {
        push("--sub", sub);
    }
    if let Some(typ) = one(&req.typ) {
        push("--typ", typ);
    }
    if let (Some(aud), Some(nonce)) = (one(&req.kb_audience), one(&req.kb_nonce)) {
        push("--kb-aud", aud);
        push("--kb-nonce", nonce);
    }
    if let Some(leeway) = one(&req.leeway) {
        push("--leeway", leeway);
    }
    if let Some(now) = one(&req.now) {
        push("--now", now);
    }
    if req.strict {
        push("--strict", String::new());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("eyJ.abc-_"), "eyJ.abc-_");
        assert_eq!(shell_quote("https://a.example/x"), "https://a.example/x");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(rm -rf)"), "'$(rm -rf)'");
        assert_eq!(shell_quote(""), "''");
    }
}
