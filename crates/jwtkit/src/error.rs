//! One error type for every JOSE operation, with a stable machine-readable [`ErrorKind`].
//!
//! Kinds are part of the public contract (the CLI's `--json`, the debugger's API and the
//! gateway's logs print them): they are added, never renamed. A test pins the full list.
//!
//! Messages are lowercase, carry the values involved (claim, expected, found, now, leeway) and
//! end with a hint where one helps. `bad_signature` and `decrypt_failed` always carry the same
//! fixed message: no detail about *why* the cryptography failed leaks to whoever sent the token
//! (use [`crate::diagnose`] to investigate locally).

use std::fmt;
use std::sync::Arc;

use crate::check::Check;

/// The stable kind of an [`Error`]; [`ErrorKind::as_str`] gives the name used in JSON output.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The token or document does not have the required structure (segment count, member types,
    /// claim types such as a string `exp`).
    Malformed,
    /// A segment is not strict base64url (RFC 7515 §2): padding, `+`/`/`, whitespace,
    /// impossible length or non-canonical trailing bits.
    BadBase64,
    /// A header, payload or key document is not valid JSON, not UTF-8, or not a JSON object.
    BadJson,
    /// A JSON object has the same member name twice (RFC 7515 §5.2, RFC 7519 §4).
    DuplicateMember,
    /// The token's `alg` (or `enc`) is a known algorithm the caller did not allow.
    AlgNotAllowed,
    /// The token's `alg` is `none` (in any letter case): unsecured JWS are never verified.
    AlgNone,
    /// The key cannot be used with the token's algorithm (wrong family, curve, `use` or `key_ops`).
    KeyMismatch,
    /// No key in the JWK Set matches the token's `kid` (or fits its algorithm).
    KeyNotFound,
    /// The signature does not verify. Always the same message: no oracle.
    BadSignature,
    /// `exp` is in the past (RFC 7519 §4.1.4), leeway included.
    Expired,
    /// `nbf` is in the future (RFC 7519 §4.1.5), leeway included.
    NotYetValid,
    /// `iat` is in the future, leeway included.
    IssuedInFuture,
    /// `iat` is older than the configured maximum token age.
    TooOld,
    /// `iss` is not one of the expected issuers.
    BadIssuer,
    /// `aud` contains none of the expected audiences.
    BadAudience,
    /// `sub` is not the expected subject.
    BadSubject,
    /// The `typ` header is not the expected type.
    BadType,
    /// A required claim is absent.
    MissingClaim,
    /// The `crit` header names an extension this verifier does not understand (RFC 7515 §4.1.11).
    UnsupportedCrit,
    /// The algorithm is unknown to jwtkit, or refused by default (e.g. `RSA1_5`).
    UnsupportedAlg,
    /// A configured limit was exceeded (token size, JSON depth, PBES2 count, inflated size, keys).
    ResourceLimit,
    /// JWE decryption failed. Always the same message: no padding or key-unwrap oracle.
    DecryptFailed,
    /// The token was revoked (gateway).
    Revoked,
    /// The token lacks a required scope (gateway).
    InsufficientScope,
    /// Keys could not be fetched from a JWKS or discovery URL.
    KeyFetchFailed,
    /// A key could not be parsed or is unusable (wrong size, inconsistent components, unknown curve).
    BadKey,
    /// The caller's configuration is invalid (empty algorithm allowlist, conflicting options).
    /// Never produced by token bytes.
    InvalidConfig,
    /// An SD-JWT Disclosure does not fit the Issuer-signed JWT (RFC 9901 §7.1): a digest given
    /// twice, a Disclosure given twice or referenced by nothing, a claim disclosed where one of
    /// that name exists, an array element disclosed as a property or the reverse.
    BadDisclosure,
    /// An SD-JWT's Key Binding JWT is missing where required, or does not bind this
    /// presentation (RFC 9901 §7.3: `sd_hash`, `nonce`, no `cnf` key).
    BadKeyBinding,
    /// A DPoP proof (RFC 9449 §4.3) does not check: wrong `typ`, a symmetric or private key,
    /// `htm`/`htu` not the request's, `iat` outside the window, `ath` not the token's hash.
    /// HTTP answer: `invalid_dpop_proof`.
    BadDpopProof,
    /// The server requires a DPoP nonce and the proof has none, or an old one (RFC 9449 §8).
    /// HTTP answer: `use_dpop_nonce` with a fresh `DPoP-Nonce`.
    DpopNonceRequired,
    /// A sender-constrained token is presented with another key than it is bound to
    /// (`cnf.jkt`, RFC 9449 §6; `cnf.x5t#S256`, RFC 8705 §3), or is not bound where it must be.
    BadTokenBinding,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 32] = [
        ErrorKind::Malformed,
        ErrorKind::BadBase64,
        ErrorKind::BadJson,
        ErrorKind::DuplicateMember,
        ErrorKind::AlgNotAllowed,
        ErrorKind::AlgNone,
        ErrorKind::KeyMismatch,
        ErrorKind::KeyNotFound,
        ErrorKind::BadSignature,
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::IssuedInFuture,
        ErrorKind::TooOld,
        ErrorKind::BadIssuer,
        ErrorKind::BadAudience,
        ErrorKind::BadSubject,
        ErrorKind::BadType,
        ErrorKind::MissingClaim,
        ErrorKind::UnsupportedCrit,
        ErrorKind::UnsupportedAlg,
        ErrorKind::ResourceLimit,
        ErrorKind::DecryptFailed,
        ErrorKind::Revoked,
        ErrorKind::InsufficientScope,
        ErrorKind::KeyFetchFailed,
        ErrorKind::BadKey,
        ErrorKind::InvalidConfig,
        ErrorKind::BadDisclosure,
        ErrorKind::BadKeyBinding,
        ErrorKind::BadDpopProof,
        ErrorKind::DpopNonceRequired,
        ErrorKind::BadTokenBinding,
    ];

    /// The stable snake_case name (`"expired"`, `"alg_not_allowed"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::BadBase64 => "bad_base64",
            ErrorKind::BadJson => "bad_json",
            ErrorKind::DuplicateMember => "duplicate_member",
            ErrorKind::AlgNotAllowed => "alg_not_allowed",
            ErrorKind::AlgNone => "alg_none",
            ErrorKind::KeyMismatch => "key_mismatch",
            ErrorKind::KeyNotFound => "key_not_found",
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::Expired => "expired",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::TooOld => "too_old",
            ErrorKind::BadIssuer => "bad_issuer",
            ErrorKind::BadAudience => "bad_audience",
            ErrorKind::BadSubject => "bad_subject",
            ErrorKind::BadType => "bad_type",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::UnsupportedCrit => "unsupported_crit",
            ErrorKind::UnsupportedAlg => "unsupported_alg",
            ErrorKind::ResourceLimit => "resource_limit",
            ErrorKind::DecryptFailed => "decrypt_failed",
            ErrorKind::Revoked => "revoked",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::KeyFetchFailed => "key_fetch_failed",
            ErrorKind::BadKey => "bad_key",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::BadDisclosure => "bad_disclosure",
            ErrorKind::BadKeyBinding => "bad_key_binding",
            ErrorKind::BadDpopProof => "bad_dpop_proof",
            ErrorKind::DpopNonceRequired => "dpop_nonce_required",
            ErrorKind::BadTokenBinding => "bad_token_binding",
        }
    }

    /// The check an error of this kind fails by default, when the code that raised it did
    /// not name a more precise one.
    pub(crate) const fn check(self) -> Check {
        match self {
            ErrorKind::ResourceLimit => Check::Size,
            ErrorKind::Malformed => Check::Segments,
            ErrorKind::BadBase64 => Check::Base64,
            ErrorKind::BadJson | ErrorKind::DuplicateMember => Check::HeaderJson,
            ErrorKind::UnsupportedCrit => Check::HeaderParams,
            ErrorKind::AlgNone | ErrorKind::AlgNotAllowed | ErrorKind::UnsupportedAlg => Check::Algorithm,
            ErrorKind::KeyMismatch | ErrorKind::KeyNotFound | ErrorKind::KeyFetchFailed => Check::Key,
            ErrorKind::BadSignature => Check::Signature,
            ErrorKind::MissingClaim => Check::RequiredClaims,
            ErrorKind::Expired => Check::Exp,
            ErrorKind::NotYetValid => Check::Nbf,
            ErrorKind::IssuedInFuture => Check::Iat,
            ErrorKind::TooOld => Check::MaxAge,
            ErrorKind::BadIssuer => Check::Iss,
            ErrorKind::BadAudience => Check::Aud,
            ErrorKind::BadSubject => Check::Sub,
            ErrorKind::BadType => Check::Typ,
            ErrorKind::DecryptFailed => Check::Decryption,
            ErrorKind::Revoked | ErrorKind::InsufficientScope => Check::Policy,
            ErrorKind::BadKey => Check::KeyInput,
            ErrorKind::InvalidConfig => Check::Config,
            ErrorKind::BadDisclosure => Check::Disclosures,
            ErrorKind::BadKeyBinding => Check::KeyBinding,
            ErrorKind::BadDpopProof | ErrorKind::DpopNonceRequired => Check::DpopProof,
            ErrorKind::BadTokenBinding => Check::TokenBinding,
        }
    }

    /// Who has to act to fix an error of this kind.
    pub const fn fault(self) -> Fault {
        match self {
            ErrorKind::KeyFetchFailed => Fault::Remote,
            ErrorKind::BadKey => Fault::Key,
            ErrorKind::InvalidConfig => Fault::Caller,
            _ => Fault::Token,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ErrorKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Who is at fault for an error: decides exit codes and HTTP statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The token (or the party that issued it): reject it; HTTP 401, CLI exit 1.
    Token,
    /// A key given by the operator is unusable: CLI exit 3.
    Key,
    /// The calling code or configuration: CLI exit 2/3, HTTP 500.
    Caller,
    /// A remote key source failed: HTTP 503, CLI exit 4.
    Remote,
}

impl Fault {
    /// `"token"`, `"key"`, `"caller"` or `"remote"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Fault::Token => "token",
            Fault::Key => "key",
            Fault::Caller => "caller",
            Fault::Remote => "remote",
        }
    }
}

/// Structured context attached to an error, for machine output and precise messages.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    /// A time claim failed: `value` is the claim (seconds since the epoch), `now` the
    /// verifier's clock (seconds), `leeway` in seconds.
    Time {
        /// `"exp"`, `"nbf"` or `"iat"`.
        claim: &'static str,
        /// The claim's value, seconds since 1970-01-01T00:00:00Z.
        value: f64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// Allowed clock skew, seconds.
        leeway: u64,
    },
    /// A value did not match what was expected.
    Mismatch {
        /// The claim or header parameter (`"iss"`, `"aud"`, `"typ"`, `"alg"`, ...).
        claim: String,
        /// The accepted values.
        expected: Vec<String>,
        /// The value found in the token, if any.
        found: Option<String>,
    },
    /// A problem located in one segment of a compact serialization.
    Segment {
        /// Zero-based segment index.
        index: usize,
        /// `"header"`, `"payload"`, `"signature"`, `"encrypted_key"`, `"iv"`, `"ciphertext"`, `"tag"`.
        name: &'static str,
    },
    /// A limit was exceeded.
    Limit {
        /// What was measured (`"token_bytes"`, `"json_depth"`, `"p2c"`, ...).
        what: &'static str,
        /// The configured limit.
        limit: u64,
        /// The measured value (a lower bound when measuring stopped early).
        actual: u64,
    },
    /// Key selection failed.
    Keys {
        /// The token's `kid`, if it had one.
        kid: Option<String>,
        /// The `kid`s (or thumbprints for keys without `kid`) available.
        available: Vec<String>,
    },
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    detail: Option<Detail>,
    check: Option<Check>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// A JOSE error: a stable [`ErrorKind`], a human message and optional [`Detail`].
#[derive(Clone)]
pub struct Error(Box<Inner>);

/// Shorthand for `Result<T, jwtkit::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) const BAD_SIGNATURE_MESSAGE: &str = "signature does not verify with the given key";
pub(crate) const DECRYPT_FAILED_MESSAGE: &str = "decryption failed";

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            detail: None,
            check: None,
            source: None,
        }))
    }

    /// The fixed `bad_signature` error (identical for every cause).
    pub fn bad_signature() -> Error {
        Error::new(ErrorKind::BadSignature, BAD_SIGNATURE_MESSAGE)
    }

    /// The fixed `decrypt_failed` error (identical for every cause).
    pub fn decrypt_failed() -> Error {
        Error::new(ErrorKind::DecryptFailed, DECRYPT_FAILED_MESSAGE)
    }

    /// Attach structured context.
    pub fn with_detail(mut self, detail: Detail) -> Error {
        self.0.detail = Some(detail);
        self
    }

    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The human message (lowercase, no trailing period).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Structured context, when there is some.
    pub fn detail(&self) -> Option<&Detail> {
        self.0.detail.as_ref()
    }

    /// Who has to act: see [`Fault`].
    pub fn fault(&self) -> Fault {
        self.0.kind.fault()
    }

    /// The step of the order of checks that failed ([`Check`]): named by the code that
    /// raised the error where the kind alone is ambiguous (a `malformed` claim type, a
    /// `missing_claim` for `iss`, a `bad_json` claims set), else the usual step of the kind.
    pub fn check(&self) -> Check {
        self.0.check.unwrap_or(match (self.0.kind, &self.0.detail) {
            // A JSON depth limit is met while parsing JSON, not at the size check.
            (
                ErrorKind::ResourceLimit,
                Some(Detail::Limit {
                    what: "json_depth", ..
                }),
            ) => Check::HeaderJson,
            (kind, _) => kind.check(),
        })
    }

    /// Name the step that failed ([`Error::check`]), for an error raised by a front end at a
    /// step of the core's order (e.g. the gateway's own claim-type rule).
    pub fn with_check(mut self, check: Check) -> Error {
        self.0.check = Some(check);
        self
    }

    /// Keep the lower-level error this one was made from (an I/O or HTTP error), for
    /// [`std::error::Error::source`]; the message already names it.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.0.source = Some(Arc::new(source));
        self
    }

    /// Name the step that failed, unless the error already names one.
    pub(crate) fn at(mut self, check: Check) -> Error {
        self.0.check.get_or_insert(check);
        self
    }

    /// Name the step that failed, replacing any step named before (for shared parsing code
    /// whose steps are renamed by the caller, e.g. a JWS step inside a JWE).
    pub(crate) fn map_check(mut self, f: impl FnOnce(Check) -> Check) -> Error {
        let check = f(self.check());
        self.0.check = Some(check);
        self
    }

    /// Prefix the message with context (`"header: "`, `"key 2: "`, `"JWK Set at \"…\": "`),
    /// keeping kind, detail, step and source.
    pub fn context(mut self, prefix: &str) -> Error {
        self.0.message = format!("{prefix}{}", self.0.message);
        self
    }

    /// The error as the JSON object used by the CLI's `--json`, the debugger and the gateway
    /// logs: `{"kind", "message", "fault", ...detail members}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let mut m = Map::new();
        m.insert("kind".into(), Value::from(self.kind().as_str()));
        m.insert("message".into(), Value::from(self.message()));
        m.insert("fault".into(), Value::from(self.fault().as_str()));
        match self.detail() {
            Some(Detail::Time {
                claim,
                value,
                now,
                leeway,
            }) => {
                m.insert("claim".into(), json!(claim));
                m.insert("value".into(), numeric_json(*value));
                m.insert("now".into(), json!(now));
                m.insert("leeway".into(), json!(leeway));
            }
            Some(Detail::Mismatch {
                claim,
                expected,
                found,
            }) => {
                m.insert("claim".into(), json!(claim));
                m.insert("expected".into(), json!(expected));
                m.insert("found".into(), json!(found));
            }
            Some(Detail::Segment { index, name }) => {
                m.insert("segment".into(), json!({"index": index, "name": name}));
            }
            Some(Detail::Limit { what, limit, actual }) => {
                m.insert(
                    "limit".into(),
                    json!({"what": what, "limit": limit, "actual": actual}),
                );
            }
            Some(Detail::Keys { kid, available }) => {
                m.insert("kid".into(), json!(kid));
                m.insert("available".into(), json!(available));
            }
            None => {}
        }
        Value::Object(m)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("detail", &self.0.detail)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind.as_str(), self.0.message)
    }
}

/// [`std::error::Error::source`] is the I/O or HTTP error a `key_fetch_failed` was made from,
/// when there is one.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A NumericDate as JSON: an integer when whole, else a float.
fn numeric_json(v: f64) -> serde_json::Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

macro_rules! err {
    ($kind:ident, $($arg:tt)*) => {
        $crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($arg)*))
    };
}
pub(crate) use err;

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind names are a public contract (PRODUCT.md): pin them all.
    #[test]
    fn kind_names_are_stable() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "malformed",
                "bad_base64",
                "bad_json",
                "duplicate_member",
                "alg_not_allowed",
                "alg_none",
                "key_mismatch",
                "key_not_found",
                "bad_signature",
                "expired",
                "not_yet_valid",
                "issued_in_future",
                "too_old",
                "bad_issuer",
                "bad_audience",
                "bad_subject",
                "bad_type",
                "missing_claim",
                "unsupported_crit",
                "unsupported_alg",
                "resource_limit",
                "decrypt_failed",
                "revoked",
                "insufficient_scope",
                "key_fetch_failed",
                "bad_key",
                "invalid_config",
                "bad_disclosure",
                "bad_key_binding",
                "bad_dpop_proof",
                "dpop_nonce_required",
                "bad_token_binding",
            ]
        );
        for k in ErrorKind::ALL {
            assert_eq!(k.as_str().parse::<ErrorKind>(), Ok(k));
        }
    }

    #[test]
    fn json_carries_detail() {
        let e = Error::new(ErrorKind::Expired, "token expired").with_detail(Detail::Time {
            claim: "exp",
            value: 100.0,
            now: 200,
            leeway: 60,
        });
        let j = e.to_json();
        assert_eq!(j["kind"], "expired");
        assert_eq!(j["fault"], "token");
        assert_eq!(j["claim"], "exp");
        assert_eq!(j["value"], 100);
        assert_eq!(j["now"], 200);
        assert_eq!(j["leeway"], 60);
    }
}
