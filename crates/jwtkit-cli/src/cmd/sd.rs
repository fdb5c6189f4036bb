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
        all = sd_jwt::process(payload, sd.disclosures, &limits)?
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
                jwtkit::key::load(&bytes, &limits).map_err(|e| Failure::Jose(e).caused_by_inputs())?;
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
    let out = sd_jwt::present(
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
fn unverified_payload(sd: &sd_jwt::SdJwt, limits: &Limits) -> Result<jwtkit::json::Object, Failure> {
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
fn revealed_lines(revealed: &[sd_jwt::Revealed], disclosures: &[Disclosure], st: Style) -> Vec<String> {
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
fn revealed_json(revealed: &[sd_jwt::Revealed], disclosures: &[Disclosure]) -> Value {
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
    extracted: &jwtkit::paste::Extracted,
    now: i64,
) -> Result<u8, Failure> {
    let limits = Limits::default();
    let sd = sd_jwt::SdJwt::parse(&extracted.token, &limits)?;
    let issuer = jwtkit::dangerous::decode_unverified(&sd.issuer_jwt, &limits);
    let processed = unverified_payload(&sd, &limits)
        .and_then(|p| Ok(sd_jwt::process(p, sd.disclosures.clone(), &limits)?));
    let kb = sd
        .key_binding_jwt
        .as_deref()
        .map(|kb| jwtkit::dangerous::decode_unverified(kb, &limits));
    let reminder =
        "NOT verified: decode shows what the SD-JWT claims, not that it is valid (use jwtkit verify)";
    let claims = processed.as_ref().ok().map(|p| p.claims.clone());
    let findings = issuer
        .header
        .as_ref()
        .map(|h| jwtkit::lint::token_findings(h, claims.as_ref(), now))
        .unwrap_or_default();
    let kind = jwtkit::token_type::classify_unverified(&issuer);
    if args.json {
        output::print_json(&json!({
            "verified": false,
            "form": "SD-JWT",
            "token_type": kind.as_ref().map(output::token_type_json),
            "header": issuer.header,
            "claims": claims,
            "sd_jwt": {
                "disclosures": processed.as_ref().map_or(Value::Null, |p| revealed_json(&p.revealed, &sd.disclosures)),
                "undisclosed_digests": processed.as_ref().ok().map(|p| p.undisclosed),
                "sd_alg": processed.as_ref().ok().map(|p| p.sd_alg.as_str()),
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
        Ok(p) => {
            output::section(
                "Payload (with the Disclosures applied)",
                &[output::json(&Value::Object(p.claims.clone()), st)],
                st,
            );
            output::section("Times", &output::times(&p.claims, now, args.time, st), st);
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

/// `jwtkit verify` of an SD-JWT: one core call ([`jwtkit::jwt::verify_local`] with a
/// validation that expects an SD-JWT): the Issuer-signed JWT with the keys and allowlist as for
/// any JWT, the Disclosures, the claim checks on the processed claims, then the Key Binding JWT
/// (required with `--kb-aud`/`--kb-nonce`).
pub fn verify(
    args: &crate::cli::VerifyArgs,
    st: Style,
    text: &str,
    notes: Vec<String>,
    now: i64,
) -> Result<u8, Failure> {
    let limits = Limits::default();
    let sd = sd_jwt::SdJwt::parse(text, &limits)?;
    let unverified = jwtkit::dangerous::decode_unverified(&sd.issuer_jwt, &limits);
    let (keys, remote_issuer, discovery_algs) = super::verify::gather_keys(args, &unverified, &limits)?;
    let algs = super::verify::signature_allowlist(args, &keys.set, discovery_algs)?;
    let kb = match (&args.kb_aud, &args.kb_nonce) {
        (Some(aud), Some(nonce)) => sd_jwt::KeyBinding::required(aud.clone(), nonce.clone()),
        _ => sd_jwt::KeyBinding::optional(),
    };
    let validation = super::verify::builder(args, algs, now, remote_issuer.as_deref())?
        .sd_jwt(kb)
        .build()
        .map_err(Failure::Jose)?;
    let outcome = jwtkit::jwt::verify_local(text, &keys.set, &validation);
    if let Some(e) = &outcome.error
        && e.fault() != jwtkit::Fault::Token
    {
        return Err(Failure::Jose(e.clone()));
    }
    let kind = outcome
        .header
        .as_ref()
        .zip(outcome.claims.as_ref())
        .map(|(h, c)| jwtkit::token_type::classify(h, c));
    let result = match (&outcome.error, &outcome.sd_jwt) {
        (None, Some(d)) => Ok(Shown {
            header: outcome
                .header
                .as_ref()
                .map(|h| h.as_object().clone())
                .unwrap_or_default(),
            claims: outcome
                .claims
                .as_ref()
                .map(|c| c.as_object().clone())
                .unwrap_or_default(),
            alg: outcome.alg.map(|a| a.as_str()).unwrap_or_default(),
            d,
        }),
        (Some(e), _) => Err(e.clone()),
        (None, None) => Err(jwtkit::Error::new(
            jwtkit::ErrorKind::InvalidConfig,
            "no SD-JWT outcome",
        )),
    };
    if args.json {
        let out = match &result {
            Ok(v) => json!({
                "valid": true,
                "alg": v.alg,
                "header": v.header,
                "claims": v.claims,
                "token_type": kind.as_ref().map(output::token_type_json),
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
        };
        output::print_json(&out);
    } else {
        output::notes(&notes, st);
        for s in &keys.sources {
            errln!("{} {s}", st.dim("key:"));
        }
        match &result {
            Ok(v) => {
                if let Some(k) = &kind {
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
                outln!("{}", st.green(&st.bold("VALID")));
                output::section(
                    "Header",
                    &[output::json(&Value::Object(v.header.clone()), st)],
                    st,
                );
                output::section(
                    "Payload (with the Disclosures applied)",
                    &[output::json(&Value::Object(v.claims.clone()), st)],
                    st,
                );
                let lines = revealed_lines(&v.d.revealed, &v.d.disclosures, st);
                output::section("Disclosed", &lines, st);
                output::section("Times", &output::times(&v.claims, now, args.time, st), st);
            }
            Err(e) => {
                outln!("{} {}", st.red("✗"), st.red(&e.to_string()));
                outln!("{}", st.red(&st.bold("INVALID")));
            }
        }
    }
    Ok(match &result {
        Ok(_) => exit::OK,
        Err(e) => exit::code_for(e.kind()),
    })
}

/// A verified SD-JWT, as `verify` shows it.
struct Shown<'o> {
    header: jwtkit::json::Object,
    claims: jwtkit::json::Object,
    alg: &'static str,
    d: &'o sd_jwt::Disclosed,
}
