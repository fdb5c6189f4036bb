//! Multi-tenant issuers: an `iss` template such as
//! `https://login.microsoftonline.com/{tid}/v2.0` whose placeholder is filled from the
//! token's own claim of that name (Microsoft Entra ID's `tid`), checked in the `iss` step of
//! [`crate::Validation`] (RFC 7519 §4.1.1, §7.2 step 10).
//!
//! A token passes a template when, in this order:
//! 1. its `iss` is a string that starts with the template's prefix and ends with its suffix;
//! 2. the tenant claim is present (`missing_claim`) and a string (`malformed`);
//! 3. the tenant has the configured shape (`guid`: 8-4-4-4-12 hexadecimal digits; `name`: a
//!    bounded name without `/`, `..` or other URL syntax), else `bad_issuer`;
//! 4. `iss` equals the template with the tenant put in, byte for byte (`bad_issuer`);
//! 5. the tenant is allowed: a list ([`IssuerTemplate::with_tenants`]), or every tenant when
//!    said explicitly ([`IssuerTemplate::any_tenant`]).
//!
//! The tenant is never taken from `iss` alone: the claim and `iss` must agree, the claim must
//! be well formed, and the signature over both has verified before any of this runs.

use super::claims::{self, ClaimValue, Claims};
use crate::Detail;
use crate::check::Check;
use crate::error::{Error, Result, err};

/// Longest tenant accepted by the `name` tenant format, in bytes.
pub(crate) const MAX_TENANT_NAME_BYTES: usize = 128;

/// The shape a tenant value must have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum TenantFormat {
    /// A GUID, `8-4-4-4-12` hexadecimal digits (Entra ID's `tid`); compared with the
    /// allowlist without regard to case.
    #[default]
    Guid,
    /// 1 to 128 bytes of `A-Z a-z 0-9 - _ .`, not starting or ending
    /// with `.`, without `..` (so never a path segment of its own); compared exactly.
    Name,
}

impl TenantFormat {
    /// `guid` or `name`.
    const fn as_str(self) -> &'static str {
        match self {
            TenantFormat::Guid => "guid",
            TenantFormat::Name => "name",
        }
    }

    /// Whether `value` has this shape.
    fn accepts(self, value: &str) -> bool {
        match self {
            TenantFormat::Guid => is_guid(value),
            TenantFormat::Name => {
                !value.is_empty()
                    && value.len() <= MAX_TENANT_NAME_BYTES
                    && !value.starts_with('.')
                    && !value.ends_with('.')
                    && !value.contains("..")
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TenantFormat::Guid => "a GUID (8-4-4-4-12 hexadecimal digits)",
            TenantFormat::Name => "a name of letters, digits, '-', '_' and single '.'",
        }
    }
}

impl std::str::FromStr for TenantFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<TenantFormat> {
        match s {
            "guid" => Ok(TenantFormat::Guid),
            "name" => Ok(TenantFormat::Name),
            other => Err(err!(
                InvalidConfig,
                "tenant format {} is not one of guid, name",
                crate::text::quote(other)
            )),
        }
    }
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Which tenants a template accepts. There is no default: every tenant must be asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tenants {
    /// Any tenant of the right shape (a multi-tenant app open to every organization).
    Any,
    /// Only these (at least one).
    Only(Vec<String>),
}

/// An issuer template: exactly one `{claim}` placeholder in an issuer URL, the shape its tenants
/// must have and which tenants it accepts. Build with [`IssuerTemplate::with_tenants`] or
/// [`IssuerTemplate::any_tenant`], give it to
/// [`crate::jwt::ValidationBuilder::issuer_template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerTemplate {
    prefix: String,
    suffix: String,
    claim: String,
    format: TenantFormat,
    tenants: Tenants,
}

impl IssuerTemplate {
    /// A template that accepts only `tenants` (at least one). `template` is an issuer URL with
    /// one placeholder, `{` claim name `}`, the name of letters, digits and `_`
    /// (`https://login.microsoftonline.com/{tid}/v2.0`). `tenant_format` is the shape every
    /// tenant must have: `"guid"` (8-4-4-4-12 hexadecimal digits, Entra ID's `tid`, compared
    /// without regard to case) or `"name"` (1 to 128 bytes of `A-Z a-z 0-9 - _ .`, not starting
    /// or ending with `.`, without `..`; compared exactly).
    ///
    /// ```
    /// use jwtkit::jwt::IssuerTemplate;
    /// let t = IssuerTemplate::with_tenants(
    ///     "https://login.microsoftonline.com/{tid}/v2.0",
    ///     "guid",
    ///     vec!["72f988bf-86f1-41af-91ab-2d7cd011db47".into()],
    /// )?;
    /// assert_eq!(t.claim(), "tid");
    /// assert_eq!(
    ///     t.tenant_in("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"),
    ///     Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    /// );
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    ///
    /// # Errors
    /// `invalid_config`: a `tenant_format` other than `guid` / `name`, no placeholder or more
    /// than one, an empty or odd claim name, an empty allowlist, or an allowed tenant that does
    /// not have the format's shape.
    pub fn with_tenants(template: &str, tenant_format: &str, tenants: Vec<String>) -> Result<IssuerTemplate> {
        IssuerTemplate::new(template, tenant_format.parse()?, Tenants::Only(tenants))
    }

    /// A template that accepts every tenant of the `tenant_format` shape (a multi-tenant app
    /// open to every organization); `template` and `tenant_format` as in
    /// [`IssuerTemplate::with_tenants`].
    ///
    /// # Errors
    /// `invalid_config`, as [`IssuerTemplate::with_tenants`] (there is no allowlist to check).
    pub fn any_tenant(template: &str, tenant_format: &str) -> Result<IssuerTemplate> {
        IssuerTemplate::new(template, tenant_format.parse()?, Tenants::Any)
    }

    fn new(template: &str, format: TenantFormat, tenants: Tenants) -> Result<IssuerTemplate> {
        let bad = |why: &str| {
            err!(
                InvalidConfig,
                "issuer template {}: {why}",
                crate::text::quote(template)
            )
        };
        let (prefix, rest) = template
            .split_once('{')
            .ok_or_else(|| bad("no {claim} placeholder"))?;
        let (claim, suffix) = rest
            .split_once('}')
            .ok_or_else(|| bad("the placeholder has no closing '}'"))?;
        if suffix.contains(['{', '}']) || prefix.contains('}') {
            return Err(bad("give exactly one {claim} placeholder"));
        }
        if claim.is_empty() || !claim.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad(
                "the placeholder must name a claim of letters, digits and '_' (e.g. {tid})",
            ));
        }
        if prefix.is_empty() {
            return Err(bad("the issuer must not start with the placeholder"));
        }
        let tenants = match tenants {
            Tenants::Only(list) if list.is_empty() => {
                return Err(bad(
                    "the tenant allowlist is empty: list the tenants, or allow any tenant explicitly",
                ));
            }
            Tenants::Only(list) => {
                if let Some(t) = list.iter().find(|t| !format.accepts(t)) {
                    return Err(bad(&format!(
                        "allowed tenant {} is not {}",
                        crate::text::quote(t),
                        format.describe()
                    )));
                }
                Tenants::Only(list)
            }
            Tenants::Any => Tenants::Any,
        };
        Ok(IssuerTemplate {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
            claim: claim.to_string(),
            format,
            tenants,
        })
    }

    /// The claim that names the tenant (`tid`).
    pub fn claim(&self) -> &str {
        &self.claim
    }

    /// The tenant shape: `guid` or `name`.
    pub fn tenant_format(&self) -> &'static str {
        self.format.as_str()
    }

    /// The allowed tenants as given; None when every tenant of the shape is accepted
    /// ([`IssuerTemplate::any_tenant`]).
    pub fn allowed_tenants(&self) -> Option<&[String]> {
        match &self.tenants {
            Tenants::Any => None,
            Tenants::Only(list) => Some(list),
        }
    }

    /// `tenant` as one spelling per tenant: a GUID (compared without regard to case) in lower
    /// case, so `72F9…` and `72f9…` are one tenant; a name as given.
    pub fn canonical_tenant(&self, tenant: &str) -> String {
        match self.format {
            TenantFormat::Guid => tenant.to_ascii_lowercase(),
            TenantFormat::Name => tenant.to_owned(),
        }
    }

    /// The template as written (`https://login.microsoftonline.com/{tid}/v2.0`).
    pub fn template(&self) -> String {
        format!("{}{{{}}}{}", self.prefix, self.claim, self.suffix)
    }

    /// The issuer of `tenant`.
    pub fn issuer_for(&self, tenant: &str) -> String {
        format!("{}{tenant}{}", self.prefix, self.suffix)
    }

    /// The tenant part of `iss` when `iss` fits the template and the part has the tenant
    /// shape; allowlist not consulted. For choosing among providers before verification (the
    /// tenant claim is then checked by [`crate::Validation`]).
    pub fn tenant_in<'a>(&self, iss: &'a str) -> Option<&'a str> {
        let t = iss.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        self.format.accepts(t).then_some(t)
    }

    fn allows(&self, tenant: &str) -> bool {
        match &self.tenants {
            Tenants::Any => true,
            Tenants::Only(list) => list.iter().any(|t| match self.format {
                TenantFormat::Guid => t.eq_ignore_ascii_case(tenant),
                TenantFormat::Name => t == tenant,
            }),
        }
    }

    /// Whether `iss` has the template's prefix and suffix around a non-empty part (of any
    /// shape): the template is the one to check `iss` with. For choosing among providers
    /// before verification, so that the core's check gives the precise reason.
    pub fn fits(&self, iss: &str) -> bool {
        iss.len() > self.prefix.len() + self.suffix.len()
            && iss.starts_with(&self.prefix)
            && iss.ends_with(&self.suffix)
    }

    /// Check a token whose `iss` [fits](IssuerTemplate::fits): steps 2-5 of the module doc.
    ///
    /// # Errors
    /// `missing_claim` (the tenant claim absent), `malformed` (not a string), `bad_issuer`
    /// (bad shape, `iss` not the tenant's issuer, tenant not allowed), each with a
    /// [`Detail::Mismatch`] on the tenant claim.
    pub(crate) fn check(&self, iss: &str, claims: &Claims) -> Result<()> {
        claims.member(&self.claim, |value| self.check_tenant(iss, claims::string(value)))
    }

    fn check_tenant(&self, iss: &str, value: ClaimValue<&str>) -> Result<()> {
        let name = self.claim.as_str();
        let template = || self.template();
        let mismatch = |expected: Vec<String>, found: &str| Detail::Mismatch {
            claim: name.to_string(),
            expected,
            found: Some(found.to_string()),
        };
        let tenant = match value {
            ClaimValue::Absent => {
                return Err(err!(
                    MissingClaim,
                    "claim {name} is required by the issuer template {}: it names the tenant",
                    crate::text::quote(&template())
                )
                .with_detail(Detail::Mismatch {
                    claim: name.to_string(),
                    expected: vec!["present".into()],
                    found: None,
                })
                .at(Check::Iss));
            }
            ClaimValue::Invalid(found) => {
                return Err(
                    err!(Malformed, "claim {name} must be a string, found {found}").at(Check::ClaimTypes)
                );
            }
            ClaimValue::Present(t) => t,
        };
        let shown = || crate::text::quote(&crate::text::truncate(tenant, 80));
        if !self.format.accepts(tenant) {
            return Err(err!(
                BadIssuer,
                "claim {name} {} is not a tenant id: it must be {}",
                shown(),
                self.format.describe()
            )
            .with_detail(mismatch(vec![self.format.as_str().into()], tenant))
            .at(Check::Iss));
        }
        // iss == prefix + tenant + suffix, without building the string.
        let filled = iss
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_suffix(self.suffix.as_str()));
        if filled != Some(tenant) {
            return Err(err!(
                BadIssuer,
                "iss {} is not the issuer of tenant {} ({} with {name} {})",
                crate::text::quote(iss),
                shown(),
                crate::text::quote(&template()),
                shown()
            )
            .with_detail(mismatch(vec![self.issuer_for(tenant)], iss))
            .at(Check::Iss));
        }
        if !self.allows(tenant) {
            let allowed = match &self.tenants {
                Tenants::Any => Vec::new(),
                Tenants::Only(list) => list.clone(),
            };
            return Err(err!(
                BadIssuer,
                "tenant {} is not an allowed tenant of {} (allowed: {})",
                shown(),
                crate::text::quote(&template()),
                allowed
                    .iter()
                    .map(|t| crate::text::quote(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .with_detail(mismatch(allowed.clone(), tenant))
            .at(Check::Iss));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const B: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    fn entra(tenants: Tenants) -> IssuerTemplate {
        IssuerTemplate::new(
            "https://login.microsoftonline.com/{tid}/v2.0",
            TenantFormat::Guid,
            tenants,
        )
        .unwrap()
    }

    fn claims(json: serde_json::Value) -> Claims {
        Claims::new(json.as_object().unwrap().clone())
    }

    fn iss(t: &str) -> String {
        format!("https://login.microsoftonline.com/{t}/v2.0")
    }

    #[test]
    fn allowed_tenant_passes() {
        let t = entra(Tenants::Only(vec![A.to_uppercase()]));
        let c = claims(serde_json::json!({"tid": A}));
        t.check(&iss(A), &c).unwrap();
        assert_eq!(t.template(), "https://login.microsoftonline.com/{tid}/v2.0");
    }

    #[test]
    fn each_failure_has_its_kind_and_names_the_tenant() {
        let t = entra(Tenants::Only(vec![A.into()]));
        let kind_msg = |iss_: &str, c: serde_json::Value| {
            let e = t.check(iss_, &claims(c)).unwrap_err();
            (e.kind(), e.message().to_string(), e.check())
        };
        let (k, m, c) = kind_msg(&iss(B), serde_json::json!({"tid": B}));
        assert_eq!((k, c), (ErrorKind::BadIssuer, Check::Iss));
        assert!(m.contains(B) && m.contains("not an allowed tenant"), "{m}");
        let (k, m, _) = kind_msg(&iss(A), serde_json::json!({}));
        assert_eq!(k, ErrorKind::MissingClaim);
        assert!(m.starts_with("claim tid is required"), "{m}");
        let (k, _, c) = kind_msg(&iss(A), serde_json::json!({"tid": 7}));
        assert_eq!((k, c), (ErrorKind::Malformed, Check::ClaimTypes));
        let (k, m, _) = kind_msg(&iss("a/../b"), serde_json::json!({"tid": "a/../b"}));
        assert_eq!(k, ErrorKind::BadIssuer);
        assert!(m.contains("is not a tenant id"), "{m}");
        // The claim and iss must agree: a token of tenant B cannot claim to be A's.
        let (k, m, _) = kind_msg(&iss(B), serde_json::json!({"tid": A}));
        assert_eq!(k, ErrorKind::BadIssuer);
        assert!(m.contains("is not the issuer of tenant"), "{m}");
    }

    #[test]
    fn any_must_be_explicit_and_names_are_bounded() {
        let t = entra(Tenants::Any);
        t.check(&iss(B), &claims(serde_json::json!({"tid": B}))).unwrap();
        let e =
            IssuerTemplate::new("https://x/{tid}/", TenantFormat::Guid, Tenants::Only(vec![])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        for bad in [
            "https://x/",
            "https://x/{a}/{b}",
            "{tid}/x",
            "https://x/{t-d}",
            "https://x/{tid",
        ] {
            let e = IssuerTemplate::new(bad, TenantFormat::Name, Tenants::Any).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        let f = TenantFormat::Name;
        assert!(f.accepts("acme-eu.prod_1"));
        for bad in [
            "",
            ".",
            "a..b",
            ".a",
            "a.",
            "a/b",
            "a%2fb",
            "a b",
            &"x".repeat(129),
        ] {
            assert!(!f.accepts(bad), "{bad}");
        }
        assert!(!TenantFormat::Guid.accepts("72f988bf-86f1-41af-91ab-2d7cd011db4"));
        assert!(!TenantFormat::Guid.accepts("72f988bf/86f1-41af-91ab-2d7cd011db47"));
        let t = entra(Tenants::Any);
        assert_eq!(t.tenant_in(&iss(A)), Some(A));
        assert_eq!(t.tenant_in(&iss("common")), None);
    }
}

#[cfg(test)]
mod validation_tests {
    use super::*;
    use crate::jws::Header;
    use crate::{ErrorKind, JwsAlg, Validation};

    /// Through [`Validation`]: an exact issuer still passes, a template's tenant is reported by
    /// [`Validation::tenant`], an `iss` fitting nothing is `bad_issuer` naming the template.
    #[test]
    fn validation_checks_templates_at_the_iss_step() {
        let a = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let t = IssuerTemplate::new(
            "https://login.microsoftonline.com/{tid}/v2.0",
            TenantFormat::Guid,
            Tenants::Only(vec![a.into()]),
        )
        .unwrap();
        let v = Validation::builder(JwsAlg::RS256)
            .issuer("https://sts.example/")
            .issuer_template(t)
            .ignore_audience(true)
            .build()
            .unwrap();
        let header = Header::parse(br#"{"alg":"RS256"}"#.to_vec(), v.limits()).unwrap();
        let c = |j: serde_json::Value| Claims::new(j.as_object().unwrap().clone());
        let ok =
            c(serde_json::json!({"iss": format!("https://login.microsoftonline.com/{a}/v2.0"), "tid": a}));
        v.validate(&header, &ok).unwrap();
        assert_eq!(v.tenant(&ok), Some(a));
        let exact = c(serde_json::json!({"iss": "https://sts.example/", "tid": a}));
        v.validate(&header, &exact).unwrap();
        assert_eq!(v.tenant(&exact), None);
        let other = c(serde_json::json!({"iss": "https://evil.example/", "tid": a}));
        let e = v.validate(&header, &other).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadIssuer);
        assert!(e.message().contains("{tid}"), "{}", e.message());
        // An expired token fails at exp before the tenant is looked at (the core's order).
        let expired = c(serde_json::json!({"iss": "https://login.microsoftonline.com/x/v2.0", "exp": 1}));
        assert_eq!(
            v.validate(&header, &expired).unwrap_err().kind(),
            ErrorKind::Expired
        );
    }
}

#[cfg(test)]
mod verify_tests {
    use super::*;
    use crate::{ErrorKind, JwkSet, JwsAlg, Key, Validation};

    /// Through `verify` (claims read from the checked text, the member map not built): the
    /// tenant claim is read by a second checking pass, with the same answers.
    #[test]
    fn verified_tokens_read_the_tenant_claim_from_the_text() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = JwkSet::from_keys(vec![Key::hmac(secret.to_vec())]);
        let key = Key::hmac(secret.to_vec());
        let sign = |claims: &str| {
            crate::jws::Signer::new(&key, JwsAlg::HS256)
                .unwrap()
                .build()
                .unwrap()
                .sign(claims.as_bytes())
                .unwrap()
        };
        let a = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let v = Validation::builder(JwsAlg::HS256)
            .issuer_template(
                IssuerTemplate::new(
                    "https://t/{tid}/",
                    TenantFormat::Guid,
                    Tenants::Only(vec![a.into()]),
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        let ok = sign(&format!(
            r#"{{"iss":"https://t/{a}/","o":{{"tid":"x"}},"tid":"{a}"}}"#
        ));
        let verified = crate::verify(&ok, &keys, &v).unwrap();
        assert_eq!(v.tenant(&verified.claims), Some(a));
        // Escaped in the text: read as the string it denotes.
        let escaped = sign(&format!(
            r#"{{"iss":"https://t/{a}/","tid":"{}"}}"#,
            a.replacen('7', "\\u0037", 1)
        ));
        crate::verify(&escaped, &keys, &v).unwrap();
        let kind = |c: &str| crate::verify(&sign(c), &keys, &v).unwrap_err().kind();
        assert_eq!(
            kind(&format!(r#"{{"iss":"https://t/{a}/","o":{{"tid":"{a}"}}}}"#)),
            ErrorKind::MissingClaim
        );
        assert_eq!(
            kind(&format!(r#"{{"iss":"https://t/{a}/","tid":["{a}"]}}"#)),
            ErrorKind::Malformed
        );
        assert_eq!(kind(r#"{"iss":"https://t/x/","tid":"x"}"#), ErrorKind::BadIssuer);
    }
}
