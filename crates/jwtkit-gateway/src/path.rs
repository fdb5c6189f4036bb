//! The request path as routes see it: normalized once, before routing, and forwarded as
//! normalized ([RFC 3986] §6.2.2 and §5.2.4).
//!
//! A proxy that routes on one spelling of a path while the upstream reads another lets a client
//! reach a protected route through an open one: `/public/../admin` has the prefix `/public`
//! here, and an upstream that removes dot segments (most frameworks and file servers do) serves
//! `/admin`. So before a route is chosen:
//!
//! - percent-encoded unreserved characters are decoded (`/%61dmin` is `/admin`, RFC 3986
//!   §6.2.2.2); other escapes (`%2F`, `%20`, …) are kept as sent;
//! - runs of `/` are merged (`//admin` is `/admin`, as nginx and most frameworks read it);
//! - a dot segment (`.` or `..`) is refused with `400`: also percent-encoded (`%2e%2e`), also
//!   between encoded slashes or backslashes (`..%2F`, `..%5C`, `..\`), also with a `;`
//!   parameter (`..;`, which Tomcat and Spring read as `..`). Browsers and HTTP clients remove
//!   dot segments before sending (§5.2.4), so only hand-made requests carry them.
//!
//! The route is chosen on the normalized path, and the upstream receives that same path.
//!
//! [RFC 3986]: https://www.rfc-editor.org/rfc/rfc3986

/// Why a path is refused.
pub const DOT_SEGMENT: &str = "path has a dot segment (. or ..)";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Whether one `/`-separated segment is, or hides, a dot segment.
fn hides_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    lower
        .split("%2f")
        .flat_map(|s| s.split("%5c"))
        .flat_map(|s| s.split('\\'))
        .map(|piece| piece.split(';').next().unwrap_or(piece))
        .any(|piece| piece == "." || piece == "..")
}

/// The normalized form of `path` (the path component only, no query): `Ok(None)` when it is
/// already normal, `Ok(Some(p))` when it changed, `Err` (a description for a `400`) when it has
/// a dot segment.
///
/// ```
/// use jwtkit_gateway::path::normalize;
/// assert_eq!(normalize("/orders/1"), Ok(None));
/// assert_eq!(normalize("//%6Frders/1").unwrap().as_deref(), Some("/orders/1"));
/// assert!(normalize("/public/../orders").is_err());
/// assert!(normalize("/public/%2e%2e/orders").is_err());
/// ```
///
/// # Errors
/// [`DOT_SEGMENT`] when a segment is `.` or `..` in any of the spellings above.
pub fn normalize(path: &str) -> Result<Option<String>, &'static str> {
    let bytes = path.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let decoded = match (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => Some(h * 16 + l),
                    _ => None,
                };
                match decoded {
                    Some(d) if is_unreserved(d) => {
                        out.push(d);
                        i += 3;
                    }
                    _ => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            b'/' if out.last() == Some(&b'/') => i += 1,
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were decoded, so the text stays valid UTF-8.
    let normal = String::from_utf8(out).map_err(|_| DOT_SEGMENT)?;
    if normal.split('/').any(hides_dot_segment) {
        return Err(DOT_SEGMENT);
    }
    Ok((normal != path).then_some(normal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_paths_are_kept() {
        for p in [
            "/",
            "/orders",
            "/orders/1",
            "/a/b.c/..x/x..",
            "/projects/group%2Fproject",
            "/%20x",
            "*",
        ] {
            assert_eq!(normalize(p), Ok(None), "{p}");
        }
    }

    #[test]
    fn unreserved_escapes_decoded_and_slashes_merged() {
        assert_eq!(normalize("/%61pi/x").unwrap().as_deref(), Some("/api/x"));
        assert_eq!(normalize("/%7Euser").unwrap().as_deref(), Some("/~user"));
        assert_eq!(normalize("//api///x").unwrap().as_deref(), Some("/api/x"));
        assert_eq!(normalize("/a%2fb%zz%4").unwrap(), None);
    }

    #[test]
    fn dot_segments_refused_in_every_spelling() {
        for p in [
            "/public/../admin",
            "/public/./admin",
            "/public/..",
            "/public/%2e%2e/admin",
            "/public/%2E./admin",
            "/public/..%2fadmin",
            "/public/..%5Cadmin",
            "/public/..\\admin",
            "/public/..;/admin",
            "/public/.;x/admin",
        ] {
            assert_eq!(normalize(p), Err(DOT_SEGMENT), "{p}");
        }
    }
}
