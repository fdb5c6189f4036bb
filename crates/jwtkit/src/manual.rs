//! Reference pages (documentation only, no code): [the order of checks](#validation-order)
//! for JWS/JWT and [the order of checks for JWE](#jwe-decryption-order).
//!
//! ## Validation order
//!
//! Every entry point runs the same checks in the same order, and reports the **first** failure.
//! Each step has a test vector that fails exactly there (`crates/jwtkit/tests/attacks/`).
//!
//! | # | step | error kinds |
//! |---|---|---|
//! | 1 | size: the token is at most `Limits::max_token_bytes` (256 KiB) | `resource_limit` |
//! | 2 | segments: exactly 3 (JWS) or 5 (JWE) | `malformed` |
//! | 3 | base64url: every segment strict (no padding, URL-safe alphabet, canonical) | `bad_base64` |
//! | 4 | strict JSON header: UTF-8 object, no duplicate members, depth ≤ 64 | `bad_json`, `duplicate_member`, `resource_limit` |
//! | 5 | header parameters: `alg` present, registered parameters well-typed, `crit` understood | `malformed`, `unsupported_crit` |
//! | 6 | algorithm: not `none`, known, in the caller's allowlist | `alg_none`, `unsupported_alg`, `alg_not_allowed` |
//! | 7 | key selection: by `kid`, then family/`alg`/`use`/`key_ops` of the key | `key_not_found`, `key_mismatch` |
//! | 8 | signature (constant-time for HMAC) | `bad_signature` |
//! | 9 | claims set: strict JSON object (parsed only now, after the signature) | `bad_json`, `duplicate_member` |
//! | 10 | NumericDate types of `exp`, `nbf`, `iat` (a string is never "absent") | `malformed` |
//! | 11 | required claims | `missing_claim` |
//! | 12 | `exp` (expired when now − leeway ≥ exp) | `expired` |
//! | 13 | `nbf` (not valid when now + leeway < nbf) | `not_yet_valid` |
//! | 14 | `iat` (in the future when iat > now + leeway) | `issued_in_future` |
//! | 15 | maximum age (now − leeway − iat > max age) | `too_old`, `missing_claim` |
//! | 16 | `iss` exact match against any configured issuer, else an issuer template's tenant claim (present, a string, of the tenant shape, filling the template to exactly `iss`, allowed) | `bad_issuer`, `missing_claim`, `malformed` |
//! | 17 | `aud` contains a configured audience; a token with `aud` and no configured audience is rejected | `bad_audience`, `missing_claim` |
//! | 18 | `sub` | `bad_subject` |
//! | 19 | header `typ` (case-insensitive, `application/` optional) | `bad_type` |
//!
//! Leeway defaults to 60 seconds and applies to steps 12–15.
//!
//! With **detached content** ([`crate::jwt::Input::detached`];
//! RFC 7515 Appendix F) the same steps run over the supplied payload: step 1 also counts the
//! content, encoded, as if it were attached (`resource_limit`); between steps 4 and 6 a token
//! that carries a non-empty payload is rejected (`malformed`: the content goes in one place
//! only); step 8 checks the signature over `BASE64URL(header) . BASE64URL(content)` (the raw
//! content with `b64: false`); step 9 parses the content as the claims set.
//!
//! ## JWE decryption order
//!
//! RFC 7516 §5.2, step by step.
//!
//! [`crate::jwe::DecryptOptions::decrypt`] (and the CLI's `decrypt`, and `verify` on a JWE) runs these steps and
//! reports the first failure. Steps J1–J8 depend only on the token and the caller's configuration;
//! from step J9 on, every failure is the same fixed `decrypt_failed` (no padding, key-unwrap or
//! curve oracle). Bounds are checked before the work they bound.
//!
//! | # | step | error kinds |
//! |---|---|---|
//! | J1 | size ≤ `Limits::max_token_bytes`; JSON: recipients ≤ `Limits::max_recipients` (16) | `resource_limit` |
//! | J2 | compact: exactly 5 segments; JSON: `ciphertext` present, member types | `malformed` |
//! | J3 | base64url strict for every segment / member | `bad_base64` |
//! | J4 | strict JSON protected header | `bad_json`, `duplicate_member`, `resource_limit` |
//! | J5 | JOSE Header: protected, shared and per-recipient headers disjoint, `crit` protected and understood, `alg`/`enc` present, parameter types | `malformed`, `unsupported_crit` |
//! | J6 | `alg`: known, in the key management allowlist; `RSA1_5` refused without the insecure option | `unsupported_alg`, `alg_not_allowed` |
//! | J7 | `enc`: known, in the content encryption allowlist; `zip` only `DEF`; `p2c` ≤ `Limits::max_pbes2_count` (10,000), `p2s` ≥ 8 bytes, `epk`/`iv`/`tag` present | `unsupported_alg`, `alg_not_allowed`, `resource_limit`, `malformed` |
//! | J8 | key selection: `kid`, family, JWK `alg`/`use`/`key_ops`, private key, exact symmetric key length | `key_not_found`, `key_mismatch` |
//! | J9 | key management: RSA-OAEP / RSA1_5 (random CEK on failure, RFC 7516 §11.5), AES KW, AES GCM KW, PBES2, ECDH-ES (`epk` on the key's curve); CEK length | `decrypt_failed` |
//! | J10 | content: IV and tag lengths, tag (constant time, before any CBC decryption), decryption | `decrypt_failed` |
//! | J11 | `zip: DEF`: inflate to at most min(`max_inflated_bytes`, 64 KiB + `max_inflate_ratio` × compressed) | `resource_limit`, `decrypt_failed` |
//! | J12 | nested JWT (`cty: JWT`, [`crate::jwe::decrypt_then_verify`]): the JWS steps 1–19 above with the signature allowlist | as above |
