//! Issuance (RFC 9901 §4, §5): turning chosen claims into Disclosures and digests.

use serde_json::Value;

use super::disclosure::{Disclosure, SdAlg};
use crate::error::{Result, err};
use crate::json::Object;

/// Top-level claims that are never made selectively disclosable: a verifier needs them to
/// process the token at all (RFC 9901 §4.1, SD-JWT VC §3.2.2.2).
pub(crate) const ALWAYS_VISIBLE: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "_sd_alg",
];

/// Where `v` already uses SD-JWT syntax: an `_sd` member, or an array element `{"...": …}`.
fn sd_syntax(v: &Value, at: &mut String) -> Option<String> {
    match v {
        Value::Object(o) => {
            if o.contains_key("_sd") {
                return Some(if at.is_empty() { "/".into() } else { at.clone() });
            }
            for (k, x) in o {
                let len = at.len();
                at.push('/');
                at.push_str(k);
                let found = sd_syntax(x, at);
                at.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
            if matches!(x, Value::Object(o) if o.contains_key("...")) {
                return Some(format!("{at}/{i}"));
            }
            let len = at.len();
            at.push_str(&format!("/{i}"));
            let found = sd_syntax(x, at);
            at.truncate(len);
            found
        }),
        _ => None,
    }
}

/// A payload ready to sign and the Disclosures that go with it.
#[derive(Clone, Debug)]
pub(crate) struct Issuance {
    /// The Issuer-signed JWT's claims: `_sd` arrays, `{"...": digest}` elements, `_sd_alg`.
    pub payload: Object,
    /// Every Disclosure, inner ones before the ones that contain their digests.
    pub disclosures: Vec<Disclosure>,
}

impl Issuance {
    /// Most decoy digests [`Issuance::new`] adds to one `_sd` array.
    const MAX_DECOYS: usize = super::SdJwt::MAX_DECOYS;

    /// Make the claims at `pointers` (JSON Pointers, RFC 6901: `/email`, `/address/street_address`,
    /// `/nationalities/0`) selectively disclosable, and add `decoys` random digests to every `_sd`
    /// array written (§4.2.5). A pointer may sit inside another one (`/address` and
    /// `/address/locality`): the inner claim becomes a Disclosure inside the outer one's value
    /// (recursive disclosure, §4.2.6). Digests in each `_sd` array are sorted, so their order says
    /// nothing about the claims (§9.7).
    ///
    /// # Errors
    /// `invalid_config`: a pointer that names nothing, the root, a claim that stays visible (`iss`, `nbf`, `exp`, `cnf`, `vct`, `vct#integrity`, `status`, `_sd_alg`), a
    /// claim named `_sd` or `...`, or an invalid pointer; a payload that already has `_sd`.
    pub(crate) fn new(claims: Object, pointers: &[&str], alg: SdAlg, decoys: usize) -> Result<Issuance> {
        if decoys > Self::MAX_DECOYS {
            return Err(err!(
                InvalidConfig,
                "at most {} decoy digests per _sd array, not {decoys}",
                Self::MAX_DECOYS
            ));
        }
        if claims.contains_key("_sd_alg") {
            return Err(err!(
                InvalidConfig,
                "the claims already have an _sd_alg member: choose the hash with the sd_alg argument"
            ));
        }
        if let Some(where_) = sd_syntax(&Value::Object(claims.clone()), &mut String::new()) {
            return Err(err!(
                InvalidConfig,
                "{where_}: the claims already use SD-JWT syntax (_sd, or {{\"...\": …}} in an array), which verifiers would read as digests"
            ));
        }
        let mut parsed: Vec<Vec<String>> =
            pointers.iter().map(|p| parse_pointer(p)).collect::<Result<_>>()?;
        // Deepest first: an inner claim is replaced before the value holding it becomes a Disclosure.
        parsed.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        parsed.dedup();
        let mut root = Value::Object(claims);
        let mut disclosures = Vec::with_capacity(parsed.len());
        for path in &parsed {
            let (last, parents) = path
                .split_last()
                .ok_or_else(|| err!(InvalidConfig, "the root cannot be made disclosable"))?;
            if parents.is_empty() && ALWAYS_VISIBLE.contains(&last.as_str()) {
                return Err(err!(
                    InvalidConfig,
                    "{last:?} cannot be made selectively disclosable: verifiers need it to process the token"
                ));
            }
            let shown = format!("/{}", path.join("/"));
            let parent = walk_mut(&mut root, parents).ok_or_else(|| not_found(&shown))?;
            let d = match parent {
                Value::Object(obj) => {
                    let mut v = obj.remove(last.as_str()).ok_or_else(|| not_found(&shown))?;
                    finish_value(&mut v, alg, decoys);
                    let d = Disclosure::object_property(last, v)?;
                    let digest = d.digest(alg);
                    match obj.entry("_sd").or_insert_with(|| Value::Array(Vec::new())) {
                        Value::Array(a) => a.push(digest.into()),
                        _ => return Err(err!(InvalidConfig, "{shown}: the object has a non-array _sd")),
                    }
                    d
                }
                Value::Array(items) => {
                    let slot = last
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.get_mut(i))
                        .ok_or_else(|| not_found(&shown))?;
                    let mut v = slot.take();
                    finish_value(&mut v, alg, decoys);
                    let d = Disclosure::array_element(v);
                    let mut marker = Object::new();
                    marker.insert("...".into(), d.digest(alg).into());
                    *slot = Value::Object(marker);
                    d
                }
                _ => return Err(not_found(&shown)),
            };
            disclosures.push(d);
        }
        finish_value(&mut root, alg, decoys);
        let Value::Object(mut payload) = root else {
            return Err(err!(InvalidConfig, "the claims must be a JSON object"));
        };
        payload.insert("_sd_alg".into(), alg.as_str().into());
        Ok(Issuance { payload, disclosures })
    }
}

fn not_found(pointer: &str) -> crate::Error {
    err!(InvalidConfig, "{pointer}: no such claim to make disclosable")
}

/// Split an RFC 6901 JSON Pointer; a bare name (`email`) is taken as `/email`.
fn parse_pointer(p: &str) -> Result<Vec<String>> {
    let body = p.strip_prefix('/').unwrap_or(p);
    if body.is_empty() {
        return Err(err!(InvalidConfig, "the root cannot be made disclosable"));
    }
    body.split('/')
        .map(|t| {
            if t == "_sd" || t == "..." {
                return Err(err!(InvalidConfig, "{p}: {t:?} cannot be made disclosable"));
            }
            let mut out = String::with_capacity(t.len());
            let mut chars = t.chars();
            while let Some(c) = chars.next() {
                match (c, c == '~') {
                    (_, true) => match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => {
                            return Err(err!(
                                InvalidConfig,
                                "{p}: '~' must be followed by 0 or 1 (RFC 6901)"
                            ));
                        }
                    },
                    (c, false) => out.push(c),
                }
            }
            Ok(out)
        })
        .collect()
}

/// The value at `path` below `root`, for changing it.
fn walk_mut<'a>(root: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = root;
    for t in path {
        cur = match cur {
            Value::Object(o) => o.get_mut(t.as_str())?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sort every `_sd` array written and add decoy digests (§4.2.5).
fn finish_sd_arrays(obj: &mut Object, alg: SdAlg, decoys: usize) {
    for v in obj.values_mut() {
        finish_value(v, alg, decoys);
    }
    if let Some(Value::Array(digests)) = obj.get_mut("_sd") {
        for _ in 0..decoys {
            digests.push(alg.digest(&crate::random::b64url(16)).into());
        }
        digests.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
}

fn finish_value(v: &mut Value, alg: SdAlg, decoys: usize) {
    match v {
        Value::Object(o) => finish_sd_arrays(o, alg, decoys),
        Value::Array(a) => a.iter_mut().for_each(|x| finish_value(x, alg, decoys)),
        _ => {}
    }
}
