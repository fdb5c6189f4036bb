//! Output of `jwtkit oauth`: token responses with the tokens decoded (the access token
//! unverified, the ID Token verified), metadata, introspection, userinfo, errors.

use jwtkit::dangerous::{Payload, Unverified};
use jwtkit::jwt::NumericDate;
use jwtkit::{Limits, Verified};
use jwtkit_oauth::{Client, Error, Introspection, Metadata, TokenResponse, UserInfo};
use serde_json::{Value, json};

use super::TokenOutput;
use crate::cli::TimeFormat;
use crate::exit;
use crate::output::{self, Style};

/// A token decoded without verification, as JSON: `{"jwt": true, header, claims}` or
/// `{"jwt": false, "length": N}` for an opaque token.
fn decoded_json(token: &str) -> Value {
    let u = Unverified::decode(token, &Limits::default());
    match (&u.header, &u.payload, u.errors.is_empty()) {
        (Some(h), Payload::Claims(c), true) => {
            json!({"jwt": true, "verified": false, "header": h, "claims": c})
        }
        _ => json!({"jwt": false, "length": token.len()}),
    }
}

/// Human sections for a decoded token; `title` names it.
fn decoded_human(title: &str, token: &str, status: &str, now: i64, st: Style) {
    let u = Unverified::decode(token, &Limits::default());
    match (&u.header, &u.payload, u.errors.is_empty()) {
        (Some(h), Payload::Claims(c), true) => {
            outln!("\n{} {}", st.bold(title), status);
            output::section("  Header", &[output::json(&Value::Object(h.clone()), st)], st);
            output::section("  Claims", &[output::json(&Value::Object(c.clone()), st)], st);
            output::section("  Times", &output::times(c, now, TimeFormat::Utc, st), st);
        }
        _ => outln!(
            "\n{} opaque ({} characters, not a JWT: ask the introspection endpoint)",
            st.bold(title),
            token.len()
        ),
    }
}

/// Show a token response; returns the exit code (1 when the ID Token does not verify).
pub fn tokens(
    client: &Client,
    t: &TokenResponse,
    id: Option<&Result<Verified, Error>>,
    out: &TokenOutput,
    grant: &str,
    json: bool,
    st: Style,
) -> u8 {
    let code = match id {
        Some(Err(_)) => exit::INVALID,
        _ => exit::OK,
    };
    if out.raw {
        outln!("{}", t.access_token.expose());
        if let Some(Err(e)) = id {
            errln!("warning: {e}");
        }
        return code;
    }
    let id_json = |tok: &str| {
        let mut v = decoded_json(tok);
        match id {
            Some(Ok(verified)) => {
                v["verified"] = true.into();
                v["alg"] = verified.alg.as_str().into();
            }
            Some(Err(e)) => v["error"] = e.to_json(),
            None => v["note"] = "not verified (--no-verify-id-token)".into(),
        }
        v
    };
    if json {
        output::print_json(&json!({
            "ok": code == exit::OK,
            "issuer": client.metadata().issuer,
            "grant": grant,
            "token_endpoint": client.metadata().token_endpoint,
            "response": t.to_json(false),
            "access_token": decoded_json(t.access_token.expose()),
            "id_token": t.id_token.as_deref().map(id_json),
            "saved_to": out.out,
        }));
        return code;
    }
    let now = NumericDate::now();
    let mut head = format!(
        "{} from {}",
        st.green(&format!("{} token", t.token_type)),
        client.metadata().issuer
    );
    if let Some(e) = t.expires_in {
        head.push_str(&format!(", expires in {e} s"));
    }
    outln!("{head} ({grant})");
    if let Some(s) = &t.scope {
        outln!("scope: {s}");
    }
    if let Some(it) = &t.issued_token_type {
        outln!("issued_token_type: {it}");
    }
    match (&t.refresh_token, &out.out) {
        (Some(_), Some(p)) => outln!("refresh token: received, saved with the response to {p} (mode 0600)"),
        (Some(_), None) => {
            outln!("refresh token: received, not shown (--out FILE saves the response, mode 0600)")
        }
        (None, Some(p)) => outln!("response saved to {p} (mode 0600)"),
        (None, None) => {}
    }
    decoded_human(
        "Access token",
        t.access_token.expose(),
        &st.yellow("— signature NOT verified (the resource server verifies it: jwtkit verify)"),
        now,
        st,
    );
    if let Some(idt) = &t.id_token {
        let status = match id {
            Some(Ok(v)) => st.green(&format!(
                "— verified: {} signature with the issuer's jwks_uri, iss, aud = client id, exp{}",
                v.alg,
                if grant == "authorization_code" {
                    ", nonce"
                } else {
                    ""
                }
            )),
            Some(Err(e)) => st.red(&format!("— INVALID: {e}")),
            None => st.yellow("— not verified (--no-verify-id-token)"),
        };
        decoded_human("ID Token", idt, &status, now, st);
    }
    code
}

/// Show provider metadata.
pub fn metadata(m: &Metadata, json: bool, st: Style) -> u8 {
    let kind = match m.kind {
        jwtkit_remote::DiscoveryKind::OpenIdConnect => "OpenID Connect Discovery",
        jwtkit_remote::DiscoveryKind::OAuthAuthorizationServer => "RFC 8414 metadata",
    };
    let rows: Vec<(&str, Value)> = vec![
        ("issuer", m.issuer.clone().into()),
        ("source", m.source_url.clone().into()),
        ("kind", kind.into()),
        ("authorization_endpoint", m.authorization_endpoint.clone().into()),
        ("token_endpoint", m.token_endpoint.clone().into()),
        (
            "device_authorization_endpoint",
            m.device_authorization_endpoint.clone().into(),
        ),
        ("introspection_endpoint", m.introspection_endpoint.clone().into()),
        ("revocation_endpoint", m.revocation_endpoint.clone().into()),
        ("userinfo_endpoint", m.userinfo_endpoint.clone().into()),
        ("jwks_uri", m.jwks_uri.clone().into()),
        ("grant_types_supported", m.grant_types_supported.clone().into()),
        (
            "code_challenge_methods_supported",
            m.code_challenge_methods_supported.clone().into(),
        ),
        (
            "token_endpoint_auth_methods_supported",
            m.token_endpoint_auth_methods_supported.clone().into(),
        ),
    ];
    if json {
        output::print_json(&Value::Object(
            rows.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ));
        return exit::OK;
    }
    for (k, v) in rows {
        let shown = match &v {
            Value::String(s) => s.clone(),
            Value::Null => st.dim("(not published)"),
            Value::Array(a) if a.is_empty() => st.dim("(not published)"),
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        };
        outln!("{:<38} {shown}", st.bold(k));
    }
    exit::OK
}

/// Show an introspection result; exit 1 when inactive.
pub fn introspection(i: &Introspection, json: bool, st: Style) -> u8 {
    let code = if i.active { exit::OK } else { exit::INVALID };
    if json {
        output::print_json(&json!({"active": i.active, "response": i.members}));
        return code;
    }
    if i.active {
        outln!("{}", st.green("active"));
    } else {
        outln!(
            "{}",
            st.red("NOT active (expired, revoked, unknown, or issued to another client)")
        );
    }
    let mut rest = i.members.clone();
    rest.remove("active");
    if !rest.is_empty() {
        output::section(
            "Introspection response",
            &[output::json(&Value::Object(rest.clone()), st)],
            st,
        );
        output::section(
            "Times",
            &output::times(&rest, NumericDate::now(), TimeFormat::Utc, st),
            st,
        );
    }
    code
}

/// Show UserInfo claims.
pub fn userinfo(u: &UserInfo, json: bool, st: Style) -> u8 {
    match (u, json) {
        (UserInfo::Claims(c), true) => output::print_json(&json!({"claims": c})),
        (UserInfo::Jwt(t), true) => output::print_json(&json!({"jwt": t, "decoded": decoded_json(t)})),
        (UserInfo::Claims(c), false) => output::section(
            "UserInfo claims",
            &[output::json(&Value::Object(c.clone()), st)],
            st,
        ),
        (UserInfo::Jwt(t), false) => decoded_human(
            "UserInfo (application/jwt)",
            t,
            &st.yellow("— signature NOT verified"),
            NumericDate::now(),
            st,
        ),
    }
    exit::OK
}

/// Say a revocation was accepted.
pub fn revoked(m: &Metadata, json: bool, st: Style) {
    let msg = "revocation accepted (RFC 7009 §2.2: the server answers 200 for unknown tokens too)";
    if json {
        output::print_json(
            &json!({"ok": true, "revocation_endpoint": m.revocation_endpoint, "message": msg}),
        );
    } else {
        outln!("{}", st.green(msg));
    }
}

/// Print an error: JSON `{"ok": false, "error": {...}}` or one line on stderr.
pub fn error(e: &Error, json: bool, _st: Style) {
    if json {
        output::print_json(&json!({"ok": false, "error": e.to_json()}));
    } else {
        errln!("jwtkit oauth: {e}");
    }
}
