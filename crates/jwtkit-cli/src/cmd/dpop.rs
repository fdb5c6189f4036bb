//! `jwtkit dpop`: make a DPoP proof (RFC 9449) for one request.

use clap::Args;
use jwtkit::dpop::NewProof;
use jwtkit::{JwsAlg, KeyOp, Limits};
use serde_json::json;

use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `jwtkit dpop`.
#[derive(Debug, Args)]
pub struct DpopArgs {
    /// The client's private key (PEM, DER or JWK); its public part goes in the proof's `jwk`
    /// header, and its RFC 7638 thumbprint is the `cnf.jkt` a bound token carries.
    #[arg(long, value_name = "FILE")]
    pub key: String,
    /// The request's HTTP method (`htm`).
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    pub method: String,
    /// The request's absolute URL (`htu`; query and fragment are left out).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The access token sent with the proof: its hash goes in `ath`. Text, `@FILE` or `-`.
    #[arg(long, value_name = "TOKEN|@FILE|-")]
    pub access_token: Option<String>,
    /// The server's `DPoP-Nonce` (`nonce`).
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// Signature algorithm (default: the only one the key allows, e.g. ES256).
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// `iat` (default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Print one JSON object: the proof, its claims and the key's thumbprint (`jkt`).
    #[arg(long)]
    pub json: bool,
}

/// Run `jwtkit dpop`.
pub fn run(a: &DpopArgs, _st: Style) -> Result<u8, Failure> {
    let limits = Limits::default();
    let bytes = input::read_file(&a.key)?;
    let (set, _) = jwtkit::JwkSet::load(&bytes, &limits).map_err(|e| Failure::Jose(e).caused_by_inputs())?;
    let key = set
        .into_single()
        .map_err(|e| Failure::Jose(e).caused_by_inputs())?;
    let alg = match &a.alg {
        Some(s) => s
            .parse::<JwsAlg>()
            .map_err(|e: jwtkit::Error| Failure::Usage(format!("--alg: {}", e.message())))?,
        None => match key.algorithms().iter().collect::<Vec<_>>().as_slice() {
            [one] => *one,
            _ => {
                return Err(Failure::Usage(
                    "the key allows several algorithms: choose one with --alg".into(),
                ));
            }
        },
    };
    key.check_use(alg, KeyOp::Sign)
        .map_err(|e| Failure::Jose(e).caused_by_inputs())?;
    let token = a
        .access_token
        .as_deref()
        .map(|spec| input::text_arg(spec, "the access token"))
        .transpose()?;
    let iat = input::now(a.now.as_deref())?;
    let proof = NewProof {
        method: &a.method,
        url: &a.url,
        access_token: token.as_deref(),
        nonce: a.nonce.as_deref(),
        iat,
    }
    .sign(&key, alg)
    .map_err(|e| match e.kind() {
        jwtkit::ErrorKind::Malformed => Failure::Usage(format!("--url: {}", e.message())),
        _ => Failure::Jose(e).caused_by_inputs(),
    })?;
    if a.json {
        let jws = jwtkit::jws::CompactJws::parse(&proof, &limits)?;
        let claims = jwtkit::json::parse_object(jws.payload(), &limits)?;
        let jkt = key.to_public().map(|k| k.thumbprint().to_string());
        output::print_json(
            &json!({"proof": proof, "header": jws.header().as_object(), "claims": claims, "jkt": jkt}),
        );
    } else {
        outln!("{proof}");
    }
    Ok(exit::OK)
}
