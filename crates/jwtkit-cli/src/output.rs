//! Human output (colour only on a terminal) and helpers shared by the commands.
//!
//! Tokens, keys and fetched documents are hostile input: human output goes through
//! [`outln!`]/[`errln!`] ([`term`]), and JSON through [`json_text`], so no escape sequence or
//! bidirectional control from them reaches a terminal raw.

/// `println!` through [`term`].
macro_rules! outln {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", $crate::output::term(&format!($($t)*))) };
}

/// `eprintln!` through [`term`].
macro_rules! errln {
    () => { eprintln!() };
    ($($t:tt)*) => { eprintln!("{}", $crate::output::term(&format!($($t)*))) };
}

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use jwtkit::diagnose::{Finding, Severity};
use jwtkit::jwt::NumericDate;
use serde_json::Map;
use serde_json::Value;

use crate::cli::TimeFormat;

/// ANSI styling, enabled only when stdout is a terminal and colour is not disabled.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

/// Whether [`Style`] paints (the terminal filter keeps only these colour sequences).
static COLOR: AtomicBool = AtomicBool::new(false);

impl Style {
    /// Decide from the flag, `NO_COLOR` and whether stdout is a terminal.
    pub fn detect(no_color: bool) -> Style {
        let on = !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
        COLOR.store(on, Ordering::Relaxed);
        Style { on }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Green (success).
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Red (failure).
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Yellow (warning).
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Dim (secondary).
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    fn magenta(&self, s: &str) -> String {
        self.paint("35", s)
    }
}

/// Whether a character must not reach a terminal raw: control characters (C0 but line feed and
/// tab, DEL, C1: `U+009B` is a CSI on many terminals), and the bidirectional and line-separator
/// format characters that make text display other than it reads (`admin\u{202e}txt.exe`).
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// `s` with every character that must not reach a terminal raw written as `\u{..}`.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A line for the terminal: [`safe`], except the colour sequences [`Style`] itself writes
/// (`ESC [ digits m`) when colour is on. Every human line goes through here (`outln!`,
/// `errln!`), so no token, key or remote document can move the cursor, set the title, write
/// the clipboard or clear the screen.
pub fn term(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let color = COLOR.load(Ordering::Relaxed);
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && color {
            let sgr = rest
                .strip_prefix("\x1b[")
                .and_then(|r| {
                    r.find(|ch: char| !ch.is_ascii_digit() && ch != ';')
                        .map(|i| (r, i))
                })
                .filter(|(r, i)| r.as_bytes().get(*i) == Some(&b'm'))
                .map(|(_, i)| i + 3);
            if let Some(n) = sgr {
                out.push_str(rest.get(..n).unwrap_or_default());
                rest = rest.get(n..).unwrap_or_default();
                continue;
            }
        }
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    Cow::Owned(out)
}

/// JSON text with the characters of [`unsafe_char`] that serde_json leaves raw (DEL, C1,
/// bidirectional controls) escaped as `\uXXXX`: still the same JSON value. They can only occur
/// inside strings, so the replacement is always valid.
pub fn json_text(text: String) -> String {
    if !text.chars().any(|c| unsafe_char(c) && c != '\n') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) && c != '\n' {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One JSON string, escaped for the terminal ([`json_text`]).
pub fn json_string(s: &str) -> String {
    json_text(serde_json::to_string(s).unwrap_or_default())
}

/// Pretty JSON with syntax colours; member order and numbers exactly as in the token. Strings
/// are JSON-escaped (control, C1 and bidirectional characters included), so nothing from a
/// hostile token reaches the terminal raw.
pub fn json(v: &Value, style: Style) -> String {
    let mut out = String::new();
    write_json(&mut out, v, 0, style);
    out
}

fn write_json(out: &mut String, v: &Value, indent: usize, st: Style) {
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push_str("{\n");
            for (i, (k, val)) in m.iter().enumerate() {
                let key = json_string(k);
                let _ = write!(out, "{pad}{}: ", st.cyan(&key));
                write_json(out, val, indent + 1, st);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}}}", "  ".repeat(indent));
        }
        Value::Array(a) if !a.is_empty() => {
            out.push_str("[\n");
            for (i, val) in a.iter().enumerate() {
                out.push_str(&pad);
                write_json(out, val, indent + 1, st);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}]", "  ".repeat(indent));
        }
        Value::String(t) => out.push_str(&st.green(&json_string(t))),
        Value::Number(_) => out.push_str(&st.yellow(&v.to_string())),
        Value::Bool(_) | Value::Null => out.push_str(&st.magenta(&v.to_string())),
        other => out.push_str(&other.to_string()),
    }
}

/// Registered and common time claims shown in the "Times" section.
const TIME_CLAIMS: [&str; 5] = ["iat", "nbf", "exp", "auth_time", "updated_at"];

/// A time in the chosen format: `2026-11-29 18:00:00 UTC (in 3h 12m)`.
pub fn time(t: f64, now: i64, fmt: TimeFormat) -> String {
    let rel = NumericDate(t).relative_to(now);
    match fmt {
        TimeFormat::Unix => format!("{t} ({rel})"),
        TimeFormat::Utc => format!("{} ({rel})", NumericDate(t)),
        TimeFormat::Local => {
            let local = chrono::DateTime::from_timestamp(t.floor() as i64, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                })
                .unwrap_or_else(|| NumericDate(t).to_string());
            format!("{local} ({rel})")
        }
    }
}

/// The "Times" lines for a claims set: each time claim with date, relative time, and a verdict
/// for exp/nbf (`expired 3h 12m ago`, `not valid yet`).
pub fn times(claims: &Map<String, Value>, now: i64, fmt: TimeFormat, st: Style) -> Vec<String> {
    let mut lines = Vec::new();
    for name in TIME_CLAIMS {
        let Some(v) = claims.get(name) else { continue };
        let Some(t) = v.as_f64().filter(|f| f.is_finite()) else {
            lines.push(format!(
                "{name:<9} {}",
                st.red(&format!(
                    "{v} (not a NumericDate: a JSON number of seconds is required)"
                ))
            ));
            continue;
        };
        let mut text = time(t, now, fmt);
        if name == "exp" && (now as f64) >= t {
            text = st.red(&format!(
                "{} (expired {})",
                time_no_rel(t, fmt),
                NumericDate(t).relative_to(now)
            ));
        } else if name == "nbf" && (now as f64) < t {
            text = st.yellow(&format!(
                "{} (not valid yet: {})",
                time_no_rel(t, fmt),
                NumericDate(t).relative_to(now)
            ));
        } else if name == "iat" && t > now as f64 + 60.0 {
            text = st.yellow(&format!(
                "{} (in the future: {})",
                time_no_rel(t, fmt),
                NumericDate(t).relative_to(now)
            ));
        }
        lines.push(format!("{name:<9} {text}"));
    }
    lines
}

fn time_no_rel(t: f64, fmt: TimeFormat) -> String {
    match fmt {
        TimeFormat::Unix => format!("{t}"),
        _ => time(t, 0, fmt).split(" (").next().unwrap_or_default().to_string(),
    }
}

/// Findings as indented lines.
pub fn findings(list: &[Finding], st: Style) -> Vec<String> {
    let mut out = Vec::new();
    for f in list {
        let sev = match f.severity {
            Severity::High => st.red("high"),
            Severity::Medium => st.yellow("medium"),
            Severity::Low => "low".to_string(),
            Severity::Info => st.dim("info"),
        };
        out.push(format!("[{sev}] {}: {}", st.bold(f.id), f.message));
        out.push(format!("    fix: {}", f.fix));
    }
    out
}

/// The lines of a failed verification's diagnosis: each key/algorithm tried, then the usual
/// mistakes that matched, or a line saying none did. `failure` is why the signature step
/// failed: a key whose signature checks out is shown with it, so "verified" never stands alone
/// under INVALID (the algorithm was not allowed, the header was rejected, ...).
pub fn diagnosis(d: &jwtkit::diagnose::Diagnosis, failure: &jwtkit::Error, st: Style) -> Vec<String> {
    let mut lines = Vec::new();
    for a in &d.attempts {
        // "verified (but its kid differs …)" already says why it was not used.
        let outcome = if a.outcome == "verified" {
            format!("the signature verifies, but the token was still rejected: {failure}")
        } else {
            a.outcome.clone()
        };
        lines.push(format!("tried {} with {}: {outcome}", a.key, a.alg));
    }
    if d.attempts.is_empty() {
        lines.push("no key of the set could be tried for this token".into());
    }
    for h in &d.hints {
        lines.push(format!("{} {}", st.yellow(&format!("[{}]", h.id)), h.message));
    }
    if d.hints.is_empty() {
        lines.push(st.dim("none of the usual mistakes matched"));
    }
    lines
}

/// Print a titled section when it has lines.
pub fn section(title: &str, lines: &[String], st: Style) {
    if lines.is_empty() {
        return;
    }
    outln!("\n{}", st.bold(title));
    for l in lines {
        for line in l.lines() {
            outln!("  {line}");
        }
    }
}

/// Print `note:` lines on stderr.
pub fn notes(notes: &[String], st: Style) {
    for n in notes {
        errln!("{} {n}", st.dim("note:"));
    }
}

/// Print a JSON document on stdout (pretty; [`json_text`]).
pub fn print_json(v: &Value) {
    println!(
        "{}",
        json_text(serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into()))
    );
}

/// What the token is ([`jwtkit::jwt::Classification::of`]), for `--json`.
pub fn token_type_json(c: &jwtkit::jwt::Classification) -> Value {
    c.to_json()
}

/// What the token is, one line: inferred kinds are dimmed (RFC 8725 §3.11: rely on `typ`).
pub fn token_type_line(c: &jwtkit::jwt::Classification, st: Style) -> String {
    let line = safe(&c.line()).into_owned();
    if c.declared { line } else { st.dim(&line) }
}
