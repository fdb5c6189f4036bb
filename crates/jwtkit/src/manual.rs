//! Reference pages (documentation only, no code).

/// # The order of checks
///
/// Every entry point runs the same checks in the same order, and reports the **first** failure.
/// Each step has a test vector that fails exactly there (`crates/jwtkit/tests/attacks/`).
///
/// | # | step | error kinds |
/// |---|---|---|
/// | 1 | size: the token is at most `Limits::max_token_bytes` (256 KiB) | `resource_limit` |
/// | 2 | segments: exactly 3 (JWS) or 5 (JWE) | `malformed` |
/// | 3 | base64url: every segment strict (no padding, URL-safe alphabet, canonical) | `bad_base64` |
/// | 4 | strict JSON header: UTF-8 object, no duplicate members, depth ≤ 64 | `bad_json`, `duplicate_member`, `resource_limit` |
/// | 5 | header parameters: `alg` present, registered parameters well-typed, `crit` understood | `malformed`, `unsupported_crit` |
/// | 6 | algorithm: not `none`, known, in the caller's allowlist | `alg_none`, `unsupported_alg`, `alg_not_allowed` |
/// | 7 | key selection: by `kid`, then family/`alg`/`use`/`key_ops` of the key | `key_not_found`, `key_mismatch` |
/// | 8 | signature (constant-time for HMAC) | `bad_signature` |
/// | 9 | claims set: strict JSON object (parsed only now, after the signature) | `bad_json`, `duplicate_member` |
/// | 10 | NumericDate types of `exp`, `nbf`, `iat` (a string is never "absent") | `malformed` |
/// | 11 | required claims | `missing_claim` |
/// | 12 | `exp` (expired when now − leeway ≥ exp) | `expired` |
/// | 13 | `nbf` (not valid when now + leeway < nbf) | `not_yet_valid` |
/// | 14 | `iat` (in the future when iat > now + leeway) | `issued_in_future` |
/// | 15 | maximum age (now − leeway − iat > max age) | `too_old`, `missing_claim` |
/// | 16 | `iss` exact match against any configured issuer | `bad_issuer`, `missing_claim` |
/// | 17 | `aud` contains a configured audience; a token with `aud` and no configured audience is rejected | `bad_audience`, `missing_claim` |
/// | 18 | `sub` | `bad_subject` |
/// | 19 | header `typ` (case-insensitive, `application/` optional) | `bad_type` |
///
/// Leeway defaults to 60 seconds and applies to steps 12–15.
pub mod validation_order {}
