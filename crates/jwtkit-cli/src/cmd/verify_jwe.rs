//! `jwtkit verify` on an encrypted token (JWE, RFC 7516): gather the inputs (keys, the three
//! allowlists, the validation), make one core call ([`jwtkit::jwe::decrypt_then_verify`]:
//! decrypt, verify the nested JWT, validate its claims), render the result.

use jwtkit::dangerous::decode_unverified;
use jwtkit::jwe;
use jwtkit::{AlgSet, JwkSet, Limits, lint};
use serde_json::{Value, json};

use super::decrypt::{allowlists, decrypt_options, jwe_json, key_json, rsa1_5_warning};
use crate::cli::VerifyArgs;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `jwtkit verify` on a JWE: decrypt with the key management and content encryption
/// allowlists, then verify the nested JWT with the signature allowlist, then the claims.
pub fn verify_jwe(
    args: &VerifyArgs,
    st: Style,
    token: &str,
    extracted: &jwtkit::paste::Extracted,
) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let limits = Limits::default();
    let keys = input::keys(&args.keys, &limits, None)?;
    if keys.set.is_empty() {
        return Err(Failure::Usage(
            "no key: give --key FILE (the recipient's private key, and the signer's public key) or --secret S".into(),
        ));
    }
    let lists = allowlists(&args.algs, &args.encs)?;
    let mut opts = decrypt_options(&lists, &keys.set, args.insecure_allow_rsa1_5);
    // Only key management algorithms named: the caller expects an encrypted, unsigned JWT.
    opts.allow_unsigned_claims = lists.jws.is_empty() && !lists.kw.is_empty();
    // The nested JWT's keys: the issuer's JWKS (--jwks/--issuer) when given, else --key/--secret.
    let remote = crate::cmd::remote::load(&args.remote, None, Default::default(), &args.issuers)?;
    let (verify_keys, remote_issuer, discovery_algs) = match &remote {
        Some(r) => (&r.loaded.set, r.issuer.as_deref(), r.discovery_algs),
        None => (&keys.set, None, AlgSet::empty()),
    };
    let sig_algs = if lists.jws.is_empty() {
        let mut from_keys = super::verify::allowlist(&[], verify_keys)?;
        if !discovery_algs.is_empty() {
            from_keys = from_keys.intersect(discovery_algs);
        }
        if from_keys.is_empty() {
            AlgSet::all()
        } else {
            from_keys
        }
    } else {
        lists.jws
    };
    let validation = super::verify::validation(args, sig_algs, now, remote_issuer)?;
    let result = jwe::decrypt_then_verify(token, &keys.set, &opts, verify_keys, &validation);
    let mut warnings = extracted.notes.clone();
    warnings.extend(rsa1_5_warning(&opts, result.as_ref().ok().map(|n| &n.jwe)));
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
        Err(e) if e.fault() != jwtkit::Fault::Token => return Err(Failure::Jose(e)),
        Err(e) => {
            let u = decode_unverified(token, &limits);
            if args.json {
                output::print_json(&json!({
                    "valid": false,
                    "error": e.to_json(),
                    "unverified": {"header": u.header},
                    "warnings": warnings,
                }));
            } else {
                output::notes(&warnings, st);
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
    let header = match &v.inner {
        Some(i) => i.header.as_object().clone(),
        None => v.jwe.header.as_object().clone(),
    };
    // Findings of the JWE header, of the nested JWT and of its signing key; not `pii_claim`
    // (the claims are encrypted).
    let mut findings = lint::token_findings(v.jwe.header.as_object(), None, now);
    if let Some(i) = &v.inner {
        findings.extend(
            lint::token_findings(i.header.as_object(), Some(v.claims.as_object()), now)
                .into_iter()
                .filter(|f| f.id != "pii_claim"),
        );
        findings.extend(
            verify_keys
                .keys()
                .get(i.key_index)
                .map(|k| lint::key_findings(k, Some(i.alg)))
                .unwrap_or_default(),
        );
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if args.json {
        let mut out = json!({
            "valid": true,
            "alg": v.inner.as_ref().map(|i| i.alg),
            "key": v.inner.as_ref().map(|i| key_json(verify_keys, i.key_index)),
            "header": header,
            "claims": v.claims.as_object(),
            "jwe": jwe_json(&v.jwe, &keys.set),
            "error": Value::Null,
            "findings": findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
            "warnings": warnings,
        });
        if !extracted.repairs.is_empty() {
            out["repaired"] = super::verify::repaired_json(extracted);
        }
        output::print_json(&out);
        return Ok(exit::OK);
    }
    output::notes(&warnings, st);
    let label = |set: &JwkSet, i: usize| set.keys().get(i).map(|k| k.label()).unwrap_or_default();
    outln!(
        "{} {} {}",
        st.bold("Decryption"),
        st.green("✓"),
        st.dim(&format!(
            "({} + {} with {})",
            v.jwe.alg,
            v.jwe.enc,
            label(&keys.set, v.jwe.key_index)
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
                label(verify_keys, i.key_index)
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
    output::section(
        "JWE Header",
        &[output::json(&Value::Object(v.jwe.header.as_object().clone()), st)],
        st,
    );
    if let Some(i) = &v.inner {
        output::section(
            "JWS Header",
            &[output::json(&Value::Object(i.header.as_object().clone()), st)],
            st,
        );
    }
    output::section(
        "Payload",
        &[output::json(&Value::Object(v.claims.as_object().clone()), st)],
        st,
    );
    output::section(
        "Times",
        &output::times(v.claims.as_object(), now, args.time, st),
        st,
    );
    output::section("Findings", &output::findings(&findings, st), st);
    Ok(exit::OK)
}
