//! The embedded assets are self-contained: no off-host URL, no inline script or style (the CSP
//! forbids them), and every file the page references is embedded.

use jwtkit_ui::assets::ASSETS;
use jwtkit_ui::guard::CONTENT_SECURITY_POLICY;

fn text(path: &str) -> String {
    let a = ASSETS.iter().find(|a| a.path == path).unwrap();
    String::from_utf8(a.body.to_vec()).unwrap()
}

/// Every `http://` or `https://` occurrence (any letter case) with the host that follows.
fn urls(body: &str) -> Vec<String> {
    let lower = body.to_ascii_lowercase();
    let mut out = Vec::new();
    for scheme in [
        "http://", "https://", "ws://", "wss://", "\"//", "'//", "(//", "`//",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(scheme) {
            let start = from + i;
            let rest = &lower[start + scheme.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-._:[]".contains(c)))
                .unwrap_or(rest.len());
            // A scheme-relative URL (`"//host/x"`) names a host; a comment (`'// note'`) does not.
            if end > 0 || scheme.contains("://") {
                out.push(format!("{scheme}{}", &rest[..end]));
            }
            from = start + scheme.len();
        }
    }
    out
}

fn is_loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[test]
fn no_off_host_url_in_any_asset() {
    for a in &ASSETS {
        let body = String::from_utf8_lossy(a.body);
        let bad: Vec<String> = urls(&body).into_iter().filter(|u| !is_loopback(u)).collect();
        assert!(bad.is_empty(), "{} references off-host URLs: {bad:?}", a.path);
    }
}

#[test]
fn the_url_scanner_catches_what_it_must() {
    let found = urls(
        "<script src=\"https://cdn.example.com/x.js\"></script> HTTP://Fonts.Example/ http://127.0.0.1:7800/ \
         <img src=\"//tracker.example/p.gif\"> url(//fonts.example/f.woff) '// a comment'",
    );
    assert_eq!(
        found,
        [
            "http://fonts.example",
            "http://127.0.0.1:7800",
            "https://cdn.example.com",
            "\"//tracker.example",
            "(//fonts.example"
        ]
    );
    assert!(!is_loopback("https://cdn.example.com"));
    assert!(is_loopback("http://127.0.0.1:7800"));
    assert!(is_loopback("http://localhost"));
    assert!(!is_loopback("http://localhost.evil.example"));
}

#[test]
fn no_inline_script_or_style() {
    let html = text("/").to_ascii_lowercase();
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        assert!(tag.contains(" src=\"/"), "inline or off-host script: {tag}");
    }
    assert!(!html.contains("<style"), "inline <style> block");
    assert!(!html.contains(" style="), "inline style attribute");
    assert!(!html.contains("javascript:"), "javascript: URL");
    for handler in [
        " onclick=",
        " onload=",
        " oninput=",
        " onerror=",
        " onchange=",
        " onsubmit=",
    ] {
        assert!(!html.contains(handler), "inline event handler {handler}");
    }
    let js = text("/app.js");
    assert!(
        !js.contains("innerHTML"),
        "app.js must build the DOM with textContent"
    );
    assert!(!js.contains("eval("), "no eval");
    assert!(!js.contains("new Function"), "no Function constructor");
    assert!(!js.contains(".style."), "no inline styles from script");
    assert!(
        !js.contains("localStorage") && !js.contains("sessionStorage") && !js.contains("indexedDB"),
        "tokens and keys are never stored"
    );
}

#[test]
fn every_referenced_file_is_embedded() {
    let html = text("/");
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let start = i + attr.len();
            let end = start + html[start..].find('"').unwrap();
            refs.push(html[start..end].to_string());
        }
    }
    assert!(refs.len() >= 4, "{refs:?}");
    for r in refs {
        assert!(r.starts_with('/'), "{r} is not a path on this server");
        assert!(ASSETS.iter().any(|a| a.path == r), "{r} is not embedded");
    }
    // app.js talks to its own API only, by path.
    let js = text("/app.js");
    for (i, _) in js.match_indices("fetch(") {
        let arg = &js[i + 6..i + 20];
        assert!(arg.starts_with("'/api/"), "fetch of {arg}");
    }
}

#[test]
fn csp_is_strict() {
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(directive), "{directive}");
    }
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    assert!(!CONTENT_SECURITY_POLICY.contains("http"));
}
