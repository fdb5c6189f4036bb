//! DPoP proofs, [RFC 9449]: a JWT the client signs per request with a key it holds, binding an
//! access token (`cnf.jkt`) to that key.
//!
//! A proof is verified through the one pipeline, [`crate::jwt::verify_with`], with a
//! [`crate::Validation`] that expects one ([`crate::jwt::ValidationBuilder::dpop_proof`] with a
//! [`DpopProofCheck`]). It runs the checks of RFC 9449 §4.3 in order: strict compact JWS → `typ`
//! `dpop+jwt` → `alg` asymmetric and in the caller's allowlist → the `jwk` header is a public
//! asymmetric key → the signature verifies with it → `jti`, `htm`, `htu`, `iat` present and typed
//! → `htm` and `htu` match the request (`htu` compared without query and fragment, after RFC 3986
//! normalization) → `iat` within the window → `nonce` when the server requires one → `ath` when
//! an access token is presented. [`VerifiedProof::check_binding`] then compares the access token's `cnf.jkt`
//! with the proof key's RFC 7638 thumbprint (§6.1). Replay (`jti` seen before) is the caller's
//! store's job: [`VerifiedProof::jti`] is what to remember, for [`VerifiedProof::iat`] + the
//! window.
//!
//! [`NewProof::sign`] makes one (`jwtkit dpop`), for clients and tests.
//!
//! ```
//! use jwtkit::dpop::{DpopProofCheck, NewProof};
//! use jwtkit::jwk::KeySpec;
//! use jwtkit::{JwkSet, JwsAlg, Key, Validation};
//! let key = Key::generate(KeySpec::for_alg(JwsAlg::ES256))?;
//! let proof = NewProof {
//!     method: "GET", url: "https://api.example/orders?page=2", access_token: Some("AT"),
//!     nonce: None, iat: 1_700_000_000,
//! }.sign(&key, JwsAlg::ES256)?;
//! let v = Validation::builder(JwsAlg::ES256)
//!     .now(1_700_000_010)
//!     .dpop_proof(DpopProofCheck::new("GET", "https://api.example/orders").access_token("AT"))
//!     .build()?;
//! let no_keys = JwkSet::default(); // the proof carries its key
//! let outcome = jwtkit::jwt::verify_local(&proof, &no_keys, &v);
//! assert!(outcome.is_valid(), "{:?}", outcome.error);
//! assert_eq!(outcome.dpop.unwrap().jkt, key.to_public().unwrap().thumbprint().to_string());
//! # Ok::<(), jwtkit::Error>(())
//! ```
//!
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use serde_json::Value;

use crate::check::Check;
use crate::error::{Result, err};
use crate::jwa::{AlgorithmSet, JwsAlg, KeyFamily};
use crate::jws::{CompactJws, Header, JwsOptions, Keys};
use crate::jwt::{ClaimValue, Claims, Outcome};
use crate::{JwkSet, Key, Validation};

/// The `typ` of a DPoP proof (§4.2).
pub(crate) const DPOP_TYP: &str = "dpop+jwt";

/// The request a DPoP proof must match (RFC 9449 §4.3 steps 8–12), for
/// [`crate::jwt::ValidationBuilder::dpop_proof`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpopProofCheck {
    method: String,
    url: String,
    ath: Option<String>,
    nonce: Option<String>,
    max_age: Duration,
    leeway: Duration,
}

impl DpopProofCheck {
    /// A proof for `method` (e.g. `GET`, compared case-sensitively as RFC 9110 methods are) and
    /// the request's absolute `url` (query and fragment ignored). Defaults: no access token (no
    /// `ath` required), no server nonce, `iat` at most 5 minutes old and 5 seconds in the future.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> DpopProofCheck {
        DpopProofCheck {
            method: method.into(),
            url: url.into(),
            ath: None,
            nonce: None,
            max_age: Duration::from_secs(300),
            leeway: Duration::from_secs(5),
        }
    }

    /// The access token presented with the proof (`Authorization: DPoP <token>`): the proof's
    /// `ath` must be [`NewProof::access_token_hash`] of it.
    pub fn access_token(self, token: &str) -> DpopProofCheck {
        self.ath(NewProof::access_token_hash(token))
    }

    /// The expected `ath` itself (base64url SHA-256 of the access token, §4.2), when only the
    /// hash is at hand.
    pub fn ath(mut self, ath: impl Into<String>) -> DpopProofCheck {
        self.ath = Some(ath.into());
        self
    }

    /// The nonce the server gave the client (`DPoP-Nonce`, §8): the proof must carry it, else
    /// `dpop_nonce_required`.
    pub fn nonce(mut self, nonce: impl Into<String>) -> DpopProofCheck {
        self.nonce = Some(nonce.into());
        self
    }

    /// How old `iat` may be. Default 5 minutes.
    pub fn max_age(mut self, max_age: Duration) -> DpopProofCheck {
        self.max_age = max_age;
        self
    }

    /// Clock skew allowed for an `iat` in the future. Default 5 seconds.
    pub fn leeway(mut self, leeway: Duration) -> DpopProofCheck {
        self.leeway = leeway;
        self
    }

    /// The `htu` form of a URL (§4.3 step 9): scheme and host lower-cased, the default port removed,
    /// percent-encodings of unreserved characters decoded (RFC 3986 §6.2.2), no query or fragment.
    ///
    /// # Errors
    /// `malformed` when `url` is not an absolute http(s) URL.
    pub fn normalize_htu(url: &str) -> Result<String> {
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err!(
                Malformed,
                "htu must not contain white space or control characters"
            ));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| err!(Malformed, "htu must be an absolute URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => "443",
            "http" => "80",
            _ => return Err(err!(Malformed, "htu must be an http or https URL")),
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(err!(Malformed, "htu must have a host and no user information"));
        }
        let authority = authority.to_ascii_lowercase();
        // The port follows the last ':' after an IPv6 literal's ']'.
        let port_at = authority
            .rfind(':')
            .filter(|&i| authority.rfind(']').is_none_or(|j| i > j));
        let authority = match port_at.map(|i| (i, authority.get(i + 1..).unwrap_or_default())) {
            Some((i, port)) if port.is_empty() || port == default_port => {
                authority.get(..i).unwrap_or_default().to_string()
            }
            _ => authority,
        };
        Ok(format!(
            "{scheme}://{authority}{}",
            remove_dot_segments(&decode_unreserved(path))
        ))
    }
}

fn asymmetric(set: AlgorithmSet<JwsAlg>) -> AlgorithmSet<JwsAlg> {
    set.iter().filter(|a| !a.is_hmac()).collect()
}

/// The DPoP stage of [`crate::jwt::verify_with`]: the whole of RFC 9449 §4.3 for `proof`, as an
/// [`Outcome`] whose key set is the proof's own `jwk` and whose `dpop` is set when it verified.
pub(crate) fn verify_stage<'k>(proof: &str, check: &DpopProofCheck, validation: &Validation) -> Outcome<'k> {
    match verify_proof(proof, check, validation) {
        Ok((v, key)) => Outcome {
            header: Some(v.header.clone()),
            alg: Some(v.alg),
            keys: Some(Keys::Shared(Arc::new(JwkSet::from_keys(vec![key])))),
            key_index: Some(0),
            payload: None,
            claims: Some(v.claims.clone()),
            sd_jwt: None,
            dpop: Some(v),
            error: None,
        },
        Err(e) => Outcome::failed(e.at(Check::DpopProof)),
    }
}

/// A proof that passed every check of RFC 9449 §4.3 ([`crate::jwt::Outcome::dpop`]).
#[derive(Debug)]
pub struct VerifiedProof {
    /// The proof's JWS Protected Header (with its `jwk`).
    pub header: Header,
    /// The proof's claims.
    pub claims: Claims,
    /// The algorithm that verified.
    pub alg: JwsAlg,
    /// RFC 7638 SHA-256 thumbprint (base64url) of the proof key: what `cnf.jkt` must be.
    pub jkt: String,
    /// `jti`: remember it until `iat + max_age` to refuse replays.
    pub jti: String,
    /// `iat`, seconds since the epoch.
    pub iat: i64,
}

/// Check a DPoP proof against the request (RFC 9449 §4.3); the verified proof and its key.
///
/// # Errors
/// `bad_dpop_proof` for every check of §4.3 (the message says which), `dpop_nonce_required`
/// when the server requires a nonce and the proof has none or another one (answer
/// `use_dpop_nonce` with a fresh `DPoP-Nonce`), `alg_not_allowed`, `alg_none`,
/// `unsupported_alg`, `bad_signature`, and the parse errors of [`CompactJws::parse`].
fn verify_proof(proof: &str, req: &DpopProofCheck, validation: &Validation) -> Result<(VerifiedProof, Key)> {
    let limits = validation.limits();
    let now = validation.now();
    let jws = CompactJws::parse(proof, limits)?;
    let header = jws.header();
    if !crate::jwt::token_type::typ_is(header, DPOP_TYP) {
        return Err(bad(format!(
            "typ must be \"dpop+jwt\", found {:?}",
            header.typ().unwrap_or("(none)")
        )));
    }
    let alg = header.alg()?;
    if alg.is_hmac() {
        return Err(bad(
            "a DPoP proof is signed with an asymmetric key, not an HMAC secret".into(),
        ));
    }
    let jwk = header
        .jwk()
        .ok_or_else(|| bad("the header has no jwk: the proof must carry its public key".into()))?;
    let key = Key::from_jwk(jwk).map_err(|e| bad(format!("the header's jwk: {}", e.message())))?;
    if key.family() == KeyFamily::Oct || key.is_private() {
        return Err(bad("the header's jwk must be a public asymmetric key".into()));
    }
    let jkt = key.thumbprint().to_string();
    let mut jws_opts = JwsOptions::new(asymmetric(validation.algorithms()));
    jws_opts.limits = *limits;
    let set = JwkSet::from_keys(vec![key]);
    let alg = crate::jws::check_header(jws.header(), &jws_opts)?;
    crate::jws::check_key_signature(&jws, &set, alg).map_err(|e| match e.kind() {
        crate::ErrorKind::KeyNotFound | crate::ErrorKind::KeyMismatch => {
            bad(format!("the header's jwk: {}", e.message()))
        }
        _ => e,
    })?;
    let (header, payload) = jws.into_parts();
    let claims = Claims::new(crate::json::parse_object(&payload, limits)?);
    let string = |name: &str| match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(bad(format!("{name} must be a non-empty string"))),
        None => Err(bad(format!("the proof has no {name}"))),
    };
    let jti = string("jti")?;
    let htm = string("htm")?;
    let htu = string("htu")?;
    let iat = match claims.iat() {
        ClaimValue::Present(t) if t.fract() == 0.0 => t as i64,
        ClaimValue::Present(_) | ClaimValue::Invalid(_) => {
            return Err(bad("iat must be an integer NumericDate".into()));
        }
        ClaimValue::Absent => return Err(bad("the proof has no iat".into())),
    };
    if htm != req.method {
        return Err(bad(format!("htm is {htm:?}, the request is {}", req.method)));
    }
    let want = DpopProofCheck::normalize_htu(&req.url)
        .map_err(|_| err!(InvalidConfig, "the request URL {:?} is not absolute", req.url))?;
    if DpopProofCheck::normalize_htu(&htu).ok().as_deref() != Some(want.as_str()) {
        return Err(bad(format!("htu {htu:?} is not the request URL {want:?}")));
    }
    let leeway = i64::try_from(req.leeway.as_secs()).unwrap_or(i64::MAX);
    let max_age = i64::try_from(req.max_age.as_secs()).unwrap_or(i64::MAX);
    if iat > now.saturating_add(leeway) {
        return Err(bad(format!("iat is {}s in the future", iat.saturating_sub(now))));
    }
    if iat < now.saturating_sub(max_age).saturating_sub(leeway) {
        return Err(bad(format!(
            "iat is {}s old, over the {}s window: make a new proof for each request",
            now.saturating_sub(iat),
            req.max_age.as_secs()
        )));
    }
    if let Some(nonce) = &req.nonce {
        match claims.get("nonce") {
            Some(Value::String(n)) if n == nonce => {}
            _ => {
                return Err(err!(
                    DpopNonceRequired,
                    "the server requires the DPoP-Nonce it gave in the proof's nonce"
                ));
            }
        }
    }
    match (&req.ath, claims.get("ath")) {
        (Some(want), Some(Value::String(ath))) => {
            if ath != want {
                return Err(bad("ath is not the hash of the access token presented".into()));
            }
        }
        (Some(_), _) => return Err(bad("the proof has no ath for the access token presented".into())),
        (None, _) => {}
    }
    let key = set
        .into_keys()
        .into_iter()
        .next()
        .ok_or_else(|| bad("the header has no jwk".into()))?;
    Ok((
        VerifiedProof {
            header,
            claims,
            alg,
            jkt,
            jti,
            iat,
        },
        key,
    ))
}

/// RFC 3986 §5.2.4: `/a/./b/../c` → `/a/c`.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // A trailing "." or ".." leaves the path ending in '/'.
        if i == last && (*seg == "." || *seg == "..") {
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}

/// Decode `%XX` where XX is an unreserved character (RFC 3986 §2.3); upper-case other escapes.
fn decode_unreserved(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%'
            && let (Some(&h), Some(&l)) = (b.get(i + 1), b.get(i + 2))
            && let (Some(hv), Some(lv)) = ((h as char).to_digit(16), (l as char).to_digit(16))
        {
            let v = (hv * 16 + lv) as u8;
            if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                out.push(v as char);
            } else {
                out.push('%');
                out.push((h as char).to_ascii_uppercase());
                out.push((l as char).to_ascii_uppercase());
            }
            i += 3;
            continue;
        }
        out.push(c as char);
        i += 1;
    }
    out
}

/// What a client puts in a new proof.
#[derive(Clone, Copy, Debug)]
pub struct NewProof<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request URL (query and fragment are dropped from `htu`).
    pub url: &'a str,
    /// The access token the proof goes with (`ath`), if any.
    pub access_token: Option<&'a str>,
    /// The server's `DPoP-Nonce`, if it gave one.
    pub nonce: Option<&'a str>,
    /// `iat`, seconds since the epoch.
    pub iat: i64,
}

impl NewProof<'_> {
    /// Sign a DPoP proof with the client's private `key` (its public part goes in the `jwk` header).
    ///
    /// # Errors
    /// `key_mismatch` for a secret or a public key, or a key that cannot sign `alg`; `malformed`
    /// for a URL that is not absolute http(s).
    pub fn sign(&self, key: &Key, alg: JwsAlg) -> Result<String> {
        if key.family() == KeyFamily::Oct {
            return Err(err!(
                KeyMismatch,
                "a DPoP proof is signed with a private asymmetric key, not a secret"
            ));
        }
        let public = key
            .to_public()
            .ok_or_else(|| err!(KeyMismatch, "a DPoP proof needs the private key"))?;
        let htu = DpopProofCheck::normalize_htu(self.url)?;
        let mut claims = crate::json::Object::new();
        claims.insert("jti".into(), crate::random::b64url(16).into());
        claims.insert("htm".into(), self.method.into());
        claims.insert("htu".into(), htu.into());
        claims.insert("iat".into(), self.iat.into());
        if let Some(t) = self.access_token {
            claims.insert("ath".into(), NewProof::access_token_hash(t).into());
        }
        if let Some(n) = self.nonce {
            claims.insert("nonce".into(), n.into());
        }
        let mut jwk = public.to_jwk(false);
        jwk.remove("kid");
        jwk.remove("alg");
        jwk.remove("use");
        jwk.remove("key_ops");
        crate::jws::Signer::new(key, alg)?
            .typ(DPOP_TYP)
            .param("jwk", Value::Object(jwk))
            .build()?
            .sign(Value::Object(claims).to_string().as_bytes())
    }

    /// `ath`: base64url(SHA-256(ASCII(access token))) (§4.2), 43 characters.
    pub fn access_token_hash(token: &str) -> String {
        crate::base64url::encode(digest::digest(&digest::SHA256, token.as_bytes()))
    }
}

impl VerifiedProof {
    /// The access token's `cnf.jkt` must be the proof key's thumbprint (RFC 9449 §6.1).
    ///
    /// # Errors
    /// `bad_token_binding` when the token has no `cnf.jkt` or another one.
    pub fn check_binding(&self, access_token_claims: &Claims) -> Result<()> {
        match access_token_claims.get("cnf").and_then(|c| c.get("jkt")) {
            Some(Value::String(jkt)) if *jkt == self.jkt => Ok(()),
            Some(_) => Err(err!(
                BadTokenBinding,
                "the access token is bound to another key (cnf.jkt) than the one that signed the DPoP proof"
            )),
            None => Err(err!(
                BadTokenBinding,
                "the access token has no cnf.jkt: it is not bound to a DPoP key"
            )),
        }
    }
}

fn bad(message: String) -> crate::Error {
    crate::Error::new(crate::ErrorKind::BadDpopProof, message)
}
