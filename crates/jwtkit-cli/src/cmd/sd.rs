//! `jwtkit sd`: SD-JWT (RFC 9901) holder tools. Issuing is `sign --sd`; reading is `decode` and
//! `verify`.

use clap::{Args, Subcommand};
use jwtkit::sd_jwt::{self, Disclosure};
use jwtkit::{JwsAlg, KeyOp, Limits};
use serde_json::{Value, json};

use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `jwtkit sd …`.
#[derive(Debug, Subcommand)]
pub enum SdCommand {
    /// Make a presentation (RFC 9901 §4.3): keep the Disclosures that reveal the claims given
    /// with --disclose (and those above and inside them), drop the others, and with
    /// --holder-key sign a Key Binding JWT for --aud and --nonce.
    Present(PresentArgs),
}

impl SdCommand {
    /// Whether `--json` was asked for.
    pub fn json(&self) -> bool {
        match self {
            SdCommand::Present(a) => a.json,
        }
    }
}

/// `jwtkit sd present`.
#[derive(Debug, Args)]
pub struct PresentArgs {
    /// The SD-JWT as issued (`<JWT>~<Disclosure>~…~`): the text, `@FILE`, or `-` for stdin.
    #[arg(value_name = "SD-JWT|@FILE|-")]
    pub token: Option<String>,
    /// A claim to reveal: a top-level name (`email`) or a JSON Pointer into the claims
    /// (`/address/street_address`, `/nationalities/1`). Repeat for several.
    #[arg(long, value_name = "CLAIM")]
    pub disclose: Vec<String>,
    /// Reveal every Disclosure.
    #[arg(long, conflicts_with = "disclose")]
    pub all: bool,
    /// The holder's private key (the one whose public key is the token's `cnf.jwk`): sign a Key
    /// Binding JWT with it. A key file as for `--key` (PEM, DER, JWK).
    #[arg(long, value_name = "FILE", requires_all = ["aud", "nonce"])]
    pub holder_key: Option<String>,
    /// Key Binding JWT algorithm (default: the only one the holder key allows, e.g. ES256).
    #[arg(long, value_name = "ALG", requires = "holder_key")]
    pub alg: Option<String>,
    /// Key Binding JWT `aud`: the verifier the presentation is for.
    #[arg(long, value_name = "AUD", requires = "holder_key")]
    pub aud: Option<String>,
    /// Key Binding JWT `nonce`: the one the verifier gave for this request.
    #[arg(long, value_name = "NONCE", requires = "holder_key")]
    pub nonce: Option<String>,
    /// Key Binding JWT `iat` (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Print one JSON object: the presentation and the Disclosures kept.
    #[arg(long)]
    pub json: bool,
}

/// Run `jwtkit sd …`.
pub fn run(cmd: &SdCommand, st: Style) -> Result<u8, Failure> {
    match cmd {
        SdCommand::Present(a) => present(a, st),
    }
}

fn present(a: &PresentArgs, _st: Style) -> Result<u8, Failure> {
    let limits = Limits::default();
    let issued = sd_text(a.token.as_deref())?;
    let all: Vec<String>;
    let reveal: Vec<&str> = if a.all {
        let sd = sd_jwt::SdJwt::parse(&issued, &limits)?;
        let payload = unverified_payload(&sd, &limits)?;
        all = sd_jwt::Disclosed::from_payload(payload, sd.disclosures, &limits)?
            .1
            .revealed
            .into_iter()
            .map(|r| r.pointer())
            .collect();
        all.iter().map(String::as_str).collect()
    } else {
        a.disclose.iter().map(String::as_str).collect()
    };
    let holder = match &a.holder_key {
        None => None,
        Some(path) => {
            let bytes = input::read_file(path)?;
            let (set, _) =
                jwtkit::JwkSet::load(&bytes, &limits).map_err(|e| Failure::Jose(e).caused_by_inputs())?;
            let key = set
                .into_single()
                .map_err(|e| Failure::Jose(e).caused_by_inputs())?;
            let alg = match &a.alg {
                Some(s) => s
                    .parse::<JwsAlg>()
                    .map_err(|e: jwtkit::Error| Failure::Usage(format!("--alg: {}", e.message())))?,
                None => {
                    let algs: Vec<JwsAlg> = key.algorithms().iter().collect();
                    match algs.as_slice() {
                        [one] => *one,
                        _ => {
                            return Err(Failure::Usage(
                                "the holder key allows several algorithms: choose one with --alg".into(),
                            ));
                        }
                    }
                }
            };
            key.check_use(alg, KeyOp::Sign)?;
            Some((key, alg))
        }
    };
    let now = input::now(a.now.as_deref())?;
    let aud = a.aud.as_deref().unwrap_or_default();
    let nonce = a.nonce.as_deref().unwrap_or_default();
    let out = sd_jwt::SdJwt::present(
        &issued,
        &reveal,
        holder.as_ref().map(|(k, alg)| (k, *alg, aud, nonce, now)),
        &limits,
    )
    .map_err(|e| match e.kind() {
        jwtkit::ErrorKind::InvalidConfig => Failure::Usage(format!("--disclose {}", e.message())),
        jwtkit::ErrorKind::KeyMismatch | jwtkit::ErrorKind::BadKey => Failure::Jose(e).caused_by_inputs(),
        _ => Failure::Jose(e),
    })?;
    if a.json {
        let sd = sd_jwt::SdJwt::parse(&out, &limits)?;
        output::print_json(&json!({
            "presentation": out,
            "disclosures": disclosures_json(&sd.disclosures),
            "key_binding": sd.key_binding_jwt.is_some(),
        }));
    } else {
        outln!("{out}");
    }
    Ok(exit::OK)
}

/// The SD-JWT text from an argument, `@FILE` or stdin, without surrounding whitespace.
fn sd_text(arg: Option<&str>) -> Result<String, Failure> {
    let bytes = match arg {
        Some(p) if p.starts_with('@') => input::read_file(&p[1..])?,
        Some(t) if t != "-" => t.as_bytes().to_vec(),
        _ => input::read_stdin("the SD-JWT from stdin")?,
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::Jose(jwtkit::Error::new(
            jwtkit::ErrorKind::Malformed,
            "the SD-JWT is not UTF-8 text",
        ))
    })?;
    Ok(text.trim().to_string())
}

/// The Issuer-signed JWT's payload, NOT verified: a holder matches Disclosures to claims.
fn unverified_payload(
    sd: &sd_jwt::SdJwt,
    limits: &Limits,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let jws = jwtkit::jws::CompactJws::parse(&sd.issuer_jwt, limits)?;
    Ok(jwtkit::json::parse_object(jws.payload(), limits)?)
}

/// The Disclosures as `--json` shows them: `name` (absent for an array element), `value`,
/// `salt` and the `encoded` form that travels.
pub fn disclosures_json(ds: &[Disclosure]) -> Value {
    Value::Array(
        ds.iter()
            .map(|d| {
                let mut o = json!({"salt": d.salt(), "value": d.value(), "encoded": d.encoded()});
                if let Some(n) = d.name() {
                    o["name"] = n.into();
                }
                o
            })
            .collect(),
    )
}

/// Each Disclosure as the claim it reveals: JSON Pointer → value (decode and verify).
pub(super) fn revealed_lines(
    revealed: &[sd_jwt::Revealed],
    disclosures: &[Disclosure],
    st: Style,
) -> Vec<String> {
    revealed
        .iter()
        .filter_map(|r| {
            let d = disclosures.get(r.disclosure)?;
            Some(format!(
                "{}  {}",
                st.bold(&output::safe(&r.pointer())),
                output::json(d.value(), st)
            ))
        })
        .collect()
}

/// The same for `--json`: `{"pointer", "name" (absent for an array element), "value", "salt"}`.
pub(super) fn revealed_json(revealed: &[sd_jwt::Revealed], disclosures: &[Disclosure]) -> Value {
    Value::Array(
        revealed
            .iter()
            .filter_map(|r| {
                let d = disclosures.get(r.disclosure)?;
                let mut o = json!({"pointer": r.pointer(), "value": d.value(), "salt": d.salt()});
                if let Some(n) = d.name() {
                    o["name"] = n.into();
                }
                Some(o)
            })
            .collect(),
    )
}

/// `jwtkit decode` of an SD-JWT: the Issuer-signed JWT's header, its claims with the Disclosures
/// applied (nothing verified), which claim each Disclosure reveals, and the Key Binding JWT.
pub fn decode(
    args: &crate::cli::DecodeArgs,
    st: Style,
    extracted: &jwtkit::diagnose::Extracted,
    now: i64,
) -> Result<u8, Failure> {
    let limits = Limits::default();
    let sd = sd_jwt::SdJwt::parse(&extracted.token, &limits)?;
    let issuer = jwtkit::dangerous::Unverified::decode(&sd.issuer_jwt, &limits);
    let processed = unverified_payload(&sd, &limits).and_then(|p| {
        Ok(sd_jwt::Disclosed::from_payload(
            p,
            sd.disclosures.clone(),
            &limits,
        )?)
    });
    let kb = sd
        .key_binding_jwt
        .as_deref()
        .map(|kb| jwtkit::dangerous::Unverified::decode(kb, &limits));
    let reminder =
        "NOT verified: decode shows what the SD-JWT claims, not that it is valid (use jwtkit verify)";
    let claims = processed.as_ref().ok().map(|(claims, _)| claims.clone());
    let findings = issuer
        .header
        .as_ref()
        .map(|h| jwtkit::diagnose::Finding::for_token(h, claims.as_ref(), now))
        .unwrap_or_default();
    let kind = jwtkit::jwt::Classification::of_unverified(&issuer);
    if args.json {
        output::print_json(&json!({
            "verified": false,
            "form": "SD-JWT",
            "token_type": kind.as_ref().map(output::token_type_json),
            "header": issuer.header,
            "claims": claims,
            "sd_jwt": {
                "disclosures": processed.as_ref().map_or(Value::Null, |(_, d)| revealed_json(&d.revealed, &sd.disclosures)),
                "undisclosed_digests": processed.as_ref().ok().map(|(_, d)| d.undisclosed),
                "sd_alg": processed.as_ref().ok().map(|(_, d)| d.sd_alg.as_str()),
                "key_binding_jwt": kb.as_ref().map(|k| json!({"header": k.header, "claims": k.claims()})),
            },
            "error": processed.as_ref().err().map(Failure::to_json),
            "findings": findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
            "warnings": extracted.notes,
            "note": reminder,
        }));
        return Ok(if processed.is_ok() {
            exit::OK
        } else {
            exit::INVALID
        });
    }
    output::notes(&extracted.notes, st);
    outln!(
        "{} {}",
        st.bold("SD-JWT (RFC 9901)"),
        st.yellow(&format!("— {reminder}"))
    );
    if let Some(k) = &kind {
        outln!("{}  {}", st.bold("Type"), output::token_type_line(k, st));
    }
    if let Some(h) = &issuer.header {
        output::section("Header", &[output::json(&Value::Object(h.clone()), st)], st);
    }
    match &processed {
        Ok((claims, p)) => {
            output::section(
                "Payload (with the Disclosures applied)",
                &[output::json(&Value::Object(claims.clone()), st)],
                st,
            );
            output::section("Times", &output::times(claims, now, args.time, st), st);
            let mut lines = revealed_lines(&p.revealed, &sd.disclosures, st);
            lines.push(st.dim(&format!(
                "{} digest{} not disclosed (claims withheld, or decoys); digests: {}",
                p.undisclosed,
                if p.undisclosed == 1 { "" } else { "s" },
                p.sd_alg.as_str()
            )));
            output::section(&format!("Disclosures ({})", sd.disclosures.len()), &lines, st);
        }
        Err(e) => output::section(
            "Problems (a verifier rejects this SD-JWT)",
            &[st.red(&e.message())],
            st,
        ),
    }
    match &kb {
        Some(k) => {
            let mut lines = Vec::new();
            if let Some(h) = &k.header {
                lines.push(output::json(&Value::Object(h.clone()), st));
            }
            if let Some(c) = k.claims() {
                lines.push(output::json(&Value::Object(c.clone()), st));
            }
            output::section("Key Binding JWT", &lines, st);
        }
        None => output::section(
            "Key Binding JWT",
            &[st.dim("none (the SD-JWT ends with '~')")],
            st,
        ),
    }
    output::section("Findings", &output::findings(&findings, st), st);
    Ok(if processed.is_ok() {
        exit::OK
    } else {
        exit::INVALID
    })
}
