//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

/// A JWS in either serialization, signature only, through the one pipeline.
pub fn jws_verify(
    token: &str,
    keys: &jwtkit::JwkSet,
    opts: &jwtkit::jws::JwsOptions,
) -> jwtkit::Result<jwtkit::jws::VerifiedJws> {
    let input = jwtkit::jws::Input::new(token)
        .json_serialization()
        .signature_only();
    jwtkit::jwt::verify_local(input, keys, &opts.clone().into()).into_jws()
}

/// A JWS with detached content (RFC 7515 Appendix F), signature only, through the one pipeline.
pub fn jws_verify_detached(
    token: &str,
    content: &[u8],
    keys: &jwtkit::JwkSet,
    opts: &jwtkit::jws::JwsOptions,
) -> jwtkit::Result<jwtkit::jws::VerifiedJws> {
    let input = jwtkit::jws::Input::new(token)
        .json_serialization()
        .signature_only()
        .detached(content);
    jwtkit::jwt::verify_local(input, keys, &opts.clone().into()).into_jws()
}

/// The HMAC secret of the HS256 tests (32 bytes).
pub const HS256_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// A key set holding [`HS256_SECRET`].
pub fn hs256_keys() -> jwtkit::JwkSet {
    jwtkit::JwkSet::from_keys(vec![jwtkit::Key::hmac(HS256_SECRET.to_vec())])
}

/// A compact JWS of `payload` (any octets) signed HS256 with [`HS256_SECRET`], header `{"alg":"HS256"}`.
pub fn hs256_signed(payload: &[u8]) -> String {
    jwtkit::jws::Signer::new(&jwtkit::Key::hmac(HS256_SECRET.to_vec()), jwtkit::JwsAlg::HS256)
        .unwrap()
        .build()
        .unwrap()
        .sign(payload)
        .unwrap()
}
