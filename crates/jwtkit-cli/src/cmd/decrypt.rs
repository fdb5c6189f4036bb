//! `jwtkit decrypt` (JWE in any serialization → plaintext), and the allowlists and JSON shapes
//! it shares with the JWE path of `jwtkit verify` (`verify_jwe.rs`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Args;
use jwtkit::dangerous::{Payload, Unverified};
use jwtkit::jwe::{DecryptOptions, Decrypted};
use jwtkit::{AlgorithmSet, EncAlg, Error, JwkSet, JwsAlg, KeyMgmtAlg, Limits};
use serde_json::{Value, json};

use crate::cli::{KeyArgs, TokenArg};
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `jwtkit decrypt`.
#[derive(Debug, Args)]
#[command(mut_arg("secret", |a| a.help(crate::secret_help!(
    "The symmetric key of dir/A*KW/A*GCMKW, or the PBES2 password, to decrypt with"
))))]
pub struct DecryptArgs {
    #[command(flatten)]
    pub token: TokenArg,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Allowed key management algorithm (repeatable): RSA-OAEP, RSA-OAEP-256, A128KW, A192KW,
    /// A256KW, dir, ECDH-ES, ECDH-ES+A128KW/A192KW/A256KW, A128GCMKW/A192GCMKW/A256GCMKW,
    /// PBES2-HS256+A128KW/HS384+A192KW/HS512+A256KW. Default: what the key allows.
    #[arg(long = "alg", value_name = "ALG")]
    pub algs: Vec<String>,
    /// Allowed content encryption algorithm (repeatable): A128CBC-HS256, A192CBC-HS384,
    /// A256CBC-HS512, A128GCM, A192GCM, A256GCM. Default: all of them.
    #[arg(long = "enc", value_name = "ENC")]
    pub encs: Vec<String>,
    /// Decrypt RSA1_5 (RSAES-PKCS1-v1_5) tokens. INSECURE (Bleichenbacher); naming `--alg RSA1_5`
    /// explicitly has the same effect.
    #[arg(long = "insecure-allow-rsa1_5")]
    pub insecure_allow_rsa1_5: bool,
    /// Write the plaintext to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// The current time (for the times of a decrypted claims set).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Accepted for symmetry with verify; decrypt checks no claims.
    #[arg(long, value_name = "DURATION", hide = true)]
    pub leeway: Option<String>,
    /// Print one JSON object instead of the plaintext.
    #[arg(long)]
    pub json: bool,
}

/// The algorithm flags split into the three allowlists: JWS signature, key management, content
/// encryption. Unknown names are usage errors.
pub struct Allowlists {
    pub jws: AlgorithmSet<JwsAlg>,
    pub kw: AlgorithmSet<KeyMgmtAlg>,
    pub enc: AlgorithmSet<EncAlg>,
    /// `--alg RSA1_5` was named explicitly.
    pub rsa1_5_named: bool,
}

pub fn allowlists(algs: &[String], encs: &[String]) -> Result<Allowlists, Failure> {
    let mut a = Allowlists {
        jws: AlgorithmSet::<JwsAlg>::empty(),
        kw: AlgorithmSet::<KeyMgmtAlg>::empty(),
        enc: AlgorithmSet::<EncAlg>::empty(),
        rsa1_5_named: false,
    };
    for s in algs {
        if let Ok(j) = s.parse::<JwsAlg>() {
            a.jws = a.jws.with(j);
            continue;
        }
        let k = s.parse::<KeyMgmtAlg>().map_err(|_| {
            Failure::Usage(format!(
                "--alg {s:?} is neither a JWS algorithm nor a JWE key management algorithm"
            ))
        })?;
        a.rsa1_5_named |= k == KeyMgmtAlg::RSA1_5;
        a.kw = a.kw.with(k);
    }
    for s in encs {
        let e = s
            .parse::<EncAlg>()
            .map_err(|e: Error| Failure::Usage(format!("--enc: {}", e.message())))?;
        a.enc = a.enc.with(e);
    }
    Ok(a)
}

/// Decrypt options from the allowlists (key management from the keys when none was named).
pub fn decrypt_options(a: &Allowlists, keys: &JwkSet, insecure_rsa1_5: bool) -> DecryptOptions {
    let enc = if a.enc.is_empty() {
        AlgorithmSet::<EncAlg>::all()
    } else {
        a.enc
    };
    let mut o = if a.kw.is_empty() {
        DecryptOptions::from_keys(keys, enc)
    } else {
        DecryptOptions::new(a.kw, enc)
    };
    o.insecure_allow_rsa1_5 = insecure_rsa1_5 || a.rsa1_5_named;
    o
}

pub(super) fn rsa1_5_warning(o: &DecryptOptions, d: Option<&Decrypted>) -> Option<String> {
    (o.insecure_allow_rsa1_5 && d.is_some_and(|d| d.alg == KeyMgmtAlg::RSA1_5)).then(|| {
        "decrypted with RSA1_5 (RSAES-PKCS1-v1_5), which is open to Bleichenbacher attacks: ask the sender for RSA-OAEP-256".to_string()
    })
}

/// A JWE the core rejected, for `decrypt` and `verify`: `--json` prints `{"valid": false,
/// "error", "unverified": {"header"}, "warnings"}`, text output the warnings (the caller then
/// says why in its own words). Returns the token decoded without trust, for that text.
pub(super) fn rejected(token: &str, e: &Error, warnings: &[String], json: bool, st: Style) -> Unverified {
    let u = Unverified::decode(token, &Limits::default());
    if json {
        output::print_json(&json!({
            "valid": false,
            "error": e.to_json(),
            "unverified": {"header": u.header},
            "warnings": warnings,
        }));
    } else {
        output::notes(warnings, st);
    }
    u
}

pub(super) fn key_json(keys: &JwkSet, i: usize) -> Value {
    json!(
        keys.keys()
            .get(i)
            .map(|k| json!({"kid": k.kid(), "thumbprint": k.shown_thumbprint()}))
    )
}

pub(super) fn jwe_json(d: &Decrypted, keys: &JwkSet) -> Value {
    json!({
        "alg": d.alg,
        "enc": d.enc,
        "header": d.header.as_object(),
        "key": key_json(keys, d.key_index),
        "recipient": d.recipient_index,
        "serialization": format!("{:?}", d.serialization).to_lowercase(),
    })
}

pub fn run(args: &DecryptArgs, st: Style) -> Result<u8, Failure> {
    let extracted = input::token(args.token.token.as_deref())?;
    let token = extracted.token.as_str();
    let limits = Limits::default();
    let keys = decryption_keys(args, &limits)?;
    let lists = allowlists(&args.algs, &args.encs)?;
    if !lists.jws.is_empty() {
        return Err(Failure::Usage(
            "--alg names a signature algorithm: decrypt takes key management algorithms (use verify for a nested JWT)".into(),
        ));
    }
    let opts = decrypt_options(&lists, &keys.set, args.insecure_allow_rsa1_5);
    // The one core call.
    let result = opts.decrypt(token, &keys.set);
    let mut warnings = extracted.notes.clone();
    warnings.extend(rsa1_5_warning(&opts, result.as_ref().ok()));
    let d = match result {
        Ok(d) => d,
        Err(e) if e.fault() != jwtkit::Fault::Token => return Err(Failure::Jose(e)),
        Err(e) => {
            rejected(token, &e, &warnings, args.json, st);
            if !args.json {
                errln!("jwtkit: {e}");
            }
            return Ok(exit::code_for(e.kind()));
        }
    };
    if args.json {
        output::print_json(&decrypted_json(&d, &keys.set, &warnings, &limits));
        return Ok(exit::OK);
    }
    output::notes(&warnings, st);
    render(&d, &keys.set, &limits, st);
    match &args.out {
        Some(path) => std::fs::write(path, &d.plaintext).map_err(|e| Failure::Io(format!("{path}: {e}")))?,
        None => write_plaintext(&d.plaintext),
    }
    Ok(exit::OK)
}

/// The keys to decrypt with: at least one, and not only public keys (a public key cannot
/// decrypt: a key problem of the caller, exit 3, not an invalid token).
fn decryption_keys(args: &DecryptArgs, limits: &Limits) -> Result<input::LoadedKeys, Failure> {
    let keys = input::keys(&args.keys, limits, None)?;
    if keys.set.is_empty() {
        return Err(Failure::Usage(
            "no key: give --key FILE (the recipient's private key) or --secret S (dir, A*KW, A*GCMKW, PBES2)"
                .into(),
        ));
    }
    if keys
        .set
        .keys()
        .iter()
        .all(|k| k.secret_bytes().is_none() && !k.is_private())
    {
        let labels: Vec<String> = keys.set.keys().iter().map(|k| k.label()).collect();
        return Err(Failure::Input(jwtkit::Error::new(
            jwtkit::ErrorKind::KeyMismatch,
            format!(
                "decryption needs the recipient's private key, but the key given is public ({}): give the private key (or the shared secret)",
                labels.join(", ")
            ),
        )));
    }
    Ok(keys)
}

/// The plaintext when it is not a claims set but a nested JWT, decoded, NOT verified.
fn nested_unverified(d: &Decrypted, limits: &Limits) -> Option<Unverified> {
    let text = std::str::from_utf8(&d.plaintext).ok()?;
    if jwtkit::json::parse_object(&d.plaintext, limits).is_ok() {
        return None;
    }
    Some(Unverified::decode(text, limits)).filter(|u| u.header.is_some())
}

/// `--json`: the JOSE Header, the JWE facts, the plaintext (UTF-8 and base64url), the claims
/// when it is a claims set, the nested JWT's header and claims (unverified) when it is one.
fn decrypted_json(d: &Decrypted, keys: &JwkSet, warnings: &[String], limits: &Limits) -> Value {
    let text = std::str::from_utf8(&d.plaintext).ok();
    let mut m = serde_json::Map::new();
    m.insert("valid".into(), true.into());
    m.insert("header".into(), Value::Object(d.header.as_object().clone()));
    m.insert("jwe".into(), jwe_json(d, keys));
    m.insert(
        "payload".into(),
        json!({"utf8": text, "b64u": URL_SAFE_NO_PAD.encode(&d.plaintext)}),
    );
    if let Ok(c) = jwtkit::json::parse_object(&d.plaintext, limits) {
        m.insert("claims".into(), Value::Object(c));
    }
    if let Some(u) = nested_unverified(d, limits) {
        let payload = match &u.payload {
            Payload::Claims(c) => json!(c),
            _ => Value::Null,
        };
        m.insert(
            "nested".into(),
            json!({"header": u.header, "claims": payload, "note": "the nested JWT is NOT verified: use jwtkit verify"}),
        );
    }
    m.insert("warnings".into(), json!(warnings));
    Value::Object(m)
}

/// The "Decrypted ✓ (alg + enc with key)" line on stderr, and the reminder that a nested JWT is
/// not verified here.
fn render(d: &Decrypted, keys: &JwkSet, limits: &Limits, st: Style) {
    let key = keys
        .keys()
        .get(d.key_index)
        .map(|k| k.label())
        .unwrap_or_default();
    let recipient = if d.recipient_index > 0 {
        format!(", recipient {}", d.recipient_index)
    } else {
        String::new()
    };
    errln!(
        "{} {} {}",
        st.bold("Decrypted"),
        st.green("✓"),
        st.dim(&format!("({} + {} with {key}{recipient})", d.alg, d.enc))
    );
    if nested_unverified(d, limits).is_some() {
        errln!(
            "{}",
            st.yellow(
                "the plaintext is a nested JWT, NOT verified here: use jwtkit verify to decrypt and verify it"
            )
        );
    }
}

/// The plaintext on stdout: the exact bytes to a pipe; on a terminal, escaped (the sender chose
/// these bytes: no escape sequence reaches the terminal raw) and ended with a newline.
fn write_plaintext(plaintext: &[u8]) {
    use std::io::{IsTerminal as _, Write as _};
    let mut out = std::io::stdout().lock();
    if !out.is_terminal() {
        let _ = out.write_all(plaintext);
        return;
    }
    let text = String::from_utf8_lossy(plaintext);
    let shown = output::safe(&text);
    if matches!(shown, std::borrow::Cow::Owned(_)) || text.len() != plaintext.len() {
        errln!(
            "note: the plaintext has control or non-UTF-8 bytes, shown escaped here; use --out FILE or a pipe for the exact bytes"
        );
    }
    let _ = out.write_all(shown.as_bytes());
    if std::str::from_utf8(plaintext).is_ok() && !plaintext.ends_with(b"\n") {
        let _ = out.write_all(b"\n");
    }
}
