//! Security findings ("lint") shared by `decode`, `verify`, `lint` and the debugger.
//!
//! Each [`Finding`] has a stable `id`, a [`Severity`], a message with the values involved and a
//! one-line fix. Findings never change whether a token verifies; they say what is weak.

mod audit;

pub use audit::{JwksReport, KeyRow};

use crate::jwt::NumericDate;
use serde_json::Value;

use crate::Key;
use crate::json::Object;
use crate::jwa::{JwsAlg, KeyFamily};

/// How serious a finding is. `lint` exits 1 when any finding is [`Severity::High`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Minor weakness.
    Low,
    /// Real weakness; fix soon.
    Medium,
    /// Exploitable or nearly so.
    High,
}

impl Severity {
    /// `"info"`, `"low"`, `"medium"`, `"high"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One security finding. The ids:
///
/// | id | severity | what |
/// |---|---|---|
/// | `alg_none` | high | unsecured token |
/// | `embedded_jwk` | high | `jwk` header: a verifier trusting it accepts self-signed tokens |
/// | `jku_header`, `x5u_header` | high | header names a URL to fetch keys from |
/// | `x5c_header` | medium | embedded certificate chain |
/// | `kid_injection` | high | `kid` with path, query or quote characters |
/// | `no_exp` | medium | never expires |
/// | `invalid_time_claim` | high (`exp`) / medium | `exp`/`nbf`/`iat` present but not a number |
/// | `long_lifetime` | medium | lifetime over 24 h |
/// | `iat_in_future`, `nbf_in_future` | medium / low | clock or issuance problems |
/// | `sensitive_claim` | high | password/secret/card/SSN-like data in claims |
/// | `pii_claim` | low | e-mail, phone, address, birthdate in a readable token |
/// | `weak_hmac_secret` | high | HMAC secret from a public list of well-known secrets |
/// | `short_hmac_secret` | high | HMAC secret shorter than the hash (RFC 7518 §3.2) |
/// | `weak_rsa_key` | high | RSA key under 2048 bits (RFC 7518 §3.3) |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable identifier (`"no_exp"`).
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What was found, with values.
    pub message: String,
    /// One line on how to fix it.
    pub fix: &'static str,
}

impl Finding {
    fn new(id: &'static str, severity: Severity, message: impl Into<String>, fix: &'static str) -> Finding {
        Finding {
            id,
            severity,
            message: message.into(),
            fix,
        }
    }

    /// As JSON: `{"id","severity","message","fix"}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({"id": self.id, "severity": self.severity.as_str(), "message": self.message, "fix": self.fix})
    }
}

const DAY: f64 = 86_400.0;

impl Finding {
    /// Findings about a token's header and claims. `now` is seconds since the epoch.
    pub fn for_token(header: &Object, claims: Option<&Object>, now: i64) -> Vec<Finding> {
        let mut out = Vec::new();
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg.eq_ignore_ascii_case("none") {
            out.push(Finding::new(
                "alg_none",
                Severity::High,
                format!(
                    "alg is {}: the token is not signed, anyone can forge it",
                    crate::text::quote(alg)
                ),
                "sign tokens and never accept alg none in a verifier",
            ));
        }
        if alg == "EdDSA" {
            out.push(Finding::new(
                "eddsa_deprecated",
                Severity::Low,
                "alg EdDSA is deprecated by RFC 9864: it does not say which curve; the fully-specified name is Ed25519",
                "sign with alg Ed25519 (same keys and signatures); keep accepting EdDSA while clients move",
            ));
        }
        if header.contains_key("enc") {
            jwe_findings(header, alg, &mut out);
        }
        // A DPoP proof carries its public key by design (RFC 9449 §4.2): the proof is checked with it.
        let dpop = header.get("typ").and_then(Value::as_str).is_some_and(|t| {
            t.eq_ignore_ascii_case("dpop+jwt") || t.eq_ignore_ascii_case("application/dpop+jwt")
        });
        if header.contains_key("jwk") && !dpop {
            out.push(Finding::new(
                "embedded_jwk",
                Severity::High,
                "the header embeds a jwk: a verifier that uses it accepts tokens anyone signed with their own key",
                "verify with configured keys only; ignore the jwk header",
            ));
        }
        for (name, id) in [("jku", "jku_header"), ("x5u", "x5u_header")] {
            if let Some(u) = header.get(name) {
                out.push(Finding::new(
                    id,
                    Severity::High,
                    format!(
                        "the header names a key URL ({name} {}): a verifier that fetches it lets the token choose its key (SSRF, key injection)",
                        u.as_str().map(crate::text::quote).unwrap_or_default()
                    ),
                    "never fetch keys named by the token; configure the JWKS URL, or allowlist exact URLs",
                ));
            }
        }
        if header.contains_key("x5c") {
            out.push(Finding::new(
                "x5c_header",
                Severity::Medium,
                "the header embeds a certificate chain (x5c): trusting it requires full path validation to a pinned root",
                "verify with configured keys, or validate x5c against a pinned CA and the expected subject",
            ));
        }
        if let Some(kid) = header.get("kid").and_then(Value::as_str)
            && (kid.contains("..")
                || kid.chars().any(|c| {
                    matches!(
                        c,
                        '/' | '\\' | '?' | '&' | '\'' | '"' | ';' | '|' | '`' | '$' | '%' | '\0'
                    ) || c.is_control()
                }))
        {
            out.push(Finding::new(
                "kid_injection",
                Severity::High,
                format!(
                    "kid {} contains path, query or quote characters (path traversal / SQL or command injection probes use these)",
                    crate::text::quote(kid)
                ),
                "treat kid as an opaque lookup key in a fixed key set; never build paths or queries from it",
            ));
        }
        if let Some(claims) = claims {
            claim_findings(claims, now, &mut out);
            // A DPoP proof and a Key Binding JWT are one-request proofs bounded by their iat
            // window (RFC 9449 §4.3, RFC 9901 §4.3): they have no exp by design.
            let per_request = header
                .get("typ")
                .and_then(Value::as_str)
                .and_then(crate::jwt::token_type::kind_of_typ)
                .is_some_and(|k| {
                    matches!(
                        k,
                        crate::jwt::token_type::TokenKind::DpopProof
                            | crate::jwt::token_type::TokenKind::KeyBindingJwt
                    )
                });
            if per_request {
                out.retain(|f| f.id != "no_exp");
            }
        }
        out.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out
    }
}

fn num(claims: &Object, name: &str) -> Option<f64> {
    claims.get(name).and_then(Value::as_f64).filter(|f| f.is_finite())
}

fn claim_findings(claims: &Object, now: i64, out: &mut Vec<Finding>) {
    let (exp, iat, nbf) = (num(claims, "exp"), num(claims, "iat"), num(claims, "nbf"));
    let now_f = now as f64;
    for (name, severity) in [
        ("exp", Severity::High),
        ("nbf", Severity::Medium),
        ("iat", Severity::Medium),
    ] {
        if let Some(v) = claims.get(name)
            && num(claims, name).is_none()
        {
            out.push(Finding::new(
                "invalid_time_claim",
                severity,
                format!(
                    "claim {name} is {}, not a NumericDate: strict verifiers reject the token, lenient ones skip the check{}",
                    crate::text::truncate(&v.to_string(), 40),
                    if name == "exp" { " (so it never expires)" } else { "" }
                ),
                "issue exp, nbf and iat as JSON numbers of seconds since 1970 (RFC 7519 §2)",
            ));
        }
    }
    match exp {
        None if claims.contains_key("exp") => {}
        None => out.push(Finding::new(
            "no_exp",
            Severity::Medium,
            "no exp claim: the token never expires, so a leaked token works forever",
            "issue tokens with a short exp (minutes to hours) and refresh them",
        )),
        Some(exp) => {
            let start = iat.or(nbf).unwrap_or(now_f);
            let life = exp - start;
            if life > DAY {
                out.push(Finding::new(
                    "long_lifetime",
                    Severity::Medium,
                    format!(
                        "lifetime is {} (exp - {}), over 24h",
                        NumericDate::format_duration(life as u64),
                        if iat.is_some() {
                            "iat"
                        } else if nbf.is_some() {
                            "nbf"
                        } else {
                            "now"
                        }
                    ),
                    "keep access tokens short-lived (minutes to hours); use refresh tokens for long sessions",
                ));
            }
        }
    }
    if let Some(iat) = iat
        && iat > now_f + 60.0
    {
        out.push(Finding::new(
            "iat_in_future",
            Severity::Medium,
            format!(
                "iat is {} (issuer clock ahead, or forged)",
                NumericDate(iat).relative_to(now)
            ),
            "synchronise the issuer's clock (NTP); verifiers reject tokens issued in the future",
        ));
    }
    if let Some(nbf) = nbf
        && nbf > now_f + 60.0
    {
        out.push(Finding::new(
            "nbf_in_future",
            Severity::Low,
            format!(
                "nbf is {}: the token is not valid yet",
                NumericDate(nbf).relative_to(now)
            ),
            "check the issuer's clock, or wait until nbf",
        ));
    }
    let mut budget = 2000usize;
    scan_sensitive(claims, "", out, &mut budget);
}

const SENSITIVE_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "private_key",
    "privatekey",
    "credit_card",
    "creditcard",
    "card_number",
    "cardnumber",
    "cc_number",
    "cvv",
    "cvc",
    "ssn",
    "social_security_number",
    "iban",
    "pin",
];
const PII_NAMES: &[&str] = &[
    "email",
    "phone_number",
    "phone",
    "mobile",
    "address",
    "birthdate",
    "date_of_birth",
    "dob",
    "national_id",
    "passport",
    "passport_number",
];

fn scan_sensitive(obj: &Object, prefix: &str, out: &mut Vec<Finding>, budget: &mut usize) {
    for (name, value) in obj {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let lname = name.to_ascii_lowercase();
        if SENSITIVE_NAMES
            .iter()
            .any(|s| lname == *s || lname.ends_with(&format!("_{s}")))
        {
            out.push(Finding::new(
                "sensitive_claim",
                Severity::High,
                format!("claim {} looks like a secret or payment data; JWT claims are only base64-encoded, anyone can read them", crate::text::quote(&path)),
                "never put secrets, passwords or card data in a token; reference them by an opaque id",
            ));
        } else if PII_NAMES.contains(&lname.as_str()) {
            out.push(Finding::new(
                "pii_claim",
                Severity::Low,
                format!(
                    "claim {} is personal data, readable by anyone who holds the token",
                    crate::text::quote(&path)
                ),
                "keep personal data out of access tokens, or encrypt the token (JWE)",
            ));
        }
        match value {
            Value::Object(inner) => scan_sensitive(inner, &path, out, budget),
            Value::String(s) => {
                if looks_like_card(s) {
                    out.push(Finding::new(
                        "sensitive_claim",
                        Severity::High,
                        format!(
                            "claim {} holds a payment-card-like number (passes the Luhn check)",
                            crate::text::quote(&path)
                        ),
                        "never put card numbers in tokens",
                    ));
                } else if looks_like_ssn(s) {
                    out.push(Finding::new(
                        "sensitive_claim",
                        Severity::High,
                        format!(
                            "claim {} holds a social-security-like number (ddd-dd-dddd)",
                            crate::text::quote(&path)
                        ),
                        "never put national identifiers in tokens",
                    ));
                }
            }
            _ => {}
        }
    }
}

fn looks_like_card(s: &str) -> bool {
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .unwrap_or_default();
    if !(13..=19).contains(&digits.len()) || s.len() > 23 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10) && digits.iter().any(|&d| d != digits.first().copied().unwrap_or(0))
}

fn looks_like_ssn(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().enumerate().all(|(i, c)| {
            if i == 3 || i == 6 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

impl Finding {
    /// For an HMAC-signed compact JWS (`HS256`/`HS384`/`HS512`): the `weak_hmac_secret` finding
    /// when its signature verifies with one of the bundled well-known weak secrets
    /// (`data/weak_secrets.txt`), naming the secret without printing it. No key is needed: this
    /// is what an attacker would try first. About a hundred HMACs over the JWS Signing Input;
    /// None for any other token, or when no listed secret verifies.
    pub fn cracked_secret(token: &str, limits: &crate::Limits) -> Option<Finding> {
        let jws = crate::jws::CompactJws::parse(token, limits).ok()?;
        let alg = jws.header().alg().ok().filter(|a| a.is_hmac())?;
        let secret = weak_secrets().find(|s| {
            let key = crate::Key::hmac(s.as_bytes().to_vec());
            crate::key::sig::verify(alg, &key, jws.signing_input(), jws.signature()).is_ok()
        })?;
        Some(Finding::new(
            "weak_hmac_secret",
            Severity::High,
            format!(
                "the token is signed with a well-known secret {}: anyone can forge tokens for this issuer",
                weak_secret_reference(secret)
            ),
            "rotate to a random secret of at least 32 bytes (jwtkit keygen --alg HS256) and revoke issued tokens",
        ))
    }
}

/// The bundled list of well-known weak HMAC secrets (see `data/weak_secrets.txt` for sources).
pub(crate) fn weak_secrets() -> impl Iterator<Item = &'static str> {
    include_str!("../../../data/weak_secrets.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// How findings name a well-known secret without printing any of it (not even a public one:
/// it may be the one in production): its length and its line in `data/weak_secrets.txt`,
/// e.g. `(6 bytes, line 23 of the bundled list)`.
pub(crate) fn weak_secret_reference(secret: &str) -> String {
    let line = include_str!("../../../data/weak_secrets.txt")
        .lines()
        .position(|l| l == secret)
        .map_or(String::new(), |i| format!(", line {} of the bundled list", i + 1));
    format!("({} bytes{line})", secret.len())
}

/// Findings about an HMAC secret used with `alg` (`weak_hmac_secret`, `short_hmac_secret`).
pub(crate) fn hmac_secret_findings(secret: &[u8], alg: Option<JwsAlg>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(w) = weak_secrets().find(|w| w.as_bytes() == secret) {
        out.push(Finding::new(
            "weak_hmac_secret",
            Severity::High,
            format!(
                "the HMAC secret is a well-known one {}, from public lists of JWT secrets: anyone can forge tokens",
                weak_secret_reference(w)
            ),
            "generate a random secret of at least 32 bytes (jwtkit keygen --alg HS256) and rotate it",
        ));
    }
    // The minimum is an HMAC one: a secret given for an RS256 token is held to HS256's.
    let alg = alg.filter(|a| a.is_hmac());
    let need = alg.map_or(32, JwsAlg::hash_len);
    if secret.len() < need {
        out.push(Finding::new(
            "short_hmac_secret",
            Severity::High,
            format!(
                "the HMAC secret is {} bytes; {} needs at least {need} (RFC 7518 §3.2), short secrets can be brute-forced offline",
                secret.len(),
                alg.map_or("HS256".to_string(), |a| a.to_string())
            ),
            "use a random secret at least as long as the hash output",
        ));
    }
    out
}

impl Finding {
    /// Findings about a key used for verification or signing.
    pub fn for_key(key: &Key, alg: Option<JwsAlg>) -> Vec<Finding> {
        match key.family() {
            KeyFamily::Oct => key
                .secret_bytes()
                .map(|s| hmac_secret_findings(s, alg))
                .unwrap_or_default(),
            KeyFamily::Rsa if key.bits() < 2048 => vec![Finding::new(
                "weak_rsa_key",
                Severity::High,
                format!(
                    "the RSA key is {} bits; RFC 7518 §3.3 requires at least 2048",
                    key.bits()
                ),
                "rotate to a 2048-bit or larger RSA key, or to ES256/EdDSA",
            )],
            _ => Vec::new(),
        }
    }
}

/// Findings for a JWE header (RFC 7516): `RSA1_5`, a low PBES2 count, compression.
fn jwe_findings(header: &Object, alg: &str, out: &mut Vec<Finding>) {
    if alg == "RSA1_5" {
        out.push(Finding::new(
            "jwe_rsa1_5",
            Severity::High,
            "alg is RSA1_5 (RSAES-PKCS1-v1_5): decryptors are exposed to Bleichenbacher padding-oracle attacks",
            "encrypt with RSA-OAEP-256 (or ECDH-ES); refuse RSA1_5 when decrypting",
        ));
    }
    if let Some(p2c) = header.get("p2c").and_then(Value::as_u64)
        && p2c < 1000
    {
        out.push(Finding::new(
            "pbes2_low_count",
            Severity::Medium,
            format!("PBES2 iteration count p2c is {p2c}: a stolen token's password can be guessed quickly"),
            "use p2c of at least 1000 (RFC 7518 §4.8.1.2), better 10,000, and a long random password",
        ));
    }
    if header.get("zip").and_then(Value::as_str) == Some("DEF") {
        out.push(Finding::new(
            "jwe_compression",
            Severity::Low,
            "the plaintext is compressed before encryption (zip DEF): its length can leak secrets when an attacker controls part of it (CRIME/BREACH)",
            "do not compress tokens that mix secrets with attacker-influenced data",
        ));
    }
}

/// Convenience: findings for a token text, decoded without verification.
pub(crate) fn token_findings_for(token: &str, now: i64) -> Vec<Finding> {
    let u = crate::dangerous::Unverified::decode(token, &crate::Limits::default());
    match &u.header {
        Some(h) => Finding::for_token(h, u.claims(), now),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.id).collect()
    }

    #[test]
    fn token_lint() {
        let h = serde_json::json!({"alg":"none","jku":"https://evil/","kid":"../../dev/null"});
        let c = serde_json::json!({"sub":"1","password":"x","card":"4111 1111 1111 1111","email":"a@b"});
        let f = Finding::for_token(h.as_object().unwrap(), c.as_object(), 1000);
        let got = ids(&f);
        for want in [
            "alg_none",
            "jku_header",
            "kid_injection",
            "sensitive_claim",
            "no_exp",
            "pii_claim",
        ] {
            assert!(got.contains(&want), "{want} missing from {got:?}");
        }
        let c = serde_json::json!({"iat": 0, "exp": 200000});
        assert_eq!(
            ids(&Finding::for_token(&Object::new(), c.as_object(), 0)),
            ["long_lifetime"]
        );
        let c = serde_json::json!({"iat": 0, "exp": 3600});
        assert!(Finding::for_token(&Object::new(), c.as_object(), 0).is_empty());
        let c = serde_json::json!({"exp": "1795983742"});
        assert_eq!(
            ids(&Finding::for_token(&Object::new(), c.as_object(), 0)),
            ["invalid_time_claim"]
        );
        assert!(looks_like_ssn("123-45-6789") && !looks_like_ssn("123456789"));
        assert!(looks_like_card("4111111111111111") && !looks_like_card("4111111111111112"));
    }

    #[test]
    fn jwe_header_lint() {
        let h = serde_json::json!({"alg":"RSA1_5","enc":"A128GCM","zip":"DEF"});
        assert_eq!(
            ids(&Finding::for_token(h.as_object().unwrap(), None, 0)),
            ["jwe_rsa1_5", "jwe_compression"]
        );
        let h = serde_json::json!({"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":100,"p2s":"AAAAAAAAAAA"});
        assert_eq!(
            ids(&Finding::for_token(h.as_object().unwrap(), None, 0)),
            ["pbes2_low_count"]
        );
        let h = serde_json::json!({"alg":"RSA-OAEP-256","enc":"A256GCM"});
        assert!(Finding::for_token(h.as_object().unwrap(), None, 0).is_empty());
    }

    #[test]
    fn weak_secret_list() {
        assert!(weak_secrets().count() >= 300);
        assert!(weak_secrets().any(|s| s == "your-256-bit-secret"));
        assert_eq!(
            ids(&hmac_secret_findings(b"secret", Some(JwsAlg::HS256))),
            ["weak_hmac_secret", "short_hmac_secret"]
        );
        assert!(hmac_secret_findings(&[7u8; 32], Some(JwsAlg::HS256)).is_empty());
    }

    /// A secret given for an RS256 token said "RS256 needs at least 32": the minimum is an HMAC
    /// one (HS256 when the token's algorithm is not HMAC).
    #[test]
    fn short_secret_names_an_hmac_algorithm() {
        let f = hmac_secret_findings(&[7u8; 20], Some(JwsAlg::RS256));
        assert_eq!(ids(&f), ["short_hmac_secret"]);
        assert!(
            f[0].message.contains("HS256 needs at least 32"),
            "{}",
            f[0].message
        );
        let f = hmac_secret_findings(&[7u8; 40], Some(JwsAlg::HS512));
        assert!(
            f[0].message.contains("HS512 needs at least 64"),
            "{}",
            f[0].message
        );
    }
}
