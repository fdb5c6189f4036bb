//! `jwtkit jwk public|thumbprint|convert`.

use jwtkit::Limits;
use serde_json::{Value, json};

use crate::cli::{JwkCommand, KeyFormatArg};
use crate::cmd::keygen::render;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

fn load(file: &str) -> Result<jwtkit::JwkSet, Failure> {
    let bytes = if file == "-" {
        input::read_stdin("the key from stdin")
    } else {
        input::read_file(file)
    }
    .map_err(Failure::caused_by_inputs)?;
    let (set, _) =
        jwtkit::JwkSet::load(&bytes, &Limits::default()).map_err(|e| Failure::Jose(e).caused_by_inputs())?;
    if set.is_empty() {
        let why = set
            .ignored()
            .iter()
            .map(|i| format!("#{}: {}", i.index, i.reason))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Failure::Jose(jwtkit::Error::new(
            jwtkit::ErrorKind::BadKey,
            format!("{file}: no usable key ({why})"),
        )));
    }
    Ok(set)
}

pub fn run(cmd: &JwkCommand, _st: Style) -> Result<u8, Failure> {
    match cmd {
        JwkCommand::Public { file, format } => {
            let set = load(file)?;
            for k in set.keys() {
                if k.family() == jwtkit::KeyFamily::Oct {
                    return Err(Failure::Usage("an HMAC secret has no public part".into()));
                }
            }
            match (format, set.keys()) {
                (KeyFormatArg::Jwk, [one]) => output::print_json(&Value::Object(one.to_jwk(false))),
                (KeyFormatArg::Jwk, _) => output::print_json(&set.to_json(false)),
                (KeyFormatArg::Pem, keys) => {
                    for k in keys {
                        print!("{}", render(k, KeyFormatArg::Pem, false)?);
                    }
                }
            }
        }
        JwkCommand::Thumbprint {
            file,
            json,
            insecure_show_secret_hash,
        } => {
            let set = load(file)?;
            // A secret's RFC 7638 thumbprint is an unsalted SHA-256 of the secret (offline
            // guessing): withheld unless asked for.
            let shown = |k: &jwtkit::Key| -> Option<String> {
                (k.family() != jwtkit::KeyFamily::Oct || *insecure_show_secret_hash)
                    .then(|| k.thumbprint().to_string())
            };
            const WITHHELD: &str = "withheld: the thumbprint of a secret is an unsalted SHA-256 of it (anyone who sees it can test guesses offline); --insecure-show-secret-hash prints it";
            if *json {
                let list: Vec<Value> = set
                    .keys()
                    .iter()
                    .map(|k| match shown(k) {
                        Some(t) => json!({"kid": k.kid(), "kty": k.family().kty(), "thumbprint": t}),
                        None => json!({"kid": k.kid(), "kty": k.family().kty(), "thumbprint": null, "withheld": WITHHELD}),
                    })
                    .collect();
                output::print_json(&json!({"keys": list}));
            } else {
                for k in set.keys() {
                    let t = shown(k).unwrap_or_else(|| format!("({WITHHELD})"));
                    match k.kid() {
                        Some(kid) if set.keys().len() > 1 => outln!("{t}  {kid}"),
                        _ => outln!("{t}"),
                    }
                }
            }
        }
        JwkCommand::Convert {
            file,
            to,
            private,
            kid,
        } => {
            let set = load(file)?;
            for k in set.keys() {
                let k2;
                let key = match kid {
                    Some(kid) => {
                        k2 = jwtkit::JwkSet::load(
                            serde_json::to_string(&k.to_jwk(true))
                                .unwrap_or_default()
                                .as_bytes(),
                            &Limits::default(),
                        )?
                        .0
                        .into_single()?
                        .with_kid(kid.clone());
                        &k2
                    }
                    None => k,
                };
                if key.family() == jwtkit::KeyFamily::Oct {
                    if matches!(to, KeyFormatArg::Pem) {
                        return Err(Failure::Usage(
                            "an HMAC secret has no PEM form: use --to jwk".into(),
                        ));
                    }
                    // The JWK of a secret is the secret: printed only when asked for.
                    if !*private {
                        return Err(Failure::Usage(
                            "an HMAC secret has no public part: add --private to print the secret".into(),
                        ));
                    }
                }
                if *private && !key.is_private() {
                    return Err(Failure::Usage(format!(
                        "{file} holds a public key: --private needs a private key"
                    )));
                }
                print!("{}", render(key, *to, *private)?);
            }
        }
    }
    Ok(exit::OK)
}
