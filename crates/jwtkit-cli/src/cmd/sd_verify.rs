//! `jwtkit verify` of an SD-JWT (RFC 9901): gather the keys and the validation (which expects an
//! SD-JWT, with a Key Binding JWT required by `--kb-aud`/`--kb-nonce`), make one core call
//! ([`jwtkit::jwt::verify_local`]: the Issuer-signed JWT's signature, the Disclosures, the claim
//! checks on the processed claims, the Key Binding JWT), render its outcome.

use jwtkit::dangerous::Unverified;
use jwtkit::jwt::Classification;
use jwtkit::jwt::Outcome;
use jwtkit::sd_jwt::{self, Disclosed, KeyBinding};
use jwtkit::{Error, Limits};
use serde_json::{Value, json};

use super::sd::{revealed_json, revealed_lines};
use crate::cli::VerifyArgs;
use crate::exit::{self, Failure};
use crate::output::{self, Style};

/// `jwtkit verify` of an SD-JWT.
pub fn verify(
    args: &VerifyArgs,
    st: Style,
    text: &str,
    extracted: &jwtkit::diagnose::Extracted,
    now: i64,
) -> Result<u8, Failure> {
    let notes = &extracted.notes;
    let limits = Limits::default();
    let sd = sd_jwt::SdJwt::parse(text, &limits)?;
    let unverified = jwtkit::dangerous::Unverified::decode(&sd.issuer_jwt, &limits);
    let (keys, remote_issuer, discovery_algs) = super::verify::gather_keys(args, &unverified, &limits)?;
    let algs = super::verify::signature_allowlist(args, &keys.set, discovery_algs)?;
    let kb = match (&args.kb_aud, &args.kb_nonce) {
        (Some(aud), Some(nonce)) => KeyBinding::required(aud.clone(), nonce.clone()),
        _ => KeyBinding::optional(),
    };
    let validation = super::verify::builder(args, algs, now, remote_issuer.as_deref())?
        .sd_jwt(kb)
        .build()
        .map_err(Failure::Jose)?;
    // The one core call.
    let outcome = jwtkit::jwt::verify_local(text, &keys.set, &validation);
    if let Some(e) = &outcome.error
        && e.fault() != jwtkit::Fault::Token
    {
        return Err(Failure::Jose(e.clone()));
    }
    let shown = Shown::of(&outcome);
    if args.json {
        let mut out = to_json(&shown, &unverified, notes);
        if !extracted.repairs.is_empty() {
            out["repaired"] = super::verify::repaired_json(extracted);
        }
        output::print_json(&out);
    } else {
        output::notes(notes, st);
        for s in &keys.sources {
            errln!("{} {s}", st.dim("key:"));
        }
        match &shown {
            Ok(v) => render(v, args, extracted, now, st),
            Err(e) => {
                outln!("{} {}", st.red("✗"), st.red(&e.to_string()));
                outln!("{}", st.red(&st.bold("INVALID")));
            }
        }
    }
    Ok(match &shown {
        Ok(_) => exit::OK,
        Err(e) => exit::code_for(e.kind()),
    })
}

/// A verified SD-JWT, as `verify` shows it.
struct Shown<'o> {
    header: serde_json::Map<String, serde_json::Value>,
    claims: serde_json::Map<String, serde_json::Value>,
    alg: &'static str,
    kind: Option<Classification>,
    d: &'o Disclosed,
}

impl<'o> Shown<'o> {
    /// The outcome's verified parts, or its error.
    fn of(outcome: &'o Outcome<'_>) -> Result<Shown<'o>, Error> {
        match (&outcome.error, &outcome.sd_jwt, &outcome.header, &outcome.claims) {
            (None, Some(d), Some(header), Some(claims)) => Ok(Shown {
                header: header.as_object().clone(),
                claims: claims.as_object().clone(),
                alg: outcome.alg.map(|a| a.as_str()).unwrap_or_default(),
                kind: Some(jwtkit::jwt::Classification::of(header, claims)),
                d,
            }),
            (Some(e), ..) => Err(e.clone()),
            _ => Err(Error::new(
                jwtkit::ErrorKind::InvalidConfig,
                "the SD-JWT stages ended without a result",
            )),
        }
    }
}

/// The `--json` report.
fn to_json(shown: &Result<Shown<'_>, Error>, unverified: &Unverified, notes: &[String]) -> Value {
    match shown {
        Ok(v) => json!({
            "valid": true,
            "alg": v.alg,
            "header": v.header,
            "claims": v.claims,
            "token_type": v.kind.as_ref().map(output::token_type_json),
            "sd_jwt": {
                "disclosures": revealed_json(&v.d.revealed, &v.d.disclosures),
                "undisclosed_digests": v.d.undisclosed,
                "sd_alg": v.d.sd_alg.as_str(),
                "key_binding": v.d.key_binding.as_ref().map(|k| json!({"alg": k.alg.as_str(), "claims": k.claims.as_object()})),
            },
            "warnings": notes,
        }),
        Err(e) => json!({
            "valid": false,
            "header": unverified.header,
            "error": e.to_json(),
            "warnings": notes,
        }),
    }
}

/// The stages, the verdict, then the header, the processed claims, what each Disclosure
/// revealed and the times.
fn render(v: &Shown<'_>, args: &VerifyArgs, extracted: &jwtkit::diagnose::Extracted, now: i64, st: Style) {
    if let Some(k) = &v.kind {
        outln!("{}       {}", st.bold("Type"), output::token_type_line(k, st));
    }
    outln!("{}  {} ({})", st.bold("Signature"), st.green("✓ verified"), v.alg);
    outln!(
        "{}  {} {} presented, {} digest{} withheld",
        st.bold("Disclosures"),
        st.green("✓"),
        v.d.disclosures.len(),
        v.d.undisclosed,
        if v.d.undisclosed == 1 { "" } else { "s" }
    );
    match &v.d.key_binding {
        Some(k) => outln!(
            "{}  {} ({}, holder key from cnf.jwk)",
            st.bold("Key Binding"),
            st.green("✓ verified"),
            k.alg
        ),
        None => outln!(
            "{}  {}",
            st.bold("Key Binding"),
            st.dim("none (not required; give --kb-aud and --kb-nonce to require it)")
        ),
    }
    outln!("{}     {}", st.bold("Claims"), st.green("✓ valid"));
    super::verify::valid_verdict(extracted, st);
    let object =
        |o: &serde_json::Map<String, serde_json::Value>| [output::json(&Value::Object(o.clone()), st)];
    output::section("Header", &object(&v.header), st);
    output::section("Payload (with the Disclosures applied)", &object(&v.claims), st);
    let lines = revealed_lines(&v.d.revealed, &v.d.disclosures, st);
    output::section("Disclosed", &lines, st);
    output::section("Times", &output::times(&v.claims, now, args.time, st), st);
}
