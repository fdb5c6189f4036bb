//! Revocation entries: by `jti` (RFC 7519 §4.1.7) until the token's `exp`, or by `sub` for
//! every token of a user issued at or before a time (`iat`, RFC 7519 §4.1.6).
//!
//! An entry lives exactly as long as the tokens it revokes could: a `jti` entry until its
//! `exp`; a `sub` entry until `issued_before` + the longest token lifetime (`exp` in the
//! request, or `store.sub_revocation_ttl`). A token without `iat` under a `sub` revocation is
//! revoked: nothing proves it was issued after the cut-off.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an entry revokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationKind {
    /// One token, by `jti`.
    Jti,
    /// Every token of a subject issued at or before `issued_before`.
    Sub,
}

/// One revocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    /// By `jti` or by `sub`.
    pub kind: RevocationKind,
    /// The `jti` or `sub` value.
    pub value: String,
    /// For `sub`: tokens with `iat` at or before this (seconds) are revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_before: Option<i64>,
    /// When the entry is forgotten (seconds since the epoch).
    pub expires_at: i64,
    /// When it was created (seconds since the epoch).
    pub created_at: i64,
}

impl Revocation {
    /// The store key: `jti:VALUE` or `sub:VALUE`.
    pub fn id(&self) -> String {
        id(self.kind, &self.value)
    }

    /// Whether this entry revokes a token with this `iat`.
    pub fn revokes(&self, iat: Option<f64>) -> bool {
        match self.kind {
            RevocationKind::Jti => true,
            RevocationKind::Sub => match (iat, self.issued_before) {
                (Some(iat), Some(before)) => iat <= before as f64,
                _ => true,
            },
        }
    }

    /// JSON for the admin API.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::json!({
            self.kind_name(): self.value,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
        });
        if let (Some(b), Some(o)) = (self.issued_before, v.as_object_mut()) {
            o.insert("issued_before".into(), b.into());
        }
        v
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            RevocationKind::Jti => "jti",
            RevocationKind::Sub => "sub",
        }
    }
}

/// Live revocations in memory, looked up by value without building a key: the embedded
/// store's mirror of its file, and every Redis instance's copy of the shared set.
#[derive(Clone, Debug, Default)]
pub struct RevocationSet {
    jti: HashMap<String, Revocation>,
    sub: HashMap<String, Revocation>,
}

impl RevocationSet {
    fn map(&mut self, kind: RevocationKind) -> &mut HashMap<String, Revocation> {
        match kind {
            RevocationKind::Jti => &mut self.jti,
            RevocationKind::Sub => &mut self.sub,
        }
    }

    /// Add or replace an entry.
    pub fn insert(&mut self, r: Revocation) {
        self.map(r.kind).insert(r.value.clone(), r);
    }

    /// Remove by id (`jti:…`/`sub:…`); true when it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        match id.split_once(':') {
            Some(("jti", v)) => self.jti.remove(v).is_some(),
            Some(("sub", v)) => self.sub.remove(v).is_some(),
            _ => false,
        }
    }

    /// Number of entries (expired ones included until [`RevocationSet::purge`]).
    pub fn len(&self) -> usize {
        self.jti.len() + self.sub.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.jti.is_empty() && self.sub.is_empty()
    }

    /// Whether a token with this `jti`, `sub` and `iat` is revoked at `now` (seconds).
    pub fn revokes(&self, jti: Option<&str>, sub: Option<&str>, iat: Option<f64>, now: i64) -> bool {
        let hit = |map: &HashMap<String, Revocation>, v: Option<&str>| {
            v.and_then(|v| map.get(v))
                .is_some_and(|r| r.expires_at > now && r.revokes(iat))
        };
        hit(&self.jti, jti) || hit(&self.sub, sub)
    }

    /// Every entry.
    pub fn iter(&self) -> impl Iterator<Item = &Revocation> {
        self.jti.values().chain(self.sub.values())
    }

    /// Drop entries expired at `now`; returns their ids.
    pub fn purge(&mut self, now: i64) -> Vec<String> {
        let gone: Vec<String> = self
            .iter()
            .filter(|r| r.expires_at <= now)
            .map(Revocation::id)
            .collect();
        for id in &gone {
            self.remove(id);
        }
        gone
    }
}

/// The store key of an entry.
pub fn id(kind: RevocationKind, value: &str) -> String {
    match kind {
        RevocationKind::Jti => format!("jti:{value}"),
        RevocationKind::Sub => format!("sub:{value}"),
    }
}

fn time_field(v: &Value, name: &str, now: i64) -> Result<Option<i64>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| Some(f.floor() as i64))
            .ok_or_else(|| format!("{name} is out of range")),
        Some(Value::String(s)) => jwtkit::jwt::NumericDate::parse(s, now)
            .map(Some)
            .map_err(|e| format!("{name}: {}", e.message())),
        Some(_) => Err(format!("{name} must be a number of seconds or a time string")),
    }
}

/// Parse a `POST /admin/revocations` body: `{"jti", "exp"}` or `{"sub", "issued_before"?,
/// "exp"?}`. Times are numbers (seconds) or strings (`2026-11-29T18:00:00Z`, `+1h`).
///
/// # Errors
/// A message for the client (400).
pub fn parse_request(body: &Value, now: i64, sub_ttl: std::time::Duration) -> Result<Revocation, String> {
    let obj = body.as_object().ok_or("the body must be a JSON object")?;
    for k in obj.keys() {
        if !["jti", "sub", "exp", "issued_before"].contains(&k.as_str()) {
            return Err(format!(
                "unknown member {k:?} (expected jti, sub, exp, issued_before)"
            ));
        }
    }
    let text = |name: &str| -> Result<Option<String>, String> {
        match obj.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 1024 => Ok(Some(s.clone())),
            Some(_) => Err(format!("{name} must be a non-empty string of at most 1024 bytes")),
        }
    };
    let exp = time_field(body, "exp", now)?;
    let ttl = i64::try_from(sub_ttl.as_secs()).unwrap_or(i64::MAX);
    match (text("jti")?, text("sub")?) {
        (Some(jti), None) => {
            if obj.contains_key("issued_before") {
                return Err("issued_before goes with sub, not jti".into());
            }
            let exp =
                exp.ok_or("a jti revocation needs exp (the token's exp, so the entry expires with it)")?;
            if exp <= now {
                return Err("exp is in the past: the token has already expired".into());
            }
            Ok(Revocation {
                kind: RevocationKind::Jti,
                value: jti,
                issued_before: None,
                expires_at: exp,
                created_at: now,
            })
        }
        (None, Some(sub)) => {
            let before = time_field(body, "issued_before", now)?.unwrap_or(now);
            let expires_at = exp.unwrap_or_else(|| before.saturating_add(ttl));
            if expires_at <= now {
                return Err("the revocation would already have expired (exp in the past)".into());
            }
            Ok(Revocation {
                kind: RevocationKind::Sub,
                value: sub,
                issued_before: Some(before),
                expires_at,
                created_at: now,
            })
        }
        (Some(_), Some(_)) => Err("give jti or sub, not both".into()),
        (None, None) => Err("give jti (with exp) or sub (with issued_before)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn requests() {
        let day = Duration::from_secs(86_400);
        let r = parse_request(&json!({"jti": "a", "exp": 2000}), 1000, day).unwrap();
        assert_eq!(
            (r.kind, r.expires_at, r.id()),
            (RevocationKind::Jti, 2000, "jti:a".to_string())
        );
        assert!(
            parse_request(&json!({"jti": "a"}), 1000, day)
                .unwrap_err()
                .contains("needs exp")
        );
        assert!(parse_request(&json!({"jti": "a", "exp": 10}), 1000, day).is_err());
        let r = parse_request(&json!({"sub": "u", "issued_before": 1500}), 1000, day).unwrap();
        assert_eq!((r.issued_before, r.expires_at), (Some(1500), 1500 + 86_400));
        assert!(r.revokes(Some(1500.0)) && r.revokes(None) && !r.revokes(Some(1501.0)));
        let r = parse_request(
            &json!({"sub": "u", "issued_before": "1970-01-01T00:20:00Z"}),
            1000,
            day,
        )
        .unwrap();
        assert_eq!(r.issued_before, Some(1200));
        assert!(parse_request(&json!({"sub": "u", "jti": "x"}), 1000, day).is_err());
        assert!(parse_request(&json!({"sub": "u", "extra": 1}), 1000, day).is_err());
        assert_eq!(r.to_json()["sub"], "u");
    }
}
