//! # jwtkit
//!
//! JOSE for people who have to know *why* a token fails: JWS ([RFC 7515]), JWE ([RFC 7516]),
//! JWK ([RFC 7517]),
//! JWA ([RFC 7518]), JWT ([RFC 7519]), JWK thumbprints ([RFC 7638]), EdDSA ([RFC 8037]),
//! unencoded payloads ([RFC 7797]), ES256K ([RFC 8812]), fully-specified Ed25519 ([RFC 9864]) and
//! ML-DSA with `AKP` keys ([RFC 9964]), with cryptography from `aws-lc-rs`.
//!
//! - **Strict parsing**: exactly 3 segments, canonical base64url, JSON objects without
//!   duplicate members, bounded sizes and depth ([`Limits`]).
//! - **Explicit algorithms**: the allowlist ([`AlgorithmSet<JwsAlg>`]) comes from the caller or the key,
//!   never from the token; `alg: none` never verifies; keys are bound to their family.
//! - **Errors with a stable kind** ([`ErrorKind`]) and a message naming the values involved.
//! - **Explaining** ([`diagnose`]): a diagnosis says what was tried and which usual mistake it
//!   looks like; **findings** ([`diagnose::Finding`]) flag weak tokens, keys and secrets.
//!
//! ```
//! use jwtkit::{JwkSet, JwsAlg, Key, Validation};
//! let key = Key::hmac(b"a secret of at least thirty-two bytes!".to_vec());
//! let token = jwtkit::jws::Signer::new(&key, JwsAlg::HS256)?.typ("JWT").build()?
//!     .sign(br#"{"iss":"https://issuer.example","exp":4102444800}"#)?;
//! let keys = JwkSet::from_keys(vec![key]);
//! let validation = Validation::builder(JwsAlg::HS256).issuer("https://issuer.example").build()?;
//! let verified = jwtkit::verify(&token, &keys, &validation)?;
//! assert_eq!(verified.alg, JwsAlg::HS256);
//! # Ok::<(), jwtkit::Error>(())
//! ```
//!
//! [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515
//! [RFC 7516]: https://www.rfc-editor.org/rfc/rfc7516
//! [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
//! [RFC 7518]: https://www.rfc-editor.org/rfc/rfc7518
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519
//! [RFC 7638]: https://www.rfc-editor.org/rfc/rfc7638
//! [RFC 7797]: https://www.rfc-editor.org/rfc/rfc7797
//! [RFC 8037]: https://www.rfc-editor.org/rfc/rfc8037
//! [RFC 8812]: https://www.rfc-editor.org/rfc/rfc8812
//! [RFC 9864]: https://www.rfc-editor.org/rfc/rfc9864
//! [RFC 9964]: https://www.rfc-editor.org/rfc/rfc9964
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub(crate) mod base64url;
mod calendar;
mod check;
mod crit;
pub mod dangerous;
pub mod diagnose;
pub mod dpop;
mod error;
pub mod json;
pub mod jwa;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
mod key;
mod limits;
mod random;
pub mod sd_jwt;
mod text;

pub use check::Check;
pub use error::{Detail, Error, ErrorKind, Fault, Result};
pub use jwa::{AlgorithmSet, EcCurve, EncAlg, JwsAlg, KeyFamily, KeyMgmtAlg, MlDsa, OkpCurve};
pub use jwk::JwkSet;
pub use jwk::{Key, KeyOp};
pub use jws::KeySource;
pub use jwt::{Claims, Validation, Verified, verify, verify_as};
pub use limits::Limits;

/// Entry points for fuzzing (cargo-fuzz targets call these); not a stable API.
#[doc(hidden)]
pub mod fuzzing;
