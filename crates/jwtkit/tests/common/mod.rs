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
