//! Human output (colour only on a terminal) and helpers shared by the commands.

use std::fmt::Write as _;
use std::io::IsTerminal;

use jwtkit::json::Object;
use jwtkit::jwt::time::{format_relative, format_utc};
use jwtkit::lint::{Finding, Severity};
use serde_json::Value;

use crate::cli::TimeFormat;

/// ANSI styling, enabled only when stdout is a terminal and colour is not disabled.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Decide from the flag, `NO_COLOR` and whether stdout is a terminal.
    pub fn detect(no_color: bool) -> Style {
        Style {
            on: !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
        }
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

/// Pretty JSON with syntax colours; member order and numbers exactly as in the token. Strings
/// are JSON-escaped, so control characters from a hostile token never reach the terminal raw.
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
                let key = serde_json::to_string(k).unwrap_or_default();
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
        Value::String(_) => out.push_str(&st.green(&serde_json::to_string(v).unwrap_or_default())),
        Value::Number(_) => out.push_str(&st.yellow(&v.to_string())),
        Value::Bool(_) | Value::Null => out.push_str(&st.magenta(&v.to_string())),
        other => out.push_str(&other.to_string()),
    }
}

/// Registered and common time claims shown in the "Times" section.
const TIME_CLAIMS: [&str; 5] = ["iat", "nbf", "exp", "auth_time", "updated_at"];

/// A time in the chosen format: `2026-11-29 18:00:00 UTC (in 3h 12m)`.
pub fn time(t: f64, now: i64, fmt: TimeFormat) -> String {
    let rel = format_relative(t, now);
    match fmt {
        TimeFormat::Unix => format!("{t} ({rel})"),
        TimeFormat::Utc => format!("{} ({rel})", format_utc(t)),
        TimeFormat::Local => {
            let local = chrono::DateTime::from_timestamp(t.floor() as i64, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                })
                .unwrap_or_else(|| format_utc(t));
            format!("{local} ({rel})")
        }
    }
}

/// The "Times" lines for a claims set: each time claim with date, relative time, and a verdict
/// for exp/nbf (`expired 3h 12m ago`, `not valid yet`).
pub fn times(claims: &Object, now: i64, fmt: TimeFormat, st: Style) -> Vec<String> {
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
                format_relative(t, now)
            ));
        } else if name == "nbf" && (now as f64) < t {
            text = st.yellow(&format!(
                "{} (not valid yet: {})",
                time_no_rel(t, fmt),
                format_relative(t, now)
            ));
        } else if name == "iat" && t > now as f64 + 60.0 {
            text = st.yellow(&format!(
                "{} (in the future: {})",
                time_no_rel(t, fmt),
                format_relative(t, now)
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

/// Print a titled section when it has lines.
pub fn section(title: &str, lines: &[String], st: Style) {
    if lines.is_empty() {
        return;
    }
    println!("\n{}", st.bold(title));
    for l in lines {
        for line in l.lines() {
            println!("  {line}");
        }
    }
}

/// Print `note:` lines on stderr.
pub fn notes(notes: &[String], st: Style) {
    for n in notes {
        eprintln!("{} {n}", st.dim("note:"));
    }
}

/// Print a JSON document on stdout (pretty).
pub fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into())
    );
}
