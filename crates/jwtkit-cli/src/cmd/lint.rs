//! `jwtkit lint`: security findings for a token and, for HMAC tokens, its secret.

use jwtkit::dangerous::Unverified;
use jwtkit::diagnose::{Finding, Severity};
use jwtkit::{JwsAlg, Limits};
use serde_json::json;

use crate::cli::LintArgs;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

pub fn run(args: &LintArgs, st: Style) -> Result<u8, Failure> {
    let now = input::now(args.now.as_deref())?;
    let extracted = input::token(args.token.token.as_deref())?;
    let u = Unverified::decode(&extracted.token, &Limits::default());
    let mut findings: Vec<Finding> = u
        .header
        .as_ref()
        .map(|h| jwtkit::diagnose::Finding::for_token(h, u.claims(), now))
        .unwrap_or_default();
    let alg = u.alg().and_then(|a| a.parse::<JwsAlg>().ok());
    if args.keys.secret.is_some() || !args.keys.key.is_empty() || args.keys.secret_prompt {
        let keys = input::keys(&args.keys, &Limits::default(), None)?;
        for k in keys.set.keys() {
            findings.extend(jwtkit::diagnose::Finding::for_key(k, alg));
        }
    }
    // The bundled weak secrets tried against the signature itself (the core's cracking).
    if let Some(cracked) = jwtkit::diagnose::Finding::cracked_secret(&extracted.token, &Limits::default())
        && !findings.iter().any(|f| f.id == "weak_hmac_secret")
    {
        findings.insert(0, cracked);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let high = findings.iter().any(|f| f.severity == Severity::High);
    if args.json {
        output::print_json(&json!({
            "findings": findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
            "high": high,
            "errors": u.errors.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
            "warnings": extracted.notes,
        }));
    } else {
        output::notes(&extracted.notes, st);
        if findings.is_empty() {
            outln!("{}", st.green("no findings"));
        } else {
            for l in output::findings(&findings, st) {
                outln!("{l}");
            }
        }
        for e in &u.errors {
            outln!("{} {e}", st.red("problem:"));
        }
    }
    Ok(if high { exit::INVALID } else { exit::OK })
}
