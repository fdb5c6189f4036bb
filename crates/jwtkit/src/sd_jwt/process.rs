//! Rebuilding the claims from the Issuer-signed JWT's payload and the Disclosures given
//! (RFC 9901 §7.1 steps 3 to 5), with every rejection the RFC requires.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::disclosure::{Disclosure, SdAlg};
use crate::Limits;
use crate::error::{Result, err};
use crate::json::Object;

/// Where a Disclosure put its value in the processed claims.
///
/// The JSON Pointer is kept as the container's pointer (shared by every Disclosure in that
/// object or array) plus the last reference token, so a payload with long claim names and many
/// Disclosures costs memory in proportion to its size, not its size squared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revealed {
    /// JSON Pointer (RFC 6901) of the object or array holding the disclosed value (`""` for the
    /// top level).
    pub container: std::sync::Arc<str>,
    /// The member name or array index, unescaped.
    pub token: String,
    /// Index of the Disclosure in the order it was presented.
    pub disclosure: usize,
}

impl Revealed {
    /// The JSON Pointer of the disclosed claim or array element in the processed claims, e.g.
    /// `/address/street_address` or `/nationalities/1`.
    pub fn pointer(&self) -> String {
        let mut p = self.container.to_string();
        push_token(&mut p, &self.token);
        p
    }
}

/// The claims after processing: digests replaced by the disclosed values, `_sd`, `_sd_alg` and
/// undisclosed array elements removed (§7.1 step 3.4–5).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Processed {
    /// The claims a verifier reads.
    pub claims: Object,
    /// The hash algorithm of the digests (`_sd_alg`, default `sha-256`).
    pub sd_alg: SdAlg,
    /// Where each Disclosure went, in the order they were found in the payload.
    pub revealed: Vec<Revealed>,
    /// Digests in the payload that no Disclosure matched (undisclosed claims and decoys).
    pub undisclosed: usize,
}

impl Processed {
    /// Apply `disclosures` to the verified `payload` (RFC 9901 §7.1).
    ///
    /// Rejected, each with `bad_disclosure`: a digest that appears twice (in the payload or inside
    /// disclosed values), a Disclosure given twice or referenced by nothing, an object-property
    /// Disclosure referenced from an array or an array-element one from `_sd`, a disclosed name
    /// that already exists at its level. `malformed`: an `_sd` that is not an array of strings, an
    /// `_sd_alg` that is not a string. `unsupported_alg`: an unknown `_sd_alg`. `resource_limit`:
    /// nesting deeper than `limits.max_json_depth` after disclosure.
    ///
    /// # Errors
    /// As above.
    pub(crate) fn from_payload(
        mut payload: Object,
        disclosures: Vec<Disclosure>,
        limits: &Limits,
    ) -> Result<Processed> {
        let sd_alg = match payload.remove("_sd_alg") {
            None => SdAlg::default(),
            Some(Value::String(name)) => SdAlg::from_name(&name)?,
            Some(_) => return Err(err!(Malformed, "_sd_alg must be a string")),
        };
        let mut by_digest: HashMap<String, usize> = HashMap::with_capacity(disclosures.len());
        for (i, d) in disclosures.iter().enumerate() {
            if by_digest.insert(d.digest(sd_alg), i).is_some() {
                return Err(err!(BadDisclosure, "disclosure {i} is given twice"));
            }
        }
        let mut walk = Walk {
            by_digest,
            disclosures: disclosures.into_iter().map(Some).collect(),
            seen: std::collections::HashSet::new(),
            revealed: Vec::new(),
            undisclosed: 0,
            max_depth: limits.max_json_depth,
            container: std::sync::Arc::from(""),
        };
        let mut pointer = String::new();
        let claims = walk.object(payload, &mut pointer, 1)?;
        if let Some(i) = walk.disclosures.iter().position(Option::is_some) {
            return Err(err!(
                BadDisclosure,
                "disclosure {i} is not referenced by any digest in the token"
            ));
        }
        Ok(Processed {
            claims,
            sd_alg,
            revealed: walk.revealed,
            undisclosed: walk.undisclosed,
        })
    }
}

struct Walk {
    by_digest: HashMap<String, usize>,
    disclosures: Vec<Option<Disclosure>>,
    seen: std::collections::HashSet<String>,
    revealed: Vec<Revealed>,
    undisclosed: usize,
    max_depth: usize,
    /// The last container pointer handed out, reused while the walk stays in that container.
    container: std::sync::Arc<str>,
}

impl Walk {
    /// Record that Disclosure `i` put its value at `token` inside the container at `pointer`.
    fn reveal(&mut self, pointer: &str, token: String, i: usize) {
        if *self.container != *pointer {
            self.container = std::sync::Arc::from(pointer);
        }
        self.revealed.push(Revealed {
            container: self.container.clone(),
            token,
            disclosure: i,
        });
    }

    fn depth(&self, depth: usize) -> Result<()> {
        crate::limits::check("json_depth", self.max_depth, depth)
    }

    /// Mark `digest` as seen and take its Disclosure, if one was given.
    fn take(&mut self, digest: &str) -> Result<Option<(usize, Disclosure)>> {
        if !self.seen.insert(digest.to_string()) {
            return Err(err!(BadDisclosure, "the digest {digest} appears more than once"));
        }
        let Some(&i) = self.by_digest.get(digest) else {
            self.undisclosed += 1;
            return Ok(None);
        };
        Ok(self.disclosures.get_mut(i).and_then(Option::take).map(|d| (i, d)))
    }

    fn value(&mut self, v: Value, pointer: &mut String, depth: usize) -> Result<Value> {
        match v {
            Value::Object(o) => Ok(Value::Object(self.object(o, pointer, depth)?)),
            Value::Array(a) => Ok(Value::Array(self.array(a, pointer, depth)?)),
            other => Ok(other),
        }
    }

    fn object(&mut self, mut obj: Object, pointer: &mut String, depth: usize) -> Result<Object> {
        self.depth(depth)?;
        let digests = match obj.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|d| match d {
                    Value::String(s) => Ok(s),
                    _ => Err(err!(Malformed, "_sd must be an array of digest strings")),
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(err!(Malformed, "_sd must be an array of digest strings")),
        };
        let mut out = Map::with_capacity(obj.len() + digests.len());
        for (name, v) in obj {
            let len = push_token(pointer, &name);
            let v = self.value(v, pointer, depth + 1)?;
            pointer.truncate(len);
            out.insert(name, v);
        }
        for digest in digests {
            let Some((i, d)) = self.take(&digest)? else {
                continue;
            };
            let Some(name) = d.name().map(str::to_string) else {
                return Err(err!(
                    BadDisclosure,
                    "disclosure {i} is an array element but its digest is in an _sd array"
                ));
            };
            if out.contains_key(&name) {
                return Err(err!(
                    BadDisclosure,
                    "disclosure {i} discloses {name:?}, which is already a claim at that level"
                ));
            }
            let len = push_token(pointer, &name);
            let v = self.value(d.into_value(), pointer, depth + 1)?;
            pointer.truncate(len);
            self.reveal(pointer, name.clone(), i);
            out.insert(name, v);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>, pointer: &mut String, depth: usize) -> Result<Vec<Value>> {
        self.depth(depth)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let index = out.len().to_string();
            let len = push_token(pointer, &index);
            match array_digest(&item) {
                Some(Ok(digest)) => {
                    let digest = digest.to_string();
                    if let Some((i, d)) = self.take(&digest)? {
                        if d.name().is_some() {
                            return Err(err!(
                                BadDisclosure,
                                "disclosure {i} is an object property but its digest is an array element"
                            ));
                        }
                        let v = self.value(d.into_value(), pointer, depth + 1)?;
                        let at = pointer.len();
                        pointer.truncate(len);
                        self.reveal(pointer, index.clone(), i);
                        push_token(pointer, &index);
                        debug_assert_eq!(pointer.len(), at);
                        out.push(v);
                    }
                }
                Some(Err(())) => {
                    return Err(err!(
                        Malformed,
                        "an array element {{\"...\": …}} must hold a digest string"
                    ));
                }
                None => {
                    let v = self.value(item, pointer, depth + 1)?;
                    out.push(v);
                }
            }
            pointer.truncate(len);
        }
        Ok(out)
    }
}

/// `Some(Ok(digest))` for an array element `{"...": "<digest>"}` (§4.2.4.2), `Some(Err)` for an
/// object with a `...` member that is not that, `None` for any other value.
fn array_digest(v: &Value) -> Option<Result<&str, ()>> {
    let Value::Object(o) = v else { return None };
    let d = o.get("...")?;
    match (o.len(), d) {
        (1, Value::String(s)) => Some(Ok(s)),
        _ => Some(Err(())),
    }
}

/// Append `/token` (RFC 6901 escaping) and return the previous length.
fn push_token(pointer: &mut String, token: &str) -> usize {
    let len = pointer.len();
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
    len
}
