//! Safe rendering of untrusted strings inside messages: bounded length, no control characters.

use std::borrow::Cow;

/// At most `max` characters of `s`, with `…` appended when cut.
pub(crate) fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", s.get(..at).unwrap_or_default())),
    }
}

/// `s` quoted for a message: at most 80 characters, control characters escaped, so a hostile
/// token cannot inject terminal escape sequences or fake log lines.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(90) + 2);
    out.push('"');
    for c in truncate(s, 80).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quote_escapes_controls() {
        assert_eq!(super::quote("a\u{1b}[31mb\n"), "\"a\\u{1b}[31mb\\n\"");
        assert_eq!(super::truncate("abcdef", 3), "abc…");
        assert_eq!(super::truncate("abc", 3), "abc");
    }
}
