//! The `crit` (Critical) Header Parameter, parsed and checked in one place for JWS (RFC 7515
//! §4.1.11) and JWE (RFC 7516 §4.1.13, which refers to the JWS rules).
//!
//! `crit` is a non-empty array of distinct, non-empty extension names, none of them a parameter
//! the specifications themselves define (each header type passes its registered names). A
//! recipient must understand every listed extension, and every listed name must occur in the
//! header.

use serde_json::Value;

use crate::error::{Result, err};

/// Parse a header's `crit` value (None when absent) into its names.
///
/// # Errors
/// `malformed` when `crit` is not a non-empty array of strings, or repeats a name, has an
/// empty one, or names a parameter in `registered`.
pub(crate) fn parse(value: Option<&Value>, registered: &[&str]) -> Result<Vec<String>> {
    let a = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(_) => return Err(err!(Malformed, "\"crit\" must be a non-empty array of strings")),
    };
    let mut names: Vec<String> = Vec::with_capacity(a.len());
    for v in a {
        let Value::String(s) = v else {
            return Err(err!(Malformed, "\"crit\" must be an array of strings"));
        };
        if s.is_empty() || names.contains(s) {
            return Err(err!(Malformed, "\"crit\" has an empty or repeated name"));
        }
        if registered.contains(&s.as_str()) {
            return Err(err!(
                Malformed,
                "\"crit\" names the registered parameter {} (RFC 7515 §4.1.11 forbids it)",
                crate::text::quote(s)
            ));
        }
        names.push(s.clone());
    }
    Ok(names)
}

/// Check parsed `crit` names against what the recipient understands and what the header holds.
///
/// # Errors
/// `unsupported_crit` naming the first extension `understood` rejects; `malformed` when a
/// name is not `present` in the header.
pub(crate) fn check(
    names: &[String],
    understood: impl Fn(&str) -> bool,
    present: impl Fn(&str) -> bool,
) -> Result<()> {
    for name in names {
        if !understood(name) {
            return Err(err!(
                UnsupportedCrit,
                "the token marks extension {} as critical, and it is not understood here",
                crate::text::quote(name)
            ));
        }
        if !present(name) {
            return Err(err!(
                Malformed,
                "\"crit\" lists {}, which is not in the header",
                crate::text::quote(name)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn parsed(v: Value) -> Result<Vec<String>> {
        parse(Some(&v), &["alg", "enc"])
    }

    #[test]
    fn shapes_names_and_registered_parameters() {
        assert_eq!(parse(None, &["alg"]).unwrap(), Vec::<String>::new());
        assert_eq!(parsed(serde_json::json!(["exp", "b64"])).unwrap(), ["exp", "b64"]);
        for bad in [
            serde_json::json!([]),
            serde_json::json!("exp"),
            serde_json::json!([1]),
            serde_json::json!([""]),
            serde_json::json!(["x", "x"]),
        ] {
            assert_eq!(parsed(bad).unwrap_err().kind(), ErrorKind::Malformed);
        }
        let e = parsed(serde_json::json!(["enc"])).unwrap_err();
        assert!(
            e.message().contains("registered parameter \"enc\""),
            "{}",
            e.message()
        );
    }

    #[test]
    fn understood_and_present() {
        let names = vec!["exp".to_string()];
        let e = check(&names, |_| false, |_| true).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedCrit);
        let e = check(&names, |n| n == "exp", |_| false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed);
        check(&names, |n| n == "exp", |n| n == "exp").unwrap();
    }
}
