//! Claim validation, RFC 7519 §7.2 step 10 and §4.1, in one fixed order (see
//! [the order of checks](crate::Check#validation-order)).
//!
//! [`Validation`] is built once (it is `Send + Sync`, cheap to share) and applied to every
//! token. All options have documented defaults; the algorithm allowlist has none and must not
//! be empty.

use crate::JwsAlg;
use std::sync::Arc;
use std::time::Duration;

use super::claims::{self, ClaimValue, Claims, Registered};
use super::issuer_template::IssuerTemplate;
use super::time::{Clock, NumericDate, SystemClock, UnixTime};
use crate::check::Check;
use crate::dpop::DpopProofCheck;
use crate::error::{Error, ErrorKind, Result, err};
use crate::jwa::AlgorithmSet;
use crate::jws::{Header, JwsOptions};
use crate::sd_jwt::KeyBinding;
use crate::{Detail, Limits};

/// How to validate a JWT: algorithms, key-independent rules, claims.
#[derive(Clone, Debug)]
pub struct Validation {
    pub(crate) jws: JwsOptions,
    clock: Arc<dyn Clock>,
    leeway: Duration,
    issuers: Vec<String>,
    issuer_templates: Vec<IssuerTemplate>,
    audiences: Vec<String>,
    ignore_audience: bool,
    subject: Option<String>,
    typ: Option<String>,
    required: Vec<String>,
    max_age: Option<Duration>,
    pub(crate) expected: Expected,
}

/// What the caller expects to verify, beyond a plain JWT: each adds stages to
/// [`crate::jwt::verify_with`] ([the order of checks](crate::Check#validation-order)).
#[derive(Clone, Debug, Default)]
pub(crate) enum Expected {
    /// A JWS JWT (RFC 7519).
    #[default]
    Jwt,
    /// An SD-JWT (RFC 9901): the Disclosures and the Key Binding JWT after the signature.
    SdJwt(KeyBinding),
    /// A DPoP proof (RFC 9449 §4.3) for one request, verified with the key in its `jwk` header.
    DpopProof(DpopProofCheck),
}

/// Signature-only validation (steps 1–8 of [the order of checks](crate::Check#validation-order)): the
/// algorithms, understood `crit` names and limits of `opts`, no claim rules. For an
/// [`crate::jws::Input::signature_only`] input (a JWS that is not a JWT) through
/// [`crate::jwt::verify_local`] / [`crate::jwt::verify_with`] and
/// [`crate::jwt::Outcome::into_jws`]. An empty allowlist fails at the `alg` step
/// (`alg_not_allowed`), as it would for any token.
impl From<JwsOptions> for Validation {
    fn from(opts: JwsOptions) -> Validation {
        let mut v = Validation::builder(opts.algorithms).0;
        v.jws = opts;
        v
    }
}

/// Builder for [`Validation`]; start with [`Validation::builder`].
#[derive(Clone, Debug)]
pub struct ValidationBuilder(Validation);

impl Validation {
    /// Start building: `algorithms` is the allowlist (required, non-empty). Defaults: leeway
    /// 60 s, system clock, no issuer/audience/subject/type requirement, no required claims,
    /// no maximum age, `crit` extensions understood: `b64`, default [`Limits`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwtkit::{JwsAlg, Validation};
    /// let v = Validation::builder([JwsAlg::RS256, JwsAlg::ES256])
    ///     .issuer("https://auth.example.com/")
    ///     .audience("orders-api")
    ///     .leeway(Duration::from_secs(30))
    ///     .require("sub")
    ///     .build()?;
    /// assert_eq!(v.leeway(), Duration::from_secs(30));
    /// # Ok::<(), jwtkit::Error>(())
    /// ```
    pub fn builder(algorithms: impl Into<AlgorithmSet<JwsAlg>>) -> ValidationBuilder {
        ValidationBuilder(Validation {
            jws: JwsOptions::new(algorithms),
            clock: Arc::new(SystemClock),
            leeway: Duration::from_secs(60),
            issuers: Vec::new(),
            issuer_templates: Vec::new(),
            audiences: Vec::new(),
            ignore_audience: false,
            subject: None,
            typ: None,
            required: Vec::new(),
            max_age: None,
            expected: Expected::Jwt,
        })
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> AlgorithmSet<JwsAlg> {
        self.jws.algorithms
    }

    /// The signature-only options (algorithms, `crit`, limits).
    pub fn jws_options(&self) -> &JwsOptions {
        &self.jws
    }

    /// The limits applied to tokens.
    pub fn limits(&self) -> &Limits {
        &self.jws.limits
    }

    /// Allowed clock skew.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The clock's current time (seconds since the epoch).
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Expected issuers (any of).
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// Accepted issuer templates (multi-tenant issuers, [`IssuerTemplate`]).
    pub fn issuer_templates(&self) -> &[IssuerTemplate] {
        &self.issuer_templates
    }

    /// The tenant of a token these rules accepted: the tenant claim's value when `iss` came
    /// through an [`IssuerTemplate`] (None for an exact issuer, or no template). Call it on
    /// validated claims only: it re-reads the claim, it does not check again.
    pub fn tenant<'c>(&self, claims: &'c Claims) -> Option<&'c str> {
        let iss = claims.iss().present()?;
        if self.issuers.iter().any(|i| i == iss) {
            return None;
        }
        self.issuer_templates.iter().find_map(|t| {
            let tenant = claims.get(t.claim())?.as_str()?;
            (t.fits(iss) && t.issuer_for(tenant) == iss).then_some(tenant)
        })
    }

    /// Expected audiences (any of).
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Check a claims set (and the header's `typ`) after the signature verified.
    ///
    /// Order: NumericDate types (`exp`, `nbf`, `iat`) → required claims → `exp` → `nbf` →
    /// `iat` not in the future → maximum age → `iss` (exact, else an issuer template with its
    /// tenant claim) → `aud` → `sub` → `typ`.
    ///
    /// # Errors
    /// `malformed`, `missing_claim`, `expired`, `not_yet_valid`, `issued_in_future`,
    /// `too_old`, `bad_issuer`, `bad_audience`, `bad_subject`, `bad_type`, each with the
    /// values involved in the message and [`Detail`].
    pub fn validate(&self, header: &Header, claims: &Claims) -> Result<()> {
        self.check(header, &claims.registered(), claims)
    }

    /// Check a claims set that comes without a JOSE header — an RFC 7662 introspection
    /// answer, whose authorization server vouches for it — with every rule of
    /// [`Validation::validate`] but `typ`, in the same order.
    ///
    /// # Errors
    /// As [`Validation::validate`]; `invalid_config` when these rules require a `typ` (there
    /// is no header to read it from).
    pub fn validate_claims(&self, claims: &Claims) -> Result<()> {
        if self.typ.is_some() {
            return Err(err!(
                InvalidConfig,
                "these rules require a header typ, and a claims set without a JOSE header has none"
            ));
        }
        self.check_claims(&claims.registered(), claims)
    }

    /// [`Validation::validate`] with the registered claims already at hand (`claims` is read
    /// only for required claims that are not registered ones).
    pub(crate) fn check(&self, header: &Header, registered: &Registered<'_>, claims: &Claims) -> Result<()> {
        self.check_claims(registered, claims)?;
        self.check_typ(header, claims)
    }

    /// Every claim check of [`Validation::check`], `typ` excepted.
    fn check_claims(&self, registered: &Registered<'_>, claims: &Claims) -> Result<()> {
        let now = self.clock.now();
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        let mut dates = [None; 3];
        let date_claims = [
            ("exp", registered.exp),
            ("nbf", registered.nbf),
            ("iat", registered.iat),
        ];
        for (slot, (name, value)) in dates.iter_mut().zip(date_claims) {
            match claims::numeric_date(value) {
                ClaimValue::Absent => {}
                ClaimValue::Present(v) => *slot = Some(v),
                ClaimValue::Invalid(found) => {
                    return Err(err!(
                        Malformed,
                        "claim {name} must be a NumericDate (a JSON number of seconds since 1970), found {found}"
                    )
                    .with_detail(mismatch(name, &["NumericDate"], Some(found)))
                    .at(Check::ClaimTypes));
                }
            }
        }
        let [exp, nbf, iat] = dates;
        for name in &self.required {
            if !registered.has(name).unwrap_or_else(|| claims.contains(name)) {
                return Err(missing(name));
            }
        }
        self.check_times(exp, nbf, iat, now, leeway)?;
        self.check_issuer(registered.iss, claims)?;
        self.check_audience(registered.aud)?;
        self.check_subject(registered.sub)?;
        Ok(())
    }

    /// RFC 7519 §4.1.4 `exp`, §4.1.5 `nbf`, §4.1.6 `iat` (not in the future), then the maximum
    /// age from `iat`, each with the leeway (seconds).
    fn check_times(
        &self,
        exp: Option<f64>,
        nbf: Option<f64>,
        iat: Option<f64>,
        now: i64,
        leeway: i64,
    ) -> Result<()> {
        let time = |claim: &'static str, value: f64| Detail::Time {
            claim,
            value,
            now,
            leeway: self.leeway.as_secs(),
        };
        let ctx = |name: &str, value: f64| {
            format!(
                "({name} {} = {}, now {now}, leeway {}s)",
                fmt_num(value),
                NumericDate(value),
                self.leeway.as_secs()
            )
        };
        if let Some(exp) = exp
            && (now.saturating_sub(leeway) as f64) >= exp
        {
            return Err(err!(
                Expired,
                "token expired {} {}",
                NumericDate(exp).relative_to(now),
                ctx("exp", exp)
            )
            .with_detail(time("exp", exp)));
        }
        if let Some(nbf) = nbf
            && (now.saturating_add(leeway) as f64) < nbf
        {
            return Err(err!(
                NotYetValid,
                "token is not valid yet: nbf is {} {}",
                NumericDate(nbf).relative_to(now),
                ctx("nbf", nbf)
            )
            .with_detail(time("nbf", nbf)));
        }
        if let Some(iat) = iat
            && iat > now.saturating_add(leeway) as f64
        {
            return Err(err!(
                IssuedInFuture,
                "token is issued in the future: iat is {} {}; check the issuer's clock",
                NumericDate(iat).relative_to(now),
                ctx("iat", iat)
            )
            .with_detail(time("iat", iat)));
        }
        if let Some(max_age) = self.max_age {
            let Some(iat) = iat else {
                return Err(err!(
                    MissingClaim,
                    "claim iat is required to check the maximum token age of {}",
                    NumericDate::format_duration(max_age.as_secs())
                )
                .with_detail(mismatch("iat", &["present"], None))
                .at(Check::MaxAge));
            };
            let age = now.saturating_sub(leeway) as f64 - iat;
            if age > max_age.as_secs() as f64 {
                return Err(err!(
                    TooOld,
                    "token is older than the maximum age of {}: issued {} {}",
                    NumericDate::format_duration(max_age.as_secs()),
                    NumericDate(iat).relative_to(now),
                    ctx("iat", iat)
                )
                .with_detail(time("iat", iat)));
            }
        }
        Ok(())
    }

    /// RFC 7519 §4.1.1 `iss`: one of the expected issuers exactly, or an issuer template it
    /// fits (whose tenant check then runs); required when any issuer is expected.
    fn check_issuer(&self, iss: Option<claims::ClaimRef<'_>>, claims: &Claims) -> Result<()> {
        if !self.issuers.is_empty() || !self.issuer_templates.is_empty() {
            match claims::string(iss) {
                ClaimValue::Absent => return Err(missing("iss").at(Check::Iss)),
                ClaimValue::Invalid(found) => {
                    return Err(
                        err!(Malformed, "claim iss must be a string, found {found}").at(Check::ClaimTypes)
                    );
                }
                ClaimValue::Present(iss) if self.issuers.iter().any(|i| i == iss) => {}
                ClaimValue::Present(iss) => match self.issuer_templates.iter().find(|t| t.fits(iss)) {
                    Some(t) => {
                        t.check(iss, claims)?;
                    }
                    None => {
                        let expected: Vec<String> = self
                            .issuers
                            .iter()
                            .cloned()
                            .chain(self.issuer_templates.iter().map(IssuerTemplate::template))
                            .collect();
                        return Err(err!(
                                BadIssuer,
                                "iss {} is not the expected issuer ({}); issuers are compared exactly, case and trailing '/' included",
                                crate::text::quote(iss),
                                quoted_list(&expected)
                            )
                            .with_detail(mismatch("iss", &expected, Some(iss.to_string()))));
                    }
                },
            }
        }
        Ok(())
    }

    /// RFC 7519 §4.1.2 `sub`: the expected subject exactly, when one is expected.
    fn check_subject(&self, sub: Option<claims::ClaimRef<'_>>) -> Result<()> {
        if let Some(expected) = &self.subject {
            match claims::string(sub) {
                ClaimValue::Absent => return Err(missing("sub").at(Check::Sub)),
                ClaimValue::Invalid(found) => {
                    return Err(
                        err!(Malformed, "claim sub must be a string, found {found}").at(Check::ClaimTypes)
                    );
                }
                ClaimValue::Present(sub) if sub != expected => {
                    return Err(err!(
                        BadSubject,
                        "sub {} is not the expected subject {}",
                        crate::text::quote(sub),
                        crate::text::quote(expected)
                    )
                    .with_detail(mismatch(
                        "sub",
                        std::slice::from_ref(expected),
                        Some(sub.to_string()),
                    )));
                }
                ClaimValue::Present(_) => {}
            }
        }
        Ok(())
    }

    fn check_typ(&self, header: &Header, claims: &Claims) -> Result<()> {
        if let Some(expected) = &self.typ
            && !typ_matches(header.typ(), expected)
        {
            return Err(err!(
                BadType,
                "header typ is {}, expected {}{}",
                header.typ().map_or("absent".to_string(), crate::text::quote),
                crate::text::quote(expected),
                crate::jwt::token_type::confusion_for_typ(header, claims, expected)
                    .map(|why| format!(": {why}"))
                    .unwrap_or_default()
            )
            .with_detail(mismatch(
                "typ",
                std::slice::from_ref(expected),
                header.typ().map(str::to_owned),
            )));
        }
        Ok(())
    }

    fn check_audience(&self, value: Option<claims::ClaimRef<'_>>) -> Result<()> {
        if self.ignore_audience {
            return Ok(());
        }
        // The usual case, a single audience string that is expected, without building a list.
        if let Some(aud) = value.and_then(claims::ClaimRef::as_str)
            && self.audiences.iter().any(|e| e == aud)
        {
            return Ok(());
        }
        let aud = match claims::audience(value) {
            ClaimValue::Absent if self.audiences.is_empty() => return Ok(()),
            ClaimValue::Absent => return Err(missing("aud").at(Check::Aud)),
            ClaimValue::Invalid(found) => {
                return Err(err!(
                    Malformed,
                    "claim aud must be a string or an array of strings, found {found}"
                )
                .at(Check::ClaimTypes));
            }
            ClaimValue::Present(a) => a,
        };
        let found = || aud.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        if self.audiences.is_empty() {
            let found = found();
            return Err(Error::new(
                ErrorKind::BadAudience,
                format!(
                    "the token is meant for aud [{}] but no audience is expected here; \
                     pass the expected audience (RFC 7519 §4.1.3 requires rejecting otherwise)",
                    quoted_list(&found)
                ),
            )
            .with_detail(mismatch("aud", &[] as &[String], Some(found.join(",")))));
        }
        if aud.iter().any(|a| self.audiences.iter().any(|e| e == a)) {
            return Ok(());
        }
        let found = found();
        Err(Error::new(
            ErrorKind::BadAudience,
            format!(
                "aud [{}] contains none of the expected audiences ({})",
                quoted_list(&found),
                quoted_list(&self.audiences)
            ),
        )
        .with_detail(mismatch("aud", &self.audiences, Some(found.join(",")))))
    }
}

impl ValidationBuilder {
    /// Add an accepted issuer (`iss`, compared exactly). Several calls: any of them.
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.0.issuers.push(iss.into());
        self
    }

    /// Add an accepted multi-tenant issuer ([`IssuerTemplate`]): `iss` is accepted when it is
    /// the template filled with the token's own tenant claim, of the right shape and allowed.
    /// Checked at the `iss` step, after the exact issuers of [`ValidationBuilder::issuer`];
    /// several calls: any of them.
    /// A token it refuses fails with `missing_claim`, `malformed` or `bad_issuer` naming the
    /// tenant ([`IssuerTemplate`]'s order).
    pub fn issuer_template(mut self, template: IssuerTemplate) -> Self {
        self.0.issuer_templates.push(template);
        self
    }

    /// Add an accepted audience. The token's `aud` (string or array) must contain one of them.
    /// Without any, a token that has `aud` is rejected (`bad_audience`) unless
    /// [`ValidationBuilder::ignore_audience`].
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.0.audiences.push(aud.into());
        self
    }

    /// Do not check `aud` at all. For inspection tools only.
    pub fn ignore_audience(mut self, ignore: bool) -> Self {
        self.0.ignore_audience = ignore;
        self
    }

    /// Require `sub` to equal this value.
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.0.subject = Some(sub.into());
        self
    }

    /// Require the header `typ` (compared case-insensitively, `application/` prefix optional,
    /// RFC 7515 §4.1.9).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.0.typ = Some(typ.into());
        self
    }

    /// Require a claim to be present (any name).
    pub fn require(mut self, claim: impl Into<String>) -> Self {
        self.0.required.push(claim.into());
        self
    }

    /// Allowed clock skew for `exp`, `nbf`, `iat` and max age. Default 60 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.0.leeway = leeway;
        self
    }

    /// Maximum age since `iat` (which then becomes required). Default: none.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.0.max_age = Some(max_age);
        self
    }

    /// The clock. Default: the system clock.
    pub(crate) fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.0.clock = clock;
        self
    }

    /// Fix "now" (seconds since the epoch), e.g. from `--now` or in tests. Default: the system
    /// clock, read at each validation ([`NumericDate::now`]).
    pub fn now(self, now: UnixTime) -> Self {
        self.clock(Arc::new(super::time::FixedClock(now)))
    }

    /// Input limits. Default [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.0.jws.limits = limits;
        self
    }

    /// `crit` extensions the caller understands, replacing the default `["b64"]`.
    pub fn crit(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.0.jws.crit = names.into_iter().map(Into::into).collect();
        self
    }

    /// Expect an SD-JWT (RFC 9901, `<Issuer-signed JWT>~<Disclosure>~…~[<KB-JWT>]`):
    /// [`crate::jwt::verify_with`] then checks the Disclosures against their digests
    /// ([`crate::Check::Disclosures`]) before the claims, and the Key Binding JWT as
    /// `key_binding` says ([`crate::Check::KeyBinding`]) after them; the [`crate::jwt::Outcome`]
    /// carries the processed claims and [`crate::sd_jwt::Disclosed`]. A plain JWT is then
    /// `malformed`.
    pub fn sd_jwt(mut self, key_binding: KeyBinding) -> Self {
        self.0.expected = Expected::SdJwt(key_binding);
        self
    }

    /// Expect a DPoP proof (RFC 9449 §4.3) for the request `check` describes:
    /// [`crate::jwt::verify_with`] verifies it with the public key of its own `jwk` header (the
    /// key source is not asked), with the asymmetric algorithms of the allowlist, this
    /// validation's clock and limits, and none of the JWT claim checks (a proof has its own,
    /// [`crate::Check::DpopProof`]). The [`crate::jwt::Outcome`] carries
    /// [`crate::dpop::VerifiedProof`].
    pub fn dpop_proof(mut self, check: DpopProofCheck) -> Self {
        self.0.expected = Expected::DpopProof(check);
        self
    }

    /// Finish.
    ///
    /// # Errors
    /// `invalid_config` when the algorithm allowlist is empty.
    pub fn build(self) -> Result<Validation> {
        if self.0.jws.algorithms.is_empty() {
            return Err(err!(
                InvalidConfig,
                "the algorithm allowlist is empty: name the algorithms to accept"
            ));
        }
        Ok(self.0)
    }
}

fn typ_matches(found: Option<&str>, expected: &str) -> bool {
    let norm = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.strip_prefix("application/").map(str::to_owned).unwrap_or(l)
    };
    found.is_some_and(|f| norm(f) == norm(expected))
}

fn missing(name: &str) -> Error {
    err!(MissingClaim, "required claim {name} is absent").with_detail(mismatch(name, &["present"], None))
}

fn mismatch(claim: &str, expected: &[impl ToString], found: Option<String>) -> Detail {
    Detail::Mismatch {
        claim: claim.to_string(),
        expected: expected.iter().map(ToString::to_string).collect(),
        found,
    }
}

fn quoted_list(v: &[String]) -> String {
    v.iter()
        .map(|s| crate::text::quote(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
