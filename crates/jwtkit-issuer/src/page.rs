//! The server-rendered pages: the login page and the error page. No script, no external
//! resource; every value is HTML-escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::User;

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:15px system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}\
.dev{background:#fff3cd;border:1px solid #e0c36a;padding:.5rem .75rem;border-radius:4px}\
label.user{display:block;border:1px solid #ccc;border-radius:4px;padding:.5rem;margin:.4rem 0}\
pre{margin:.3rem 0 0 1.6rem;font-size:13px;white-space:pre-wrap}textarea{width:100%;font:13px monospace}\
.err{color:#a00;font-weight:600}button{font-size:15px;padding:.4rem 1rem;margin-right:.5rem}code{font-size:13px}";

/// A page with the headers every page gets: no caching, no framing, no script.
pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    );
    let mut r = (status, doc).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// The error page shown instead of redirecting, when the redirect URI cannot be trusted
/// (unknown client, unregistered redirect URI: RFC 6749 §4.1.2.1).
pub fn error_page(status: StatusCode, code: &str, message: &str) -> Response {
    html(
        status,
        "Authorization error",
        &format!(
            "<h1>Authorization error</h1><p><code>{}</code></p><p class=\"err\">{}</p>\
             <p>The client is not redirected: its redirect URI could not be trusted.</p>",
            escape(code),
            escape(message)
        ),
    )
}

/// What the login page shows.
pub struct LoginPage<'a> {
    /// The pending request's id.
    pub request_id: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// Requested scope.
    pub scope: &'a str,
    /// The redirect URI the code will go to.
    pub redirect_uri: &'a str,
    /// Users to pick from.
    pub users: &'a [User],
    /// The user picked before (after an error).
    pub selected: Option<&'a str>,
    /// Claims text entered before (after an error).
    pub claims_text: &'a str,
    /// An error to show (bad claims JSON, unknown user).
    pub error: Option<&'a str>,
}

/// The login page: pick a user, adjust claims, approve or deny.
pub fn login_page(p: &LoginPage<'_>) -> Response {
    let mut users = String::new();
    for (i, u) in p.users.iter().enumerate() {
        let checked = match p.selected {
            Some(s) => s == u.sub,
            None => i == 0,
        };
        let claims = serde_json::to_string_pretty(&u.claims).unwrap_or_default();
        users.push_str(&format!(
            "<label class=\"user\"><input type=\"radio\" name=\"sub\" value=\"{sub}\"{c}> <b>{sub}</b><pre>{claims}</pre></label>",
            sub = escape(&u.sub),
            c = if checked { " checked" } else { "" },
            claims = escape(&claims),
        ));
    }
    if p.users.is_empty() {
        users.push_str("<p class=\"err\">No users are configured: add [[users]] to the config.</p>");
    }
    let err = p
        .error
        .map(|e| format!("<p class=\"err\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<p class=\"dev\">jwtkit issuer: a development identity provider. No password is asked: pick who to be.</p>\
         <h1>Sign in to <code>{client}</code></h1>\
         <p>Scope: <code>{scope}</code><br>Redirect: <code>{redirect}</code></p>{err}\
         <form method=\"post\" action=\"authorize/login\"><input type=\"hidden\" name=\"request\" value=\"{id}\">\
         <fieldset><legend>User</legend>{users}</fieldset>\
         <p><label for=\"claims\">Claims to add or change for this login (JSON object; <code>null</code> removes a claim):</label>\
         <textarea id=\"claims\" name=\"claims\" rows=\"5\">{claims}</textarea></p>\
         <button type=\"submit\" name=\"action\" value=\"approve\">Sign in</button>\
         <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></form>",
        client = escape(p.client_id),
        scope = escape(p.scope),
        redirect = escape(p.redirect_uri),
        id = escape(p.request_id),
        claims = escape(p.claims_text),
    );
    html(StatusCode::OK, "jwtkit issuer: sign in", &body)
}
