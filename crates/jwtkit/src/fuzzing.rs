//! Entry points for fuzzing: the cargo-fuzz targets in `fuzz/` call these. Not a stable API.
//!
//! Each function takes arbitrary bytes and runs them through a public surface of the library;
//! the only failure is a panic, an allocation above libFuzzer's limit, or a timeout. Results are
//! discarded: errors are the expected outcome for almost every input.

use crate::EncAlg;
use crate::KeyMgmtAlg;
use std::sync::OnceLock;

use crate::jws::{JwsOptions, Signer};
use crate::{AlgorithmSet, JwkSet, JwsAlg, Key, KeyOp, Limits, Validation};

/// "Now" for every fuzz run (2023-11-14), so runs are reproducible.
const NOW: i64 = 1_700_000_000;

/// The HMAC secret of the first set member (RFC 7515 A.1), used to re-sign fuzzed tokens.
const HMAC_SECRET_B64: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

/// Public keys of the RFC examples, so the seed tokens verify and mutations reach every
/// signature path: RFC 7515 A.1 (oct), A.2 (RSA), A.3 (P-256), A.4 (P-521) and RFC 8037 A.2
/// (Ed25519) without `kid`; RFC 7520 §3.1 (P-521), §3.3 (RSA) and §3.5 (oct) with their `kid`.
const KEYS: &str = r#"{"keys":[
{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"},
{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"},
{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521","x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt","y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"},
{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig","e":"AQAB","n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"},
{"kty":"oct","kid":"018c0ae5-4d9b-471b-bfd6-eef314bc7037","use":"sig","alg":"HS256","k":"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"}
]}"#;

struct Fixture {
    keys: JwkSet,
    hmac: JwkSet,
    any: Validation,
    strict: Validation,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let keys = JwkSet::parse(KEYS.as_bytes(), &Limits::default()).ok()?;
            let secret = crate::base64url::decode(HMAC_SECRET_B64).ok()?;
            let hmac = JwkSet::from_keys(vec![Key::hmac(secret)]);
            let any = Validation::builder(AlgorithmSet::<JwsAlg>::all())
                .now(NOW)
                .build()
                .ok()?;
            let strict = Validation::builder(JwsAlg::HS256)
                .now(NOW)
                .issuer("joe")
                .audience("aud")
                .require("sub")
                .subject("42")
                .typ("JWT")
                .max_age(std::time::Duration::from_secs(3600))
                .build()
                .ok()?;
            Some(Fixture {
                keys,
                hmac,
                any,
                strict,
            })
        })
        .as_ref()
}

/// A compact token: decode unverified, lint, verify against keys of every family and diagnose;
/// then re-sign its first two segments with the HMAC key and verify again, so that mutated
/// headers and claims get past the signature and reach claim validation.
pub fn compact_jws(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::dangerous::Unverified::decode(text, &Limits::default());
    let _ = crate::diagnose::lint::token_findings_for(text, NOW);
    let Some(f) = fixture() else {
        return;
    };
    let _ = crate::verify(text, &f.keys, &f.any);
    let _ = crate::diagnose::Diagnosis::explain(text, &f.keys, &f.any, &[]);
    let Some((signing_input, _)) = text.rsplit_once('.') else {
        return;
    };
    let Some(key) = f.hmac.keys().first() else {
        return;
    };
    if let Ok(sig) = crate::key::sig::sign(JwsAlg::HS256, key, signing_input.as_bytes()) {
        let token = format!("{signing_input}.{}", crate::base64url::encode(sig));
        let _ = crate::verify(&token, &f.hmac, &f.any);
        let _ = crate::verify(&token, &f.hmac, &f.strict);
        let _ = jws_signature(&token, &f.hmac, JwsOptions::new(JwsAlg::HS256));
    }
}

/// Any key document (JWK, JWK Set, PEM, DER), then everything done with a loaded key: export,
/// findings, and a sign → verify round trip with its first algorithm.
pub fn key_document(data: &[u8]) {
    let limits = Limits::default();
    let _ = JwkSet::parse(data, &limits);
    let Ok((set, _)) = crate::JwkSet::load(data, &limits) else {
        return;
    };
    for k in set.keys() {
        let _ = k.to_jwk(true);
        let _ = k.public_key_pem();
        let _ = k.private_key_pem();
        let _ = k.to_public();
        let _ = crate::diagnose::Finding::for_key(k, None);
        let Some(alg) = k.algorithms().iter().next() else {
            continue;
        };
        if k.check_use(alg, KeyOp::Sign).is_err() {
            continue;
        }
        let Ok(signer) = Signer::new(k, alg).and_then(|s| s.allow_weak_key(true).build()) else {
            continue;
        };
        if let Ok(token) = signer.sign(b"{\"sub\":\"42\"}") {
            let public = k
                .to_public()
                .unwrap_or_else(|| Key::hmac(k.secret_bytes().unwrap_or_default()));
            let _ = jws_signature(&token, &JwkSet::from_keys(vec![public]), JwsOptions::new(alg));
        }
    }
}

/// Strict JSON, with a differential check: whenever the single-pass fast path accepts a
/// document, the reference path (pre-scan + serde_json) must accept it with an equal value.
/// Run at the default depth limit and at a small one so both sides of the limit are reached.
pub fn json_strict(data: &[u8]) {
    for max_json_depth in [Limits::default().max_json_depth, 2] {
        let limits = Limits {
            max_json_depth,
            ..Limits::default()
        };
        let value = crate::json::parse_value(data, &limits);
        if let Some(fast) = crate::json::parse_fast(data, max_json_depth) {
            let reference = crate::json::parse_reference(data, max_json_depth);
            assert!(
                std::str::from_utf8(data).is_ok()
                    && reference.as_ref().is_ok_and(|r| *r == fast)
                    && value.is_ok_and(|v| v == fast),
                "fast and reference JSON paths disagree: {reference:?}"
            );
        }
        // The checking pass (claims of a token) accepts only what the fast path accepts, and
        // keeps the same member values.
        let keep = ["exp", "aud", "a", ""];
        let mut kept = Default::default();
        let slot = |name: &str| keep.iter().position(|k| *k == name);
        if crate::json::check_object_keeping(data, max_json_depth, slot, &mut kept) {
            let fast = crate::json::parse_fast(data, max_json_depth);
            let object = fast.as_ref().and_then(serde_json::Value::as_object);
            assert!(
                object.is_some_and(|o| keep.map(|k| o.get(k)) == kept.each_ref().map(Option::as_ref)),
                "checking pass and fast path disagree: {fast:?} {kept:?}"
            );
        }
        // Verification's checking pass keeps the registered claims without building values
        // (borrowed strings, integers as floats): they must read as the built map's values.
        let _ = crate::jwt::claims::parse_validated(
            data.to_vec(),
            &limits,
            |e| e,
            |kept, claims| {
                use crate::jwt::claims::{audience, numeric_date, string};
                let map = claims.registered();
                assert_eq!(
                    format!("{:?}", [kept.exp, kept.nbf, kept.iat].map(numeric_date)),
                    format!("{:?}", [map.exp, map.nbf, map.iat].map(numeric_date)),
                );
                assert_eq!(
                    [kept.iss, kept.sub].map(string),
                    [map.iss, map.sub].map(string),
                    "kept and built string claims disagree"
                );
                assert_eq!(
                    audience(kept.aud),
                    audience(map.aud),
                    "kept and built aud disagree"
                );
                Ok(())
            },
        );
        // The typed checking pass (`jwtkit::verify_as`) accepts only what the untyped one
        // accepts, reads what serde_json reads from the same text, and keeps the same
        // registered claims: for a type that reads everything, and one that skips, flattens
        // and holds raw JSON.
        typed_read::<serde_json::Value>(data, max_json_depth);
        typed_read::<FuzzClaims>(data, max_json_depth);
    }
}

/// A claims type that reads some members, skips others and keeps the rest.
#[derive(Debug, serde::Deserialize)]
struct FuzzClaims {
    sub: Option<String>,
    exp: Option<u64>,
    a: Option<Vec<serde_json::Value>>,
    raw: Option<Box<serde_json::value::RawValue>>,
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, serde_json::Value>,
}

impl PartialEq for FuzzClaims {
    fn eq(&self, other: &FuzzClaims) -> bool {
        (&self.sub, self.exp, &self.a, &self.rest) == (&other.sub, other.exp, &other.a, &other.rest)
            && self.raw.as_ref().map(|r| r.get()) == other.raw.as_ref().map(|r| r.get())
    }
}

/// [`json_strict`]'s check of the typed checking pass for one type.
fn typed_read<T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    data: &[u8],
    max_json_depth: usize,
) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registered = ["exp", "nbf", "iat", "iss", "sub", "aud"];
    let slot = |name: &str| registered.iter().position(|r| *r == name);
    let mut typed_kept = Default::default();
    let Some(value) = crate::json::read_keeping::<T, 6>(text, max_json_depth, slot, &mut typed_kept) else {
        return;
    };
    let mut kept = Default::default();
    assert!(
        crate::json::check_str_keeping(text, max_json_depth, slot, &mut kept),
        "the typed pass accepted what the checking pass refuses"
    );
    assert_eq!(
        typed_kept.each_ref().map(|k| k.as_ref().map(kept_reading)),
        kept.each_ref().map(|k| k.as_ref().map(kept_reading)),
        "typed and untyped passes kept different registered claims"
    );
    assert_eq!(
        serde_json::from_str::<T>(text).ok(),
        Some(value),
        "the typed pass read another value"
    );
}

/// A kept member as validation reads it (an integer is a number however it was kept; `-0` and
/// `0` are the same NumericDate).
fn kept_reading(kept: &crate::json::Kept<'_>) -> String {
    match kept {
        crate::json::Kept::Str(s) => format!("string {s:?}"),
        crate::json::Kept::Int(n) => format!("number {:?}", Some(n + 0.0)),
        crate::json::Kept::Value(serde_json::Value::Number(n)) => {
            format!("number {:?}", n.as_f64().map(|n| n + 0.0))
        }
        crate::json::Kept::Value(v) => format!("value {v}"),
    }
}

/// Extract a token from pasted text, then decode what was found.
pub fn paste(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let found = crate::diagnose::Extracted::from_paste(text);
        let _ = crate::dangerous::Unverified::decode(&found.token, &Limits::default());
    }
}

/// Decode unverified, then try to decrypt (compact or JSON JWE) with fixed symmetric keys
/// under every key management and content encryption algorithm, and as a nested JWT.
pub fn compact_jwe(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = crate::Limits::default();
    let _ = crate::dangerous::Unverified::decode(text, &limits);
    let _ = crate::jwe::Jwe::parse(text, &limits);
    let keys = crate::JwkSet::from_keys(vec![
        crate::Key::hmac(vec![0x42; 16]),
        crate::Key::hmac(vec![0x42; 32]),
        crate::Key::hmac(b"fuzz password".to_vec()),
    ]);
    let mut opts = crate::jwe::DecryptOptions::new(
        crate::AlgorithmSet::<KeyMgmtAlg>::all(),
        crate::AlgorithmSet::<EncAlg>::all(),
    );
    // Keep PBKDF2 cheap for the fuzzer; the bound itself is what is exercised.
    opts.limits.max_pbes2_count = 100;
    let _ = opts.decrypt(text, &keys);
    if let Ok(v) = crate::Validation::builder(crate::AlgorithmSet::<JwsAlg>::all())
        .now(1_700_000_000)
        .build()
    {
        let _ = crate::jwt::decrypt_then_verify(text, &keys, &opts, &keys, &v);
    }
}

/// A JWS in either serialization, signature only, through the one pipeline.
fn jws_signature(token: &str, keys: &JwkSet, opts: JwsOptions) -> crate::Result<crate::jws::VerifiedJws> {
    let input = crate::jws::Input::new(token)
        .json_serialization()
        .signature_only();
    crate::jwt::verify_local(input, keys, &crate::Validation::from(opts)).into_jws()
}
