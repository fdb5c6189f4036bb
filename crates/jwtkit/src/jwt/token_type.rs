//! What a token is: an RFC 9068 access token, an OpenID Connect ID token, a logout token, a
//! DPoP proof, an SD-JWT, … — declared by its `typ` (RFC 7515 §4.1.9, explicit typing per
//! RFC 8725 §3.11) or, for a plain `JWT`, inferred from its claims.
//!
//! [`Classification::of`] says what it is and why; [`Classification::confusion`] says when it is being used as something
//! else (an ID token where an access token is expected: the confusion RFC 9068 §4 and RFC 8725
//! §2.8 warn about).

use serde_json::Value;

use crate::jws::Header;
use crate::jwt::Claims;

/// The kinds of token jwtkit recognises.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An OAuth 2.0 access token in the JWT profile of RFC 9068 (`typ: at+jwt`).
    AccessToken,
    /// An OpenID Connect ID token (OIDC Core §2).
    IdToken,
    /// An OpenID Connect Back-Channel Logout token (`typ: logout+jwt`).
    LogoutToken,
    /// A DPoP proof (RFC 9449, `typ: dpop+jwt`).
    DpopProof,
    /// An SD-JWT's Key Binding JWT (RFC 9901 §4.3, `typ: kb+jwt`).
    KeyBindingJwt,
    /// A Security Event Token (RFC 8417, `typ: secevent+jwt`).
    SecurityEvent,
    /// An SD-JWT Verifiable Credential (`typ: dc+sd-jwt`, formerly `vc+sd-jwt`).
    SdJwtVc,
    /// An SD-JWT (RFC 9901): `_sd` digests, or a `…+sd-jwt` typ.
    SdJwt,
    /// A client assertion or authorization grant (RFC 7523): `iss` = `sub`, with `jti`.
    ClientAssertion,
    /// A refresh token that happens to be a JWT (Keycloak's `typ: Refresh`): never a credential
    /// for an API.
    RefreshToken,
    /// A JWE (RFC 7516): encrypted, what it holds is known only after decryption.
    Jwe,
    /// A JWT with nothing more specific to say.
    Jwt,
}

impl TokenKind {
    /// The kind a `typ` value names, when it names one of [`Classification::of`]'s declared kinds
    /// (`at+jwt`, `application/at+jwt`, `dpop+jwt`, `kb+jwt`, `logout+jwt`, `secevent+jwt`,
    /// `dc+sd-jwt`, `*+sd-jwt`; case-insensitive, RFC 8725 §3.11); a plain `JWT` names none.
    pub fn from_typ(typ: &str) -> Option<TokenKind> {
        kind_of_typ(typ)
    }
}

impl TokenKind {
    /// Stable snake_case name, for `--json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenKind::AccessToken => "access_token",
            TokenKind::IdToken => "id_token",
            TokenKind::LogoutToken => "logout_token",
            TokenKind::DpopProof => "dpop_proof",
            TokenKind::KeyBindingJwt => "key_binding_jwt",
            TokenKind::SecurityEvent => "security_event",
            TokenKind::SdJwtVc => "sd_jwt_vc",
            TokenKind::SdJwt => "sd_jwt",
            TokenKind::ClientAssertion => "client_assertion",
            TokenKind::RefreshToken => "refresh_token",
            TokenKind::Jwe => "jwe",
            TokenKind::Jwt => "jwt",
        }
    }

    /// A short human name: "RFC 9068 access token", "OpenID Connect ID token", ….
    pub const fn describe(self) -> &'static str {
        match self {
            TokenKind::AccessToken => "OAuth 2.0 access token (RFC 9068)",
            TokenKind::IdToken => "OpenID Connect ID token",
            TokenKind::LogoutToken => "OpenID Connect logout token",
            TokenKind::DpopProof => "DPoP proof (RFC 9449)",
            TokenKind::KeyBindingJwt => "SD-JWT Key Binding JWT (RFC 9901)",
            TokenKind::SecurityEvent => "Security Event Token (RFC 8417)",
            TokenKind::SdJwtVc => "SD-JWT verifiable credential",
            TokenKind::SdJwt => "SD-JWT (RFC 9901)",
            TokenKind::ClientAssertion => "JWT client assertion (RFC 7523)",
            TokenKind::RefreshToken => "refresh token",
            TokenKind::Jwe => "JWE (RFC 7516), encrypted",
            TokenKind::Jwt => "JWT",
        }
    }
}

/// What a token is ([`Classification::of`]) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// The kind.
    pub kind: TokenKind,
    /// True when the `typ` header says so; false when inferred from the claims (a plain `JWT`
    /// or no `typ`), which RFC 8725 §3.11 advises against relying on.
    pub declared: bool,
    /// Why, in a few words (`typ at+jwt`, `nonce and at_hash without scope`, …).
    pub reason: String,
}

impl Classification {
    /// Say what the token is from its JWS Protected Header and claims.
    pub fn of(header: &Header, claims: &Claims) -> Classification {
        classify_parts(header.typ(), claims.as_object())
    }

    /// Say what a decoded, unverified token is ([`crate::dangerous::Unverified::decode`]): a JWE
    /// (its content is encrypted, so only that), or [`Classification::of`] its header's `typ` and its
    /// claims; `None` when the header or the claims did not decode.
    pub fn of_unverified(u: &crate::dangerous::Unverified) -> Option<Classification> {
        let header = u.header.as_ref()?;
        let typ = header.get("typ").and_then(Value::as_str);
        if matches!(u.payload, crate::dangerous::Payload::Encrypted) {
            let nested = header
                .get("cty")
                .and_then(Value::as_str)
                .is_some_and(|c| c.eq_ignore_ascii_case("jwt"));
            return Some(Classification {
                kind: TokenKind::Jwe,
                declared: true,
                reason: if nested {
                    "five segments, cty JWT: a signed JWT inside".into()
                } else {
                    "five segments: encrypted content".into()
                },
            });
        }
        Some(classify_parts(typ, u.claims()?))
    }

    /// Why a token of this classification must not be accepted where `expected` is, or `None` when
    /// it may be. Only strong mismatches are reported: an ID token, logout token, DPoP proof, Key
    /// Binding JWT or SD-JWT presented as an access token; an access token presented as an ID token.
    pub fn confusion(&self, expected: TokenKind) -> Option<String> {
        let found = self;
        use TokenKind::{
            AccessToken, DpopProof, IdToken, KeyBindingJwt, LogoutToken, RefreshToken, SdJwt, SdJwtVc,
        };
        let wrong = matches!(
            (expected, found.kind),
            (
                AccessToken,
                IdToken | LogoutToken | DpopProof | KeyBindingJwt | SdJwt | SdJwtVc | RefreshToken
            ) | (
                IdToken,
                AccessToken | LogoutToken | DpopProof | KeyBindingJwt | RefreshToken
            )
        );
        wrong.then(|| {
            let how = if found.declared { "it says so in its typ" } else { "by its claims" };
            let why = match (expected, found.kind) {
                (AccessToken, IdToken) => {
                    "ID tokens tell a client who logged in; an API that accepts them as access tokens lets any client that saw one call it (RFC 9068 §4, RFC 8725 §2.8)"
                }
                (AccessToken, _) => "it is not an access token: require typ at+jwt (RFC 9068 §2.1)",
                _ => "it is not an ID token",
            };
            format!(
                "this is an {} ({how}: {}), where an {} is expected: {why}",
                found.kind.describe(),
                found.reason,
                expected.describe()
            )
        })
    }

    /// The `--json` / debugger form: `{"kind": "id_token", "name": "OpenID Connect ID token",
    /// "declared": false, "reason": "nonce, at_hash"}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind.as_str(),
            "name": self.kind.describe(),
            "declared": self.declared,
            "reason": self.reason,
        })
    }

    /// [`Classification::confusion`] with the kind `expected_typ` names (`at+jwt` → an access token), if any.
    pub fn confusion_with(&self, expected_typ: &str) -> Option<String> {
        self.confusion(kind_of_typ(expected_typ)?)
    }

    /// [`Classification::to_json`] plus `"confusion"`: [`Classification::confusion_with`] the
    /// `typ` the caller expects (null without one), as `verify --json` and the debugger answer.
    pub fn to_json_against(&self, expected_typ: Option<&str>) -> Value {
        let mut v = self.to_json();
        if let Some(m) = v.as_object_mut() {
            let why = expected_typ.and_then(|t| self.confusion_with(t));
            m.insert("confusion".into(), why.into());
        }
        v
    }

    /// One line for people: `OpenID Connect ID token (by its claims: nonce, at_hash)`, or
    /// `… (typ at+jwt)` when the header declares it.
    pub fn line(&self) -> String {
        if self.declared || self.kind == TokenKind::Jwt {
            format!("{} ({})", self.kind.describe(), self.reason)
        } else {
            format!("{} (by its claims: {})", self.kind.describe(), self.reason)
        }
    }
}

/// The media type in `typ`, lower case, without `application/` (RFC 7515 §4.1.9).
fn media_type(header: &Header) -> Option<String> {
    header.typ().map(media_type_of)
}

fn media_type_of(typ: &str) -> String {
    let t = typ.to_ascii_lowercase();
    t.strip_prefix("application/").map(str::to_string).unwrap_or(t)
}

/// Whether the header's `typ` is `expected` (e.g. `dpop+jwt`): case-insensitive, with or without
/// `application/` (RFC 7515 §4.1.9).
pub(crate) fn typ_is(header: &Header, expected: &str) -> bool {
    media_type(header).is_some_and(|t| t.eq_ignore_ascii_case(expected))
}

fn classify_parts(typ: Option<&str>, claims: &crate::json::Object) -> Classification {
    let declared = |kind, t: &str| Classification {
        kind,
        declared: true,
        reason: format!("typ {t}"),
    };
    if let Some(t) = typ.map(media_type_of)
        && let Some(kind) = kind_of_typ(&t)
    {
        return declared(kind, &t);
    }
    let inferred = |kind, reason: &str| Classification {
        kind,
        declared: false,
        reason: reason.to_string(),
    };
    let has = |name: &str| claims.contains_key(name);
    if let Some(Value::Object(events)) = claims.get("events") {
        if events.contains_key("http://schemas.openid.net/event/backchannel-logout") {
            return inferred(TokenKind::LogoutToken, "a back-channel logout event");
        }
        return inferred(TokenKind::SecurityEvent, "an events claim");
    }
    if has("_sd") || has("_sd_alg") {
        return inferred(TokenKind::SdJwt, "_sd digests");
    }
    // Keycloak says what each of its tokens is in a `typ` claim.
    if let Some(Value::String(t)) = claims.get("typ") {
        match t.to_ascii_lowercase().as_str() {
            "bearer" => return inferred(TokenKind::AccessToken, "Keycloak typ claim \"Bearer\""),
            "id" => return inferred(TokenKind::IdToken, "Keycloak typ claim \"ID\""),
            "refresh" | "offline" => {
                return inferred(TokenKind::RefreshToken, "Keycloak typ claim \"Refresh\"");
            }
            "logout" => return inferred(TokenKind::LogoutToken, "Keycloak typ claim \"Logout\""),
            _ => {}
        }
    }
    let present =
        |names: &[&'static str]| -> Vec<&'static str> { names.iter().copied().filter(|c| has(c)).collect() };
    // Only ID tokens carry these (OIDC Core §2, §3.1.3.6, §3.3.2.11).
    let id_strong = present(&["nonce", "at_hash", "c_hash"]);
    if !id_strong.is_empty() && has("aud") {
        return inferred(TokenKind::IdToken, &id_strong.join(", "));
    }
    // Access tokens: scopes, the client, app roles, Entra's app-only markers, Auth0's grant type.
    let mut access = present(&["scope", "scp", "client_id", "roles", "gty", "appid", "azpacr"]);
    if claims.get("idtyp").and_then(Value::as_str) == Some("app") {
        access.push("idtyp app");
    }
    if !access.is_empty() {
        return inferred(
            TokenKind::AccessToken,
            &format!("{}, but no typ at+jwt", access.join(", ")),
        );
    }
    // Weaker ID-token signals, without any access-token signal.
    let id_weak = present(&["auth_time", "azp", "acr", "amr", "sid"]);
    if !id_weak.is_empty() && has("aud") {
        return inferred(
            TokenKind::IdToken,
            &format!(
                "{} without scope, roles or client_id (weak evidence)",
                id_weak.join(", ")
            ),
        );
    }
    if let (Some(iss), Some(sub)) = (claims.get("iss"), claims.get("sub"))
        && iss == sub
        && has("jti")
        && has("aud")
    {
        return inferred(TokenKind::ClientAssertion, "iss equals sub, with jti and aud");
    }
    inferred(TokenKind::Jwt, "no typ naming a kind, no distinctive claims")
}

/// The kind a `typ` value names, when it names one of [`Classification::of`]'s declared kinds
/// (`at+jwt`, `application/at+jwt`, `dpop+jwt`, …); a plain `JWT` names none.
pub(crate) fn kind_of_typ(typ: &str) -> Option<TokenKind> {
    let t = typ.to_ascii_lowercase();
    let t = t.strip_prefix("application/").unwrap_or(&t);
    Some(match t {
        "at+jwt" => TokenKind::AccessToken,
        "logout+jwt" => TokenKind::LogoutToken,
        "dpop+jwt" => TokenKind::DpopProof,
        "kb+jwt" => TokenKind::KeyBindingJwt,
        "secevent+jwt" => TokenKind::SecurityEvent,
        "dc+sd-jwt" | "vc+sd-jwt" => TokenKind::SdJwtVc,
        t if t.ends_with("+sd-jwt") || t == "sd-jwt" => TokenKind::SdJwt,
        _ => return None,
    })
}

/// Why a token whose `typ` is not the `expected_typ` the caller requires is the wrong kind of
/// token ([`Classification::confusion`] of its [`Classification::of`] against the kind `expected_typ` names), for the
/// `bad_type` message; `None` when `expected_typ` names no kind or there is no confusion to
/// report.
pub(crate) fn confusion_for_typ(header: &Header, claims: &Claims, expected_typ: &str) -> Option<String> {
    Classification::of(header, claims).confusion(kind_of_typ(expected_typ)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(typ: Option<&str>) -> Header {
        let mut h = json!({"alg": "ES256"});
        if let Some(t) = typ {
            h["typ"] = t.into();
        }
        Header::from_object(h.as_object().unwrap().clone()).unwrap()
    }

    fn claims(v: Value) -> Claims {
        Claims::new(v.as_object().unwrap().clone())
    }

    #[test]
    fn declared_types_win_and_application_prefix_is_optional() {
        for (typ, kind) in [
            ("at+jwt", TokenKind::AccessToken),
            ("application/AT+JWT", TokenKind::AccessToken),
            ("dpop+jwt", TokenKind::DpopProof),
            ("kb+jwt", TokenKind::KeyBindingJwt),
            ("logout+jwt", TokenKind::LogoutToken),
            ("dc+sd-jwt", TokenKind::SdJwtVc),
            ("example+sd-jwt", TokenKind::SdJwt),
        ] {
            let c = Classification::of(&header(Some(typ)), &claims(json!({"nonce": "n", "aud": "x"})));
            assert_eq!((c.kind, c.declared), (kind, true), "{typ}");
        }
    }

    #[test]
    fn plain_jwts_are_inferred_from_claims() {
        let h = header(Some("JWT"));
        let c = |v| Classification::of(&h, &claims(v)).kind;
        assert_eq!(
            c(json!({"iss": "i", "aud": "app", "nonce": "n", "at_hash": "h"})),
            TokenKind::IdToken
        );
        assert_eq!(
            c(json!({"iss": "i", "aud": "api", "scope": "a b"})),
            TokenKind::AccessToken
        );
        assert_eq!(
            c(json!({"iss": "i", "aud": "api", "scope": "a", "azp": "c"})),
            TokenKind::AccessToken
        );
        assert_eq!(
            c(json!({"events": {"http://schemas.openid.net/event/backchannel-logout": {}}})),
            TokenKind::LogoutToken
        );
        assert_eq!(
            c(json!({"iss": "c", "sub": "c", "aud": "t", "jti": "j"})),
            TokenKind::ClientAssertion
        );
        assert_eq!(c(json!({"_sd": []})), TokenKind::SdJwt);
        assert_eq!(c(json!({"sub": "a"})), TokenKind::Jwt);
    }

    #[test]
    fn an_id_token_where_an_access_token_is_expected_is_a_confusion() {
        let id = Classification::of(&header(None), &claims(json!({"aud": "app", "nonce": "n"})));
        let msg = id.confusion(TokenKind::AccessToken).unwrap();
        assert!(msg.contains("ID token") && msg.contains("RFC 9068"), "{msg}");
        let at = Classification::of(&header(Some("at+jwt")), &claims(json!({"scope": "a"})));
        assert_eq!(at.confusion(TokenKind::AccessToken), None);
        assert!(at.confusion(TokenKind::IdToken).is_some());
        let plain = Classification::of(&header(None), &claims(json!({"sub": "a"})));
        assert_eq!(plain.confusion(TokenKind::AccessToken), None);
    }
}
