//! `jwtkit verify` on an encrypted token (JWE, RFC 7516): gather the inputs (keys, the three
//! allowlists, the validation), make one core call ([`jwtkit::jwt::decrypt_then_verify`]:
//! decrypt, verify the nested JWT, validate its claims), render the result.

use jwtkit::JwsAlg;
use jwtkit::diagnose::Finding;
use jwtkit::jwe::DecryptOptions;
use jwtkit::jwt::{self, NestedVerified};
use jwtkit::{AlgorithmSet, JwkSet, Limits, Validation};
use serde_json::{Value, json};

use super::decrypt::{allowlists, decrypt_options, jwe_json, key_json, rejected, rsa1_5_warning};
use crate::cli::VerifyArgs;
use crate::cmd::remote::RemoteKeys;
use crate::exit::{self, Failure};
use crate::input::{self, LoadedKeys};
use crate::output::{self, Style};

/// What `verify` gathers for a JWE: the keys that decrypt, the keys that verify the nested JWT
/// (the issuer's JWKS when `--jwks`/`--issuer` is given, else the same keys), and how.
struct Inputs {
    keys: LoadedKeys,
    remote: Option<RemoteKeys>,
    opts: DecryptOptions,
    validation: Validation,
}

impl Inputs {
    fn gather(args: &VerifyArgs, now: i64) -> Result<Inputs, Failure> {
        let keys = input::keys(&args.keys, &Limits::default(), None)?;
        if keys.set.is_empty() {
            return Err(Failure::Usage(
                "no key: give --key FILE (the recipient's private key, and the signer's public key) or --secret S".into(),
            ));
        }
        let lists = allowlists(&args.algs, &args.encs)?;
        let mut opts = decrypt_options(&lists, &keys.set, args.insecure_allow_rsa1_5);
        // Only key management algorithms named: the caller expects an encrypted, unsigned JWT.
        opts.allow_unsigned_claims = lists.jws.is_empty() && !lists.kw.is_empty();
        let remote = crate::cmd::remote::load(&args.remote, None, Default::default(), &args.issuers)?;
        let (verify_keys, issuer, discovery_algs) = match &remote {
            Some(r) => (&r.loaded.set, r.issuer.as_deref(), r.discovery_algs),
            None => (&keys.set, None, AlgorithmSet::<JwsAlg>::empty()),
        };
        let sig_algs = if lists.jws.is_empty() {
            nested_allowlist(verify_keys, discovery_algs)?
        } else {
            lists.jws
        };
        let validation = super::verify::builder(args, sig_algs, now, issuer)?
            .build()
            .map_err(Failure::Jose)?;
        Ok(Inputs {
            keys,
            remote,
            opts,
            validation,
        })
    }

    /// The keys that verify the nested JWT.
    fn verify_keys(&self) -> &JwkSet {
        self.remote.as_ref().map_or(&self.keys.set, |r| &r.loaded.set)
    }
}

/// The nested JWT's allowlist without `--alg`: its keys' algorithms, narrowed by the provider's
/// discovery document; every algorithm when the keys say nothing (the key decides then).
fn nested_allowlist(
    keys: &JwkSet,
    discovery_algs: AlgorithmSet<JwsAlg>,
) -> Result<AlgorithmSet<JwsAlg>, Failure> {
    let mut from_keys = super::verify::allowlist(&[], keys)?;
    if !discovery_algs.is_empty() {
        from_keys = from_keys.intersect(discovery_algs);
    }
    Ok(if from_keys.is_empty() {
        AlgorithmSet::<JwsAlg>::all()
    } else {
        from_keys
    })
}

/// `jwtkit verify` on a JWE: decrypt with the key management and content encryption
/// allowlists, then verify the nested JWT with the signature allowlist, then the claims.
pub fn verify_jwe(
    args: &VerifyArgs,
    st: Style,
    token: &str,
    extracted: &jwtkit::diagnose::Extracted,
) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let inputs = Inputs::gather(args, now)?;
    // The one core call.
    let result = jwt::decrypt_then_verify(
        token,
        &inputs.keys.set,
        &inputs.opts,
        inputs.verify_keys(),
        &inputs.validation,
    );
    let mut warnings = extracted.notes.clone();
    warnings.extend(rsa1_5_warning(&inputs.opts, result.as_ref().ok().map(|n| &n.jwe)));
    if let Ok(n) = &result
        && n.inner.is_none()
    {
        warnings.push(
            "the JWE holds claims without a signature: anyone able to encrypt to this key could have made it"
                .into(),
        );
    }
    let v = match result {
        Ok(v) => v,
        Err(e) if e.fault() != jwtkit::Fault::Token => return Err(Failure::Jose(e.error)),
        Err(e) => {
            let u = rejected(token, &e, &warnings, args.json, st);
            if !args.json {
                outln!("{}  {} {}", st.bold("Token"), st.red("✗"), st.red(&e.to_string()));
                outln!("{}", st.red(&st.bold("INVALID")));
                if let Some(h) = &u.header {
                    output::section(
                        "JWE Header (unverified)",
                        &[output::json(&Value::Object(h.clone()), st)],
                        st,
                    );
                }
            }
            return Ok(exit::code_for(e.kind()));
        }
    };
    let findings = findings(&v, inputs.verify_keys(), now);
    let kind = token_type(token, &v, args.kind.typ(args.typ.as_deref()));
    if args.json {
        let mut report = report_json(&v, &inputs, &findings, &warnings);
        report["token_type"] = kind;
        if !extracted.repairs.is_empty() {
            report["repaired"] = super::verify::repaired_json(extracted);
        }
        output::print_json(&report);
    } else {
        output::notes(&warnings, st);
        if let Some(line) = kind["line"].as_str() {
            outln!("{}       {}", st.bold("Type"), line);
        }
        render(&v, &inputs, extracted, st);
        render_sections(&v, &findings, now, args, st);
    }
    Ok(exit::OK)
}

/// What the token is: a JWE, and what it holds (the nested JWT's kind, against the expected
/// `typ`), for `--json` (`line` is the text line).
fn token_type(token: &str, v: &NestedVerified, expected_typ: Option<&str>) -> Value {
    let outer = jwtkit::jwt::Classification::of_unverified(&jwtkit::dangerous::Unverified::decode(
        token,
        &Limits::default(),
    ));
    let inner = v
        .inner
        .as_ref()
        .map(|i| jwtkit::jwt::Classification::of(&i.header, &v.claims));
    let Some(outer) = outer else { return Value::Null };
    let mut j = outer.to_json();
    j["nested"] = json!(inner.as_ref().map(|c| c.to_json_against(expected_typ)));
    j["line"] = match &inner {
        Some(c) => format!("{}; inside: {}", outer.line(), c.line()),
        None => outer.line(),
    }
    .into();
    j
}

/// Findings of the JWE header, of the nested JWT and of its signing key; not `pii_claim` (the
/// claims are encrypted).
fn findings(v: &NestedVerified, verify_keys: &JwkSet, now: i64) -> Vec<Finding> {
    let mut findings = jwtkit::diagnose::Finding::for_token(v.jwe.header.as_object(), None, now);
    if let Some(i) = &v.inner {
        findings.extend(
            jwtkit::diagnose::Finding::for_token(i.header.as_object(), Some(v.claims.as_object()), now)
                .into_iter()
                .filter(|f| f.id != "pii_claim"),
        );
        findings.extend(
            verify_keys
                .keys()
                .get(i.key_index)
                .map(|k| jwtkit::diagnose::Finding::for_key(k, Some(i.alg)))
                .unwrap_or_default(),
        );
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// The `--json` report of a valid nested JWT.
fn report_json(v: &NestedVerified, inputs: &Inputs, findings: &[Finding], warnings: &[String]) -> Value {
    let header = match &v.inner {
        Some(i) => i.header.as_object().clone(),
        None => v.jwe.header.as_object().clone(),
    };
    let verify_keys = inputs.verify_keys();
    json!({
        "valid": true,
        "alg": v.inner.as_ref().map(|i| i.alg),
        "key": v.inner.as_ref().map(|i| key_json(verify_keys, i.key_index)),
        "header": header,
        "claims": v.claims.as_object(),
        "jwe": jwe_json(&v.jwe, &inputs.keys.set),
        "error": Value::Null,
        "findings": findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
        "warnings": warnings,
    })
}

/// `Decryption`, `Signature`, `Claims` and the verdict, one line each.
fn render(v: &NestedVerified, inputs: &Inputs, extracted: &jwtkit::diagnose::Extracted, st: Style) {
    let label = |set: &JwkSet, i: usize| set.keys().get(i).map(|k| k.label()).unwrap_or_default();
    outln!(
        "{} {} {}",
        st.bold("Decryption"),
        st.green("✓"),
        st.dim(&format!(
            "({} + {} with {})",
            v.jwe.alg,
            v.jwe.enc,
            label(&inputs.keys.set, v.jwe.key_index)
        ))
    );
    match &v.inner {
        Some(i) => outln!(
            "{}  {} {}",
            st.bold("Signature"),
            st.green("✓ verified"),
            st.dim(&format!(
                "({} with {}, nested JWT)",
                i.alg,
                label(inputs.verify_keys(), i.key_index)
            ))
        ),
        None => outln!(
            "{}  {}",
            st.bold("Signature"),
            st.yellow("none (encrypted claims, not signed)")
        ),
    }
    outln!("{}     {}", st.bold("Claims"), st.green("✓ valid"));
    super::verify::valid_verdict(extracted, st);
}

/// The headers, the claims, their times and the findings.
fn render_sections(v: &NestedVerified, findings: &[Finding], now: i64, args: &VerifyArgs, st: Style) {
    let object =
        |o: &serde_json::Map<String, serde_json::Value>| [output::json(&Value::Object(o.clone()), st)];
    output::section("JWE Header", &object(v.jwe.header.as_object()), st);
    if let Some(i) = &v.inner {
        output::section("JWS Header", &object(i.header.as_object()), st);
    }
    output::section("Payload", &object(v.claims.as_object()), st);
    output::section(
        "Times",
        &output::times(v.claims.as_object(), now, args.time, st),
        st,
    );
    output::section("Findings", &output::findings(findings, st), st);
}
