//! `jwtkit verify`: gather inputs → one core call ([`jwtkit::jwt::verify_local`]) → render its
//! outcome (signature, then claims, then findings; a diagnosis when the signature fails).

use jwtkit::dangerous::{Unverified, decode_unverified};
use jwtkit::diagnose::{self, Diagnosis};
use jwtkit::jwt::{Input, Outcome, parse_claims};
use jwtkit::lint::{self, Finding};
use jwtkit::{AlgSet, Error, JwkSet, JwsAlg, Limits, Validation};
use serde_json::{Value, json};

use crate::cli::VerifyArgs;
use crate::exit::{self, Failure};
use crate::input::{self, LoadedKeys};
use crate::output::{self, Style};

/// The allowlist: `--alg` values, else what the keys allow (never the token).
pub fn allowlist(algs: &[String], keys: &JwkSet) -> Result<AlgSet, Failure> {
    if !algs.is_empty() {
        return algs
            .iter()
            .map(|a| {
                a.parse::<JwsAlg>().map_err(|e| {
                    let jwe = a.parse::<jwtkit::jwa::KeyMgmtAlg>().is_ok();
                    Failure::Usage(format!(
                        "--alg: {}{}",
                        e.message(),
                        if jwe {
                            "; it is a JWE key management algorithm, and this token is signed, not encrypted"
                        } else {
                            ""
                        }
                    ))
                })
            })
            .collect();
    }
    Ok(keys.algorithms())
}

/// Build the `Validation` from the flags; `issuer` (from `--issuer`) is expected when no `--iss` is given.
pub fn validation(
    args: &VerifyArgs,
    algs: AlgSet,
    now: i64,
    issuer: Option<&str>,
) -> Result<Validation, Failure> {
    let mut b = Validation::builder(algs)
        .now(now)
        .leeway(input::duration("--leeway", &args.leeway)?);
    if let Some(m) = &args.max_age {
        b = b.max_age(input::duration("--max-age", m)?);
    }
    for i in &args.issuers {
        b = b.issuer(i);
    }
    if let Some(i) = issuer.filter(|_| args.issuers.is_empty() && args.iss_template.is_none()) {
        b = b.issuer(i);
    }
    if let Some(t) = &args.iss_template {
        b = b.issuer_template(issuer_template(args, t)?);
    }
    for a in &args.audiences {
        b = b.audience(a);
    }
    if let Some(s) = &args.sub {
        b = b.subject(s);
    }
    if let Some(t) = &args.typ {
        b = b.typ(t);
    }
    for r in &args.required {
        b = b.require(r);
    }
    b = b.ignore_audience(args.ignore_aud);
    b.build().map_err(Failure::Jose)
}

/// `--iss-template` with `--tenant`/`--any-tenant` and `--tenant-format`.
fn issuer_template(args: &VerifyArgs, template: &str) -> Result<jwtkit::jwt::IssuerTemplate, Failure> {
    use jwtkit::jwt::{IssuerTemplate, TenantFormat, Tenants};
    let tenants = match (args.any_tenant, args.tenants.is_empty()) {
        (true, _) => Tenants::Any,
        (false, false) => Tenants::Only(args.tenants.clone()),
        (false, true) => {
            return Err(Failure::Usage(
                "--iss-template needs the allowed tenants: --tenant ID (repeatable) or --any-tenant".into(),
            ));
        }
    };
    let format = args
        .tenant_format
        .parse::<TenantFormat>()
        .map_err(Failure::Jose)?;
    IssuerTemplate::new(template, format, tenants).map_err(Failure::Jose)
}

/// `jwtkit verify`: gather the inputs (token, keys, allowlist, validation), make one core call
/// ([`jwtkit::jwt::verify_local`]), render its outcome (`--json` or text).
pub fn run(args: &VerifyArgs, st: Style) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let extracted = input::token(args.token.token.as_deref())?;
    let token = extracted.token.as_str();
    if jwtkit::sd_jwt::SdJwt::looks_like(token) {
        return super::sd::verify(args, st, token, extracted.notes.clone(), now);
    }
    let limits = Limits::default();
    let unverified = decode_unverified(token, &limits);
    if matches!(unverified.payload, jwtkit::dangerous::Payload::Encrypted) {
        if args.payload.is_some() {
            return Err(Failure::Usage(
                "--payload gives the detached content of a JWS; this token is a JWE".into(),
            ));
        }
        return super::verify_jwe::verify_jwe(args, st, token, extracted.notes.clone());
    }
    // Detached content (RFC 7515 Appendix F): the JWS Payload, supplied separately.
    let detached = args.payload.as_deref().map(input::content).transpose()?;
    let content = detached.as_ref().map(|(bytes, _)| bytes.as_slice());
    let (keys, remote_issuer, discovery_algs) = gather_keys(args, &unverified, &limits)?;
    let algs = signature_allowlist(args, &keys.set, discovery_algs)?;
    let validation = validation(args, algs, now, remote_issuer.as_deref())?;
    // The one core call: signature, then (unless --jws) the claims, in the core's order.
    let mut input = Input::new(token);
    if let Some(c) = content {
        input = input.detached(c);
    }
    if args.jws {
        input = input.signature_only();
    }
    let outcome = jwtkit::jwt::verify_local(input, &keys.set, &validation);
    if let Some(e) = &outcome.error
        && e.fault() != jwtkit::Fault::Token
    {
        return Err(Failure::Jose(e.clone()));
    }
    let diagnosis = match &outcome.error {
        Some(e) if !outcome.signature_verified() && e.kind() != jwtkit::ErrorKind::ResourceLimit => {
            Some(match content {
                Some(c) => diagnose::explain_detached(token, c, &keys.set, &validation, &keys.secrets),
                None => diagnose::explain(token, &keys.set, &validation, &keys.secrets),
            })
        }
        _ => None,
    };
    let mut notes = extracted.notes.clone();
    // With the content supplied, "the payload is empty (detached content …)" is no news.
    let supplied = |n: &&String| detached.is_none() || !n.contains("detached");
    notes.extend(unverified.notes.iter().filter(supplied).cloned());
    let report = Report {
        args,
        now,
        detached_claims: content.and_then(|c| parse_claims(c, &limits).ok()),
        unverified: &unverified,
        keys: &keys,
        outcome,
        detached: detached.as_ref(),
        diagnosis,
        notes,
    };
    let findings = report.findings();
    if args.json {
        output::print_json(&report.to_json(&findings));
    } else {
        report.render(&findings, st);
    }
    Ok(report.exit_code())
}

/// The keys: from `--jwks`/`--issuer` (or an allowlisted `jku`/`x5u`), else `--secret`/`--key`;
/// with the issuer they belong to and the algorithms its discovery document lists.
pub(crate) fn gather_keys(
    args: &VerifyArgs,
    unverified: &Unverified,
    limits: &Limits,
) -> Result<(LoadedKeys, Option<String>, AlgSet), Failure> {
    let hmac = unverified.alg().filter(|a| a.starts_with("HS"));
    let header_str = |name: &str| {
        unverified
            .header
            .as_ref()
            .and_then(|h| h.get(name))
            .and_then(Value::as_str)
    };
    let kid = header_str("kid");
    let urls = crate::cmd::remote::TokenKeyUrls {
        jku: header_str("jku"),
        x5u: header_str("x5u"),
    };
    let remote = crate::cmd::remote::load(&args.remote, kid, urls, &args.issuers)?;
    if remote.is_some()
        && (args.keys.secret.is_some() || args.keys.secret_prompt || !args.keys.key.is_empty())
    {
        return Err(Failure::Usage(
            "give either --jwks/--issuer or --secret/--key, not both".into(),
        ));
    }
    let (keys, remote_issuer, discovery_algs) = match remote {
        Some(r) => (r.loaded, r.issuer, r.discovery_algs),
        None => (input::keys(&args.keys, limits, hmac)?, None, AlgSet::empty()),
    };
    if keys.set.is_empty() {
        let named = match (urls.jku, urls.x5u) {
            (Some(u), _) => format!("; the token's jku names {u:?}: --allow-key-url {u:?} trusts it"),
            (None, Some(u)) => format!("; the token's x5u names {u:?}: --allow-key-url {u:?} trusts it"),
            (None, None) => String::new(),
        };
        return Err(Failure::Usage(format!(
            "no key: give --secret S, --secret-prompt, --key FILE (PEM, DER, JWK or JWK Set), --jwks or --issuer{named}"
        )));
    }
    Ok((keys, remote_issuer, discovery_algs))
}

/// The signature allowlist: `--alg`, else the keys' algorithms narrowed by the provider's
/// `id_token_signing_alg_values_supported`; never empty.
pub(crate) fn signature_allowlist(
    args: &VerifyArgs,
    keys: &JwkSet,
    discovery_algs: AlgSet,
) -> Result<AlgSet, Failure> {
    let mut algs = allowlist(&args.algs, keys)?;
    if args.algs.is_empty() && !discovery_algs.is_empty() {
        // The provider's id_token_signing_alg_values_supported narrows the keys' algorithms.
        algs = algs.intersect(discovery_algs);
    }
    if algs.is_empty() {
        let kinds: Vec<String> = keys
            .keys()
            .iter()
            .map(|k| format!("{} ({})", k.label(), k.family()))
            .collect();
        return Err(Failure::Jose(jwtkit::Error::new(
            jwtkit::ErrorKind::InvalidConfig,
            format!(
                "none of the keys can verify a signature: {}; an X25519 key or a JWK whose alg is a JWE \
                 algorithm (RSA-OAEP, ECDH-ES, A*KW) only decrypts: give the signer's key (or --alg when the \
                 JWK alg is wrong)",
                kinds.join(", ")
            ),
        )));
    }
    Ok(algs)
}

/// What `verify` reports: the core's outcome and what the CLI adds (diagnosis, findings,
/// notes, the unverified token for context).
struct Report<'a> {
    args: &'a VerifyArgs,
    now: i64,
    unverified: &'a Unverified,
    detached_claims: Option<jwtkit::Claims>,
    keys: &'a LoadedKeys,
    outcome: Outcome<'a>,
    detached: Option<&'a (Vec<u8>, String)>,
    diagnosis: Option<Diagnosis>,
    notes: Vec<String>,
}

impl Report<'_> {
    /// The claims to show: the token's, or those of the detached content.
    fn shown_claims(&self) -> Option<&jwtkit::json::Object> {
        self.unverified
            .claims()
            .or(self.detached_claims.as_ref().map(jwtkit::Claims::as_object))
    }

    /// Findings of the token, and of the key that verified (or of the secrets given).
    fn findings(&self) -> Vec<Finding> {
        let mut findings = self
            .unverified
            .header
            .as_ref()
            .map(|h| lint::token_findings(h, self.shown_claims(), self.now))
            .unwrap_or_default();
        match self.outcome.key() {
            Some(k) => findings.extend(lint::key_findings(k, self.outcome.alg)),
            None => {
                for k in self
                    .keys
                    .set
                    .keys()
                    .iter()
                    .filter(|k| k.family() == jwtkit::KeyFamily::Oct)
                {
                    findings.extend(lint::key_findings(
                        k,
                        self.unverified.alg().and_then(|a| a.parse().ok()),
                    ));
                }
            }
        }
        findings
    }

    fn exit_code(&self) -> u8 {
        match &self.outcome.error {
            None => exit::OK,
            Some(e) => exit::code_for(e.kind()),
        }
    }

    /// The `--json` report.
    fn to_json(&self, findings: &[Finding]) -> Value {
        let outcome = &self.outcome;
        let ok = outcome.is_valid();
        let shown_claims = self.shown_claims();
        let mut m = serde_json::Map::new();
        m.insert("valid".into(), ok.into());
        m.insert("alg".into(), json!(outcome.alg));
        m.insert(
            "key".into(),
            json!(
                outcome
                    .key()
                    .map(|k| json!({"kid": k.kid(), "thumbprint": k.shown_thumbprint()}))
            ),
        );
        m.insert("error".into(), json!(outcome.error.as_ref().map(Error::to_json)));
        m.insert("findings".into(), findings.iter().map(|f| f.to_json()).collect());
        m.insert("warnings".into(), json!(self.notes));
        if let Some((bytes, from)) = self.detached {
            m.insert(
                "detached_payload".into(),
                json!({"supplied": true, "bytes": bytes.len(), "from": from}),
            );
        }
        match (&outcome.header, signature_error(outcome)) {
            (Some(header), None) => {
                m.insert("header".into(), Value::Object(header.as_object().clone()));
                match (&outcome.claims, &outcome.payload) {
                    (Some(c), _) if ok => {
                        m.insert("claims".into(), Value::Object(c.as_object().clone()));
                    }
                    (_, Some(payload)) => {
                        m.insert("payload".into(), payload_json(payload));
                    }
                    _ => {
                        m.insert(
                            "unverified".into(),
                            json!({"claims": shown_claims, "note": "the signature verified but the claims were rejected"}),
                        );
                    }
                }
            }
            _ => {
                m.insert(
                    "unverified".into(),
                    json!({"header": self.unverified.header, "claims": shown_claims}),
                );
            }
        }
        if let Some(d) = &self.diagnosis {
            m.insert("diagnosis".into(), d.to_json());
        }
        Value::Object(m)
    }

    /// The text report: the stages, the verdict, the diagnosis, then the token.
    fn render(&self, findings: &[Finding], st: Style) {
        output::notes(&self.notes, st);
        for s in &self.keys.sources {
            errln!("{} {s}", st.dim("key:"));
        }
        self.render_stages(st);
        if let (Some(d), Some(e)) = (&self.diagnosis, &self.outcome.error) {
            output::section("Diagnosis", &output::diagnosis(d, e, st), st);
        }
        let verified = self.outcome.signature_verified();
        // The header of the signature that verified (a general JWS JSON has one per signature).
        match (
            self.outcome.header.as_ref().filter(|_| verified),
            &self.unverified.header,
        ) {
            (Some(header), _) => output::section(
                "Header",
                &[output::json(&Value::Object(header.as_object().clone()), st)],
                st,
            ),
            (None, Some(h)) => output::section(
                "Header (unverified)",
                &[output::json(&Value::Object(h.clone()), st)],
                st,
            ),
            (None, None) => {}
        }
        if let Some(c) = self.shown_claims() {
            let title = if verified {
                "Payload"
            } else {
                "Payload (unverified)"
            };
            output::section(title, &[output::json(&Value::Object(c.clone()), st)], st);
            output::section("Times", &output::times(c, self.now, self.args.time, st), st);
        }
        output::section("Findings", &output::findings(findings, st), st);
    }

    /// `Signature`, `Payload` (detached), `Claims` and the verdict, one line each.
    fn render_stages(&self, st: Style) {
        let outcome = &self.outcome;
        match (signature_error(outcome), outcome.alg) {
            (None, Some(alg)) => {
                let key = outcome.key().map(|k| k.label()).unwrap_or_default();
                outln!(
                    "{}  {} {}",
                    st.bold("Signature"),
                    st.green("✓ verified"),
                    st.dim(&format!("({alg} with {key})"))
                );
            }
            (e, _) => outln!(
                "{}  {} {}",
                st.bold("Signature"),
                st.red("✗"),
                st.red(&e.map(Error::to_string).unwrap_or_default())
            ),
        }
        if let Some((bytes, from)) = self.detached {
            outln!(
                "{}    {}",
                st.bold("Payload"),
                st.dim(&format!(
                    "detached, supplied with --payload: {} byte{} from {from}",
                    bytes.len(),
                    if bytes.len() == 1 { "" } else { "s" }
                ))
            );
        }
        match (&outcome.error, outcome.signature_verified()) {
            (None, true) if !self.args.jws => outln!("{}     {}", st.bold("Claims"), st.green("✓ valid")),
            (Some(e), true) => outln!(
                "{}     {} {}",
                st.bold("Claims"),
                st.red("✗"),
                st.red(&e.to_string())
            ),
            (None, true) => {
                outln!("{}     {}", st.bold("Claims"), st.dim("not checked (--jws)"))
            }
            _ => outln!(
                "{}     {}",
                st.bold("Claims"),
                st.dim("not checked: the signature must verify first")
            ),
        }
        outln!(
            "{}",
            if outcome.is_valid() {
                st.green(&st.bold("VALID"))
            } else {
                st.red(&st.bold("INVALID"))
            }
        );
    }
}

/// The error of the signature stage (steps 1–8), if the signature did not verify.
fn signature_error<'o>(outcome: &'o Outcome<'_>) -> Option<&'o Error> {
    outcome.error.as_ref().filter(|_| !outcome.signature_verified())
}

fn payload_json(b: &[u8]) -> Value {
    json!({"utf8": std::str::from_utf8(b).ok(), "b64u": jwtkit::base64url::encode(b)})
}
