//! `jwtkit decode`: show everything in a token, verify nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::Limits;
use jwtkit::dangerous::{Form, Payload, Unverified};
use serde_json::{Value, json};

use crate::cli::DecodeArgs;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// The reminder printed by every decode.
pub const NOT_VERIFIED: &str =
    "signature NOT verified: decode shows what the token claims, not that it is valid (use jwtkit verify)";

/// The reminder for an encrypted token (nothing was decrypted or verified).
pub const NOT_DECRYPTED: &str = "NOT decrypted or verified: decode shows only the JWE Protected Header (use jwtkit decrypt, or jwtkit verify for a nested JWT)";

pub fn run(args: &DecodeArgs, st: Style) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let extracted = input::token(args.token.token.as_deref())?;
    if jwtkit::sd_jwt::SdJwt::looks_like(&extracted.token) {
        return super::sd::decode(args, st, &extracted, now);
    }
    let u = Unverified::decode(&extracted.token, &Limits::default());
    let findings = u
        .header
        .as_ref()
        .map(|h| jwtkit::diagnose::Finding::for_token(h, u.claims(), now))
        .unwrap_or_default();
    let code = if u.errors.is_empty() {
        exit::OK
    } else {
        exit::INVALID
    };
    let form = match u.form {
        Form::JwsCompact => "JWS compact",
        Form::JweCompact => "JWE compact",
        Form::Json => "JSON serialization",
        Form::Unknown => "unknown",
    };
    let mut notes = extracted.notes.clone();
    notes.extend(u.notes.iter().cloned());
    let reminder = if matches!(u.payload, Payload::Encrypted) {
        NOT_DECRYPTED
    } else {
        NOT_VERIFIED
    };
    let kind = jwtkit::jwt::Classification::of_unverified(&u);
    if args.json {
        let payload = match &u.payload {
            Payload::Claims(_) => Value::Null,
            Payload::Bytes(b) => {
                json!({"utf8": String::from_utf8(b.clone()).ok(), "b64u": URL_SAFE_NO_PAD.encode(b)})
            }
            Payload::Encrypted => json!("encrypted"),
            Payload::Missing => Value::Null,
        };
        output::print_json(&json!({
            "verified": false,
            "form": form,
            "token_type": kind.as_ref().map(output::token_type_json),
            "header": u.header,
            "claims": u.claims(),
            "payload": payload,
            "signature_b64u": u.signature.as_ref().map(|s| URL_SAFE_NO_PAD.encode(s)),
            "error": u.errors.first().map(|e| e.to_json()),
            "errors": u.errors.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
            "findings": findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
            "warnings": notes,
            "note": reminder,
        }));
        return Ok(code);
    }
    output::notes(&notes, st);
    outln!("{} {}", st.bold(form), st.yellow(&format!("— {reminder}")));
    if let Some(k) = &kind {
        outln!("{}  {}", st.bold("Type"), output::token_type_line(k, st));
    }
    if let Some(h) = &u.header {
        output::section("Header", &[output::json(&Value::Object(h.clone()), st)], st);
    }
    match &u.payload {
        Payload::Claims(c) => {
            output::section("Payload", &[output::json(&Value::Object(c.clone()), st)], st);
            output::section("Times", &output::times(c, now, args.time, st), st);
        }
        Payload::Bytes(b) => {
            let shown = match std::str::from_utf8(b) {
                Ok(s) => output::json_string(s),
                Err(_) => format!(
                    "{} bytes (not UTF-8), base64url {}",
                    b.len(),
                    URL_SAFE_NO_PAD.encode(b)
                ),
            };
            output::section("Payload (not a JSON object)", &[shown], st);
        }
        Payload::Encrypted => output::section(
            "Payload",
            &["encrypted (JWE): decrypt it with the recipient's key to see the content".to_string()],
            st,
        ),
        Payload::Missing => {}
    }
    if let Some(sig) = &u.signature {
        let alg = output::safe(u.alg().unwrap_or("?"));
        output::section("Signature", &[format!("{} bytes ({alg})", sig.len())], st);
    }
    output::section("Findings", &output::findings(&findings, st), st);
    let problems: Vec<String> = u.errors.iter().map(|e| st.red(&e.to_string())).collect();
    output::section("Problems (a verifier rejects this token)", &problems, st);
    Ok(code)
}
