//! `jwtkit sign`: claims in, compact JWS out.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwtkit::jws::Signer;
use jwtkit::jwt::NumericDate;
use jwtkit::{JwsAlg, Key, KeyOp, Limits};
use serde_json::Map;
use serde_json::{Value, json};

use crate::cli::SignArgs;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `name=value`, the value parsed as JSON when it is valid JSON, else kept as a string.
pub fn pair(flag: &str, s: &str) -> Result<(String, Value), Failure> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| Failure::Usage(format!("{flag} {s:?}: expected name=value")))?;
    if k.is_empty() {
        return Err(Failure::Usage(format!("{flag} {s:?}: the name is empty")));
    }
    let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

/// `--header name=value` ([`pair`]); `flags` are the parameters a flag of the command sets
/// (`alg` → `--alg`), which a header value would silently lose to.
pub fn header_pair(s: &str, flags: &[(&str, &str)]) -> Result<(String, Value), Failure> {
    let (k, v) = pair("--header", s)?;
    match flags.iter().find(|(name, _)| *name == k) {
        Some((name, flag)) => Err(Failure::Usage(format!(
            "--header {name}=…: the {name} header is set with {flag}"
        ))),
        None => Ok((k, v)),
    }
}

fn claims_from(spec: &str) -> Result<Map<String, Value>, Failure> {
    let bytes = match spec {
        "-" => input::read_stdin("the claims from stdin")?,
        s if s.starts_with('@') => input::read_file(&s[1..])?,
        s => s.as_bytes().to_vec(),
    };
    jwtkit::json::parse_object(&bytes, &Limits::default())
        .map_err(|e| Failure::Usage(format!("--claims: {}", e.message())))
}

fn time_arg(flag: &str, t: &str, now: i64) -> Result<i64, Failure> {
    NumericDate::parse(t, now).map_err(|e| Failure::Usage(format!("{flag}: {}", e.message())))
}

/// Pick the signing key: the only key that can sign `alg` (then `--kid` only sets the header),
/// or, among several, the one whose kid matches `--kid`.
fn signing_key(keys: &jwtkit::JwkSet, kid: Option<&str>, alg: JwsAlg) -> Result<usize, Failure> {
    let usable: Vec<usize> = keys
        .keys()
        .iter()
        .enumerate()
        .filter(|(_, k)| k.check_use(alg, KeyOp::Sign).is_ok())
        .map(|(i, _)| i)
        .collect();
    let candidates: Vec<usize> = match usable.as_slice() {
        [_] => usable.clone(),
        _ => usable
            .iter()
            .copied()
            .filter(|&i| {
                let k = keys.keys().get(i).and_then(|k| k.kid());
                kid.is_none() || k.is_none() || k == kid
            })
            .collect(),
    };
    match candidates.as_slice() {
        [i] => Ok(*i),
        [] if usable.is_empty() => {
            let reason = keys
                .keys()
                .iter()
                .find_map(|k| k.check_use(alg, KeyOp::Sign).err())
                .map(|e| e.message().to_string())
                .unwrap_or_else(|| "no key given".into());
            Err(Failure::Jose(jwtkit::Error::new(
                jwtkit::ErrorKind::KeyMismatch,
                format!("cannot sign {alg}: {reason}"),
            )))
        }
        [] => Err(Failure::Usage(format!(
            "no key with kid {:?} among the {} keys that can sign {alg}",
            kid.unwrap_or_default(),
            usable.len()
        ))),
        _ => Err(Failure::Usage(
            "several keys can sign: choose one with --kid".into(),
        )),
    }
}

pub fn run(args: &SignArgs, st: Style) -> Result<u8, Failure> {
    let _ = st;
    let alg: JwsAlg = args
        .alg
        .parse()
        .map_err(|e: jwtkit::Error| Failure::Usage(format!("--alg: {}", e.message())))?;
    let now = input::now(args.now.as_deref())?;
    let keys = input::keys(
        &args.keys,
        &Limits::default(),
        alg.is_hmac().then_some(alg.as_str()),
    )?;
    if keys.set.is_empty() {
        return Err(Failure::Usage(
            "no key: give --secret S, --secret-prompt or --key FILE".into(),
        ));
    }
    let key: &Key = keys
        .set
        .keys()
        .get(signing_key(&keys.set, args.kid.as_deref(), alg)?)
        .ok_or_else(|| Failure::Usage("no key".into()))?;

    let claims = claims(args, now)?;
    let signer = signer(args, key, alg)?;
    let token = token(args, &signer, &claims)?;
    if args.json {
        let mut out = json!({"token": token, "header": signer.header(), "claims": claims});
        if let Some(path) = &args.detached {
            out["detached_payload"] = json!({"path": path});
        }
        if !args.sd.is_empty() {
            let sd = jwtkit::sd_jwt::SdJwt::parse(&token, &Limits::default())?;
            out["disclosures"] = crate::cmd::sd::disclosures_json(&sd.disclosures);
        }
        output::print_json(&out);
    } else {
        outln!("{token}");
    }
    for f in jwtkit::diagnose::Finding::for_key(key, Some(alg)) {
        errln!("warning: {}: {}", f.id, f.message);
    }
    Ok(exit::OK)
}

/// The JWT Claims Set: `--claims`, then the registered-claim flags, then each `--claim`;
/// `exp`, `nbf` and `iat` must end up NumericDates (RFC 7519 §2).
fn claims(args: &SignArgs, now: i64) -> Result<Map<String, Value>, Failure> {
    let mut claims = match &args.claims {
        Some(spec) => claims_from(spec)?,
        None => Map::new(),
    };
    if let Some(v) = &args.iss {
        claims.insert("iss".into(), v.clone().into());
    }
    if let Some(v) = &args.sub {
        claims.insert("sub".into(), v.clone().into());
    }
    match args.aud.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".into(), one.clone().into());
        }
        many => {
            claims.insert("aud".into(), many.to_vec().into());
        }
    }
    if !args.no_iat && !claims.contains_key("iat") {
        claims.insert("iat".into(), now.into());
    }
    if let Some(t) = &args.nbf {
        claims.insert("nbf".into(), time_arg("--nbf", t, now)?.into());
    }
    if let Some(t) = &args.exp {
        claims.insert("exp".into(), time_arg("--exp", t, now)?.into());
    }
    if let Some(j) = &args.jti {
        let id = if j.is_empty() {
            let mut b = [0u8; 16];
            SystemRandom::new()
                .fill(&mut b)
                .map_err(|_| Failure::Io("random generator failed".into()))?;
            URL_SAFE_NO_PAD.encode(b)
        } else {
            j.clone()
        };
        claims.insert("jti".into(), id.into());
    }
    for c in &args.claim {
        let (k, v) = pair("--claim", c)?;
        claims.insert(k, v);
    }
    // Every verifier rejects a token whose exp/nbf/iat is not a NumericDate (RFC 7519 §2):
    // refuse to make one (`--claim exp=soon`, or a string in --claims).
    for name in ["exp", "nbf", "iat"] {
        if let Some(v) = claims.get(name).filter(|v| !v.is_number()) {
            let hint = match name {
                "iat" => "iat is set to the current time unless --no-iat is given",
                _ => "use --exp / --nbf for times such as +1h, +3600 or 2026-12-01",
            };
            return Err(Failure::Usage(format!(
                "claim {name} must be a NumericDate (seconds since 1970, a JSON number), not {v}: {hint}"
            )));
        }
    }
    Ok(claims)
}

/// The JWS Protected Header: `typ`, `kid` and each `--header` (never `alg`, which is `--alg`).
fn signer<'k>(args: &SignArgs, key: &'k Key, alg: JwsAlg) -> Result<jwtkit::jws::Signer<'k>, Failure> {
    let mut signer = Signer::new(key, alg)?.allow_weak_key(args.keys.insecure_allow_weak_key);
    if !args.typ.is_empty() {
        signer = signer.typ(&args.typ);
    }
    if let Some(kid) = &args.kid {
        signer = signer.kid(kid);
    }
    for h in &args.headers {
        let (k, v) = header_pair(h, &[("alg", "--alg")])?;
        signer = signer.param(&k, v);
    }
    Ok(signer.build()?)
}

/// The token: an SD-JWT with `--sd` (RFC 9901), a JWS with detached content written to
/// `--detached FILE` (RFC 7515 Appendix F), or a compact JWT.
fn token(
    args: &SignArgs,
    signer: &jwtkit::jws::Signer<'_>,
    claims: &serde_json::Map<String, Value>,
) -> Result<String, Failure> {
    Ok(match &args.detached {
        None if !args.sd.is_empty() => {
            let sd_alg = jwtkit::sd_jwt::SdAlg::from_name(&args.sd_alg)
                .map_err(|e| Failure::Usage(format!("--sd-alg: {}", e.message())))?;
            let pointers: Vec<&str> = args.sd.iter().map(String::as_str).collect();
            jwtkit::sd_jwt::SdJwt::issue(
                claims.clone(),
                &pointers,
                sd_alg,
                usize::from(args.sd_decoys),
                signer,
            )
            .map_err(|e| Failure::Usage(format!("--sd: {}", e.message())))?
        }
        Some(path) => {
            let payload = serde_json::to_vec(claims).map_err(|e| Failure::Io(format!("claims: {e}")))?;
            std::fs::write(path, &payload).map_err(|e| Failure::Io(format!("cannot write {path}: {e}")))?;
            signer.sign_detached(&payload)?
        }
        None => signer.sign_claims(claims)?,
    })
}
