//! `jwtkit verify`: gather inputs → one core call ([`jwtkit::jwt::verify_local`]) → render its
//! outcome (signature, then claims, then findings; a diagnosis when the signature fails).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::dangerous::Unverified;
use jwtkit::diagnose::Diagnosis;
use jwtkit::diagnose::Finding;
use jwtkit::jwt::{Input, Outcome, ValidationBuilder};
use jwtkit::{AlgorithmSet, Error, JwkSet, JwsAlg, Limits, Validation};
use serde_json::{Value, json};

use super::token_kind::Kind;
use crate::cli::VerifyArgs;
use crate::exit::{self, Failure};
use crate::input::{self, LoadedKeys};
use crate::output::{self, Style};

/// The allowlist: `--alg` values, else what the keys allow (never the token).
pub fn allowlist(algs: &[String], keys: &JwkSet) -> Result<AlgorithmSet<JwsAlg>, Failure> {
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

/// The `Validation` of the flags, to finish (an SD-JWT or DPoP expectation added) or build;
/// `issuer` (from `--issuer`) is expected when no `--iss` is given.
pub fn builder(
    args: &VerifyArgs,
    algs: AlgorithmSet<JwsAlg>,
    now: i64,
    issuer: Option<&str>,
) -> Result<ValidationBuilder, Failure> {
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
    if let Some(t) = args.kind.typ(args.typ.as_deref()) {
        b = b.typ(t);
    }
    for r in &args.required {
        b = b.require(r);
    }
    Ok(b.ignore_audience(args.ignore_aud))
}

/// `--iss-template` with `--tenant`/`--any-tenant` and `--tenant-format`.
fn issuer_template(args: &VerifyArgs, template: &str) -> Result<jwtkit::jwt::IssuerTemplate, Failure> {
    use jwtkit::jwt::IssuerTemplate;
    let format = args.tenant_format.as_str();
    match (args.any_tenant, args.tenants.is_empty()) {
        (true, _) => IssuerTemplate::any_tenant(template, format),
        (false, false) => IssuerTemplate::with_tenants(template, format, args.tenants.clone()),
        (false, true) => {
            return Err(Failure::Usage(
                "--iss-template needs the allowed tenants: --tenant ID (repeatable) or --any-tenant".into(),
            ));
        }
    }
    .map_err(Failure::Jose)
}

/// `jwtkit verify`: gather the inputs (token, keys, allowlist, validation), make one core call
/// ([`jwtkit::jwt::verify_local`]), render its outcome (`--json` or text). An SD-JWT
/// (`sd::verify`) and a JWE (`verify_jwe`) are gathered and rendered by their own modules,
/// with one core call each too.
pub fn run(args: &VerifyArgs, st: Style) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let extracted = input::token(args.token.token.as_deref())?;
    if args.strict {
        // The core's rule: any repair of the input is `malformed`, naming the byte offset.
        extracted.require_exact().map_err(|e| Failure::Jose(e.clone()))?;
    }
    let token = extracted.token.as_str();
    if jwtkit::sd_jwt::SdJwt::looks_like(token) {
        return super::sd_verify::verify(args, st, token, &extracted, now);
    }
    let limits = Limits::default();
    let unverified = Unverified::decode(token, &limits);
    if matches!(unverified.payload, jwtkit::dangerous::Payload::Encrypted) {
        if args.payload.is_some() {
            return Err(Failure::Usage(
                "--payload gives the detached content of a JWS; this token is a JWE".into(),
            ));
        }
        return super::verify_jwe::verify_jwe(args, st, token, &extracted);
    }
    // Detached content (RFC 7515 Appendix F): the JWS Payload, supplied separately.
    let detached = args.payload.as_deref().map(input::content).transpose()?;
    let content = detached.as_ref().map(|(bytes, _)| bytes.as_slice());
    let (keys, validation, is_dpop) = inputs(args, &unverified, now, &limits)?;
    // The one core call: signature, then (unless --jws) the claims, in the core's order.
    let mut input = Input::new(token);
    if !args.strict {
        // The CLI reads any JWS given to it; --strict keeps a JWT compact (RFC 7519 §7.2).
        input = input.json_serialization();
    }
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
    // Why the signature failed (not for a DPoP proof: it carries its own key).
    let diagnosis = match &outcome.error {
        Some(e)
            if !is_dpop && !outcome.signature_verified() && e.kind() != jwtkit::ErrorKind::ResourceLimit =>
        {
            Some(diagnose_signature(token, content, &keys, &validation))
        }
        _ => None,
    };
    let mut notes = extracted.notes.clone();
    // With the content supplied, "the payload is empty (detached content …)" is no news.
    let supplied = |n: &&String| detached.is_none() || !n.contains("detached");
    notes.extend(unverified.notes.iter().filter(supplied).cloned());
    let found = match (&outcome.header, &outcome.claims) {
        (Some(h), Some(c)) if outcome.signature_verified() => Some(jwtkit::jwt::Classification::of(h, c)),
        _ => jwtkit::jwt::Classification::of_unverified(&unverified),
    };
    let kind = Kind::of(found, args.kind.typ(args.typ.as_deref()));
    if let Some(why) = kind.as_ref().and_then(|k| k.confusion.as_ref())
        && outcome.error.as_ref().map(Error::kind) != Some(jwtkit::ErrorKind::BadType)
    {
        notes.push(why.clone());
    }
    let report = Report {
        args,
        now,
        detached_claims: content.and_then(|c| jwtkit::Claims::parse(c, &limits).ok()),
        unverified: &unverified,
        keys: &keys,
        outcome,
        detached: detached.as_ref(),
        diagnosis,
        notes,
        extracted: &extracted,
        kind,
        is_dpop,
    };
    let findings = report.findings();
    if args.json {
        output::print_json(&report.to_json(&findings));
    } else {
        report.render(&findings, st);
    }
    Ok(report.exit_code())
}

/// The keys and the validation: for a DPoP proof (`--htm`/`--htu`, or `typ dpop+jwt`) those
/// of [`dpop_inputs`], else the gathered keys and the flags' checks; and whether it is a proof.
fn inputs(
    args: &VerifyArgs,
    unverified: &Unverified,
    now: i64,
    limits: &Limits,
) -> Result<(LoadedKeys, Validation, bool), Failure> {
    if let Some(check) = args.kind.dpop_check(unverified)? {
        let (keys, validation) = dpop_inputs(args, now, check)?;
        return Ok((keys, validation, true));
    }
    let (keys, remote_issuer, discovery_algs) = gather_keys(args, unverified, limits)?;
    let algs = signature_allowlist(args, &keys.set, discovery_algs)?;
    let validation = builder(args, algs, now, remote_issuer.as_deref())?
        .build()
        .map_err(Failure::Jose)?;
    Ok((keys, validation, false))
}

/// The library's diagnosis of a signature that did not verify (keys tried, usual mistakes).
fn diagnose_signature(
    token: &str,
    content: Option<&[u8]>,
    keys: &LoadedKeys,
    validation: &Validation,
) -> Diagnosis {
    match content {
        Some(c) => jwtkit::diagnose::Diagnosis::explain(
            Input::new(token).detached(c),
            &keys.set,
            validation,
            &keys.secrets,
        ),
        None => jwtkit::diagnose::Diagnosis::explain(token, &keys.set, validation, &keys.secrets),
    }
}

/// A DPoP proof carries its key (`jwk` header, RFC 9449 §4.2): no key is gathered; the
/// allowlist is `--alg`, else every asymmetric algorithm (the core never accepts an HMAC proof).
fn dpop_inputs(
    args: &VerifyArgs,
    now: i64,
    check: jwtkit::dpop::DpopProofCheck,
) -> Result<(LoadedKeys, Validation), Failure> {
    if args.keys.secret.is_some()
        || !args.keys.key.is_empty()
        || args.remote.jwks.is_some()
        || args.remote.issuer.is_some()
    {
        return Err(Failure::Usage(
            "a DPoP proof is verified with the public key in its own jwk header: give no --key, --secret, --jwks or --issuer"
                .into(),
        ));
    }
    let algs = if args.algs.is_empty() {
        AlgorithmSet::<JwsAlg>::all()
    } else {
        allowlist(&args.algs, &JwkSet::default())?
    };
    let keys = LoadedKeys {
        set: JwkSet::default(),
        secrets: Vec::new(),
        sources: vec!["the proof's own jwk header (RFC 9449 §4.2)".into()],
    };
    let validation = builder(args, algs, now, None)?
        .dpop_proof(check)
        .build()
        .map_err(Failure::Jose)?;
    Ok((keys, validation))
}

/// The keys: from `--jwks`/`--issuer` (or an allowlisted `jku`/`x5u`), else `--secret`/`--key`;
/// with the issuer they belong to and the algorithms its discovery document lists.
pub(crate) fn gather_keys(
    args: &VerifyArgs,
    unverified: &Unverified,
    limits: &Limits,
) -> Result<(LoadedKeys, Option<String>, AlgorithmSet<JwsAlg>), Failure> {
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
        None => (
            input::keys(&args.keys, limits, hmac)?,
            None,
            AlgorithmSet::<JwsAlg>::empty(),
        ),
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
    discovery_algs: AlgorithmSet<JwsAlg>,
) -> Result<AlgorithmSet<JwsAlg>, Failure> {
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
    /// The input as given and what was repaired to find the token in it.
    extracted: &'a jwtkit::diagnose::Extracted,
    /// What the token is, and the confusion warning.
    kind: Option<Kind>,
    /// Checked as a DPoP proof (`--htm`/`--htu`).
    is_dpop: bool,
}

impl Report<'_> {
    /// The claims to show: the token's, or those of the detached content.
    fn shown_claims(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
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
            .map(|h| jwtkit::diagnose::Finding::for_token(h, self.shown_claims(), self.now))
            .unwrap_or_default();
        match self.outcome.key() {
            Some(k) => findings.extend(jwtkit::diagnose::Finding::for_key(k, self.outcome.alg)),
            None => {
                for k in self
                    .keys
                    .set
                    .keys()
                    .iter()
                    .filter(|k| k.family() == jwtkit::KeyFamily::Oct)
                {
                    findings.extend(jwtkit::diagnose::Finding::for_key(
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
        if !self.extracted.repairs.is_empty() {
            m.insert("repaired".into(), repaired_json(self.extracted));
        }
        m.insert("token_type".into(), json!(self.kind.as_ref().map(Kind::to_json)));
        if let Some(p) = &outcome.dpop {
            m.insert(
                "dpop".into(),
                json!({"jkt": p.jkt, "jti": p.jti, "iat": p.iat, "htm": p.claims.get("htm"), "htu": p.claims.get("htu")}),
            );
        }
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
        if let Some(k) = &self.kind {
            outln!(
                "{}       {}",
                st.bold("Type"),
                output::token_type_line(&k.found, st)
            );
        }
        if self.is_dpop {
            return self.render_dpop(st);
        }
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
        if outcome.is_valid() {
            valid_verdict(self.extracted, st);
        } else {
            outln!("{}", st.red(&st.bold("INVALID")));
        }
    }
}

/// The verdict line of a valid token: `VALID`, or when the input had to be repaired
/// `VALID after removing …: a strict verifier rejects the token as sent`.
pub(crate) fn valid_verdict(extracted: &jwtkit::diagnose::Extracted, st: Style) {
    match extracted.repair_summary() {
        None => outln!("{}", st.green(&st.bold("VALID"))),
        Some(what) => outln!(
            "{} {}",
            st.green(&st.bold("VALID")),
            st.yellow(&format!(
                "after removing {what}: a strict verifier rejects the token as sent (--strict)"
            ))
        ),
    }
}

/// `"repaired"` of `--json`: each repair's kind, byte offset and byte count (never the bytes).
pub(crate) fn repaired_json(extracted: &jwtkit::diagnose::Extracted) -> Value {
    extracted
        .repairs
        .iter()
        .map(jwtkit::diagnose::Repair::to_json)
        .collect()
}

impl Report<'_> {
    /// A DPoP proof's stages: RFC 9449 §4.3 as one, then the key it binds to (`cnf.jkt`).
    fn render_dpop(&self, st: Style) {
        let outcome = &self.outcome;
        match (&outcome.dpop, &outcome.error) {
            (Some(p), None) => {
                let key = outcome.key().map(|k| k.label()).unwrap_or_default();
                outln!(
                    "{}  {} {}",
                    st.bold("DPoP proof"),
                    st.green("✓ verified"),
                    st.dim(&format!(
                        "({} with its jwk {key}; htm, htu, iat{}{} match the request)",
                        p.alg,
                        if p.claims.get("ath").is_some() {
                            ", ath"
                        } else {
                            ""
                        },
                        if self.args.kind.dpop_nonce.is_some() {
                            ", nonce"
                        } else {
                            ""
                        },
                    ))
                );
                outln!(
                    "{}         {} {}",
                    st.bold("jkt"),
                    p.jkt,
                    st.dim("(the cnf.jkt an access token bound to this key carries; remember jti until iat + window)")
                );
            }
            (_, e) => outln!(
                "{}  {} {}",
                st.bold("DPoP proof"),
                st.red("✗"),
                st.red(&e.as_ref().map(Error::to_string).unwrap_or_default())
            ),
        }
        if outcome.is_valid() {
            valid_verdict(self.extracted, st);
        } else {
            outln!("{}", st.red(&st.bold("INVALID")));
        }
    }
}

/// The error of the signature stage (steps 1–8), if the signature did not verify.
fn signature_error<'o>(outcome: &'o Outcome<'_>) -> Option<&'o Error> {
    outcome.error.as_ref().filter(|_| !outcome.signature_verified())
}

fn payload_json(b: &[u8]) -> Value {
    json!({"utf8": std::str::from_utf8(b).ok(), "b64u": URL_SAFE_NO_PAD.encode(b)})
}
