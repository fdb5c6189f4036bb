//! `jwtkit encrypt`: plaintext (often a signed JWT) in, JWE out (compact, general or flattened
//! JSON), with the same key syntax as `sign`.

use clap::{Args, ValueEnum};
use jwtkit::jwe::{EncAlg, Encrypter, KeyMgmtAlg};
use jwtkit::{JwkSet, Key, KeyFamily, Limits};
use serde_json::{Value, json};

use crate::cli::KeyArgs;
use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// JWE serializations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SerializationArg {
    /// Five base64url segments (RFC 7516 §7.1).
    #[default]
    Compact,
    /// General JSON with a `recipients` array (§7.2.1); one recipient per --key.
    Json,
    /// Flattened JSON, one recipient (§7.2.2).
    Flattened,
}

/// `jwtkit encrypt`.
#[derive(Debug, Args)]
#[command(mut_arg("secret", |a| a.help(crate::secret_help!(
    "The symmetric key of dir/A*KW/A*GCMKW, or the PBES2 password, to encrypt with"
))))]
pub struct EncryptArgs {
    /// The plaintext: text, `@FILE` (or an existing file's path), or omit / `-` to read stdin. A
    /// compact JWS gets `cty: JWT`.
    #[arg(value_name = "PLAINTEXT")]
    pub plaintext: Option<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Key management algorithm (repeat to pair one with each --key). Default: RSA-OAEP-256
    /// for RSA keys, ECDH-ES for EC and X25519 keys, the key's JWK alg when it names one.
    #[arg(long = "alg", value_name = "ALG")]
    pub algs: Vec<String>,
    /// Content encryption algorithm. Default: A256GCM (for dir: the one fitting the key size).
    #[arg(long, value_name = "ENC")]
    pub enc: Option<String>,
    /// `kid` header (default: the key's JWK kid).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// `typ` header.
    #[arg(long, value_name = "TYP")]
    pub typ: Option<String>,
    /// `cty` header (default `JWT` when the plaintext is a compact JWS).
    #[arg(long, value_name = "CTY")]
    pub cty: Option<String>,
    /// Extra protected header parameter, `name=value` (value parsed as JSON when valid JSON).
    #[arg(long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// Compress the plaintext (`zip: DEF`). Off by default: compression before encryption can
    /// leak secrets through the length when an attacker controls part of the plaintext.
    #[arg(long)]
    pub zip: bool,
    /// PBES2 iteration count.
    #[arg(long, value_name = "N", default_value_t = jwtkit::jwe::Encrypter::DEFAULT_P2C)]
    pub p2c: u32,
    /// Output serialization.
    #[arg(long, value_enum, default_value_t)]
    pub serialization: SerializationArg,
    /// Additional authenticated data (JSON serializations only): text or `@FILE`.
    #[arg(long, value_name = "AAD")]
    pub aad: Option<String>,
    /// Print one JSON object with the token and its protected header.
    #[arg(long)]
    pub json: bool,
}

fn default_alg(key: &Key) -> Result<KeyMgmtAlg, Failure> {
    if let Some(Ok(a)) = key.meta().alg.as_deref().map(str::parse::<KeyMgmtAlg>) {
        return Ok(a);
    }
    match key.family() {
        KeyFamily::Rsa => Ok(KeyMgmtAlg::RSA_OAEP_256),
        KeyFamily::Ec(_) | KeyFamily::Okp(jwtkit::OkpCurve::X25519) => Ok(KeyMgmtAlg::ECDH_ES),
        _ => Err(Failure::Usage(
            "--alg is required with a secret: dir, A128KW/A192KW/A256KW, A128GCMKW/A192GCMKW/A256GCMKW or PBES2-*".into(),
        )),
    }
}

fn default_enc(keys: &[(&Key, KeyMgmtAlg)]) -> EncAlg {
    match keys {
        [(k, KeyMgmtAlg::Dir)] => match k.bits() / 8 {
            16 => EncAlg::A128GCM,
            24 => EncAlg::A192GCM,
            48 => EncAlg::A192CBC_HS384,
            64 => EncAlg::A256CBC_HS512,
            _ => EncAlg::A256GCM,
        },
        _ => EncAlg::A256GCM,
    }
}

fn read_text(spec: Option<&str>, what: &str) -> Result<Vec<u8>, Failure> {
    match spec {
        None | Some("-") => input::read_stdin(&format!("the {what} from stdin")),
        Some(s) if s.starts_with('@') => input::read_file(&s[1..]),
        // Like token arguments: the path of an existing file is read (say @FILE to be explicit).
        Some(s) if !s.contains('\n') && std::path::Path::new(s).is_file() => {
            errln!("note: read the {what} from the file {s}");
            input::read_file(s)
        }
        Some(s) => Ok(s.as_bytes().to_vec()),
    }
}

fn looks_like_jws(p: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(p) else {
        return false;
    };
    let t = t.trim_end();
    t.split('.').count() == 3 && jwtkit::jws::CompactJws::parse(t, &Limits::default()).is_ok()
}

pub fn run(args: &EncryptArgs, st: Style) -> Result<u8, Failure> {
    let _ = st;
    let keys = input::keys(&args.keys, &Limits::default(), None)?;
    if keys.set.is_empty() {
        return Err(Failure::Usage(
            "no key: give --key FILE (the recipient's public key) or --secret S".into(),
        ));
    }
    let recipients = recipients(args, &keys.set)?;
    let enc = match &args.enc {
        Some(e) => e
            .parse::<EncAlg>()
            .map_err(|e: jwtkit::Error| Failure::Usage(format!("--enc: {}", e.message())))?,
        None => default_enc(&recipients),
    };
    let plaintext = read_text(args.plaintext.as_deref(), "plaintext")?;
    let cty = args
        .cty
        .clone()
        .or_else(|| looks_like_jws(&plaintext).then(|| "JWT".to_string()));
    let plaintext: &[u8] = if cty.as_deref() == Some("JWT") {
        std::str::from_utf8(&plaintext)
            .map(|t| t.trim_end().as_bytes())
            .unwrap_or(&plaintext)
    } else {
        &plaintext
    };
    if recipients.iter().any(|(_, a)| a.as_str().starts_with("PBES2")) {
        warn_p2c(args.p2c);
    }
    let mut extra = Vec::new();
    for h in &args.headers {
        extra.push(super::sign::header_pair(
            h,
            &[
                ("alg", "--alg"),
                ("enc", "--enc"),
                ("zip", "--zip"),
                ("p2c", "--p2c"),
            ],
        )?);
    }
    let token = encrypt(
        args,
        &recipients,
        enc,
        cty.as_deref(),
        extra,
        plaintext,
        args.serialization,
    )?;
    if args.json {
        let jwe = jwtkit::jwe::Jwe::parse(&token, &Limits::default())?;
        output::print_json(&json!({
            "token": token,
            "header": jwe.header(0)?.as_object(),
            "recipients": jwe.recipient_count(),
        }));
    } else {
        outln!("{token}");
    }
    Ok(exit::OK)
}

/// Each key with its key management algorithm: one `--alg` for all keys, one per key, or the
/// key's default.
fn recipients<'k>(args: &EncryptArgs, keys: &'k JwkSet) -> Result<Vec<(&'k Key, KeyMgmtAlg)>, Failure> {
    let mut recipients = Vec::new();
    for (i, key) in keys.keys().iter().enumerate() {
        let named = match args.algs.len() {
            1 => args.algs.first(),
            _ => args.algs.get(i),
        };
        let alg = match named {
            Some(a) => a
                .parse::<KeyMgmtAlg>()
                .map_err(|e| Failure::Usage(format!("--alg: {}", e.message())))?,
            None => default_alg(key)?,
        };
        recipients.push((key, alg));
    }
    if args.algs.len() > 1 && args.algs.len() != recipients.len() {
        return Err(Failure::Usage(format!(
            "{} --alg values for {} keys: give one --alg, or one per key",
            args.algs.len(),
            recipients.len()
        )));
    }
    Ok(recipients)
}

/// A PBES2 iteration count a decrypter will refuse (above jwtkit's limit) or that makes the
/// password cheap to guess (below RFC 7518 §4.8.1.2's 1000): a warning on stderr.
fn warn_p2c(p2c: u32) {
    let cap = Limits::default().max_pbes2_count;
    if p2c > cap {
        errln!(
            "warning: p2c {p2c} is above {cap}, the limit of jwtkit decrypt (and of most verifiers, against denial of service): this token will be refused"
        );
    } else if p2c < 1000 {
        errln!(
            "warning: p2c {p2c} is below 1000, the minimum RFC 7518 §4.8.1.2 recommends: the password is cheap to guess"
        );
    }
}

/// The JWE in serialization `s`: compact (one recipient, `kid` in the protected header, no
/// AAD), or JSON (general, or flattened for one recipient; `kid` in the recipient's header
/// when there is one recipient; the AAD).
fn encrypt(
    args: &EncryptArgs,
    recipients: &[(&Key, KeyMgmtAlg)],
    enc: EncAlg,
    cty: Option<&str>,
    extra: Vec<(String, Value)>,
    plaintext: &[u8],
    s: SerializationArg,
) -> Result<String, Failure> {
    let compact = s == SerializationArg::Compact;
    let mut e = if compact {
        let [(key, alg)] = recipients else {
            return Err(Failure::Usage(
                "several keys: the compact serialization has one recipient (use --serialization json)".into(),
            ));
        };
        let e = Encrypter::new(key, *alg, enc)?
            .deflate(args.zip)
            .pbes2_count(args.p2c);
        match &args.kid {
            Some(k) => e.kid(k),
            None => e,
        }
    } else {
        let mut e = Encrypter::with_enc(enc).deflate(args.zip).pbes2_count(args.p2c);
        for (key, alg) in recipients {
            let mut h = serde_json::Map::new();
            if let (Some(k), 1) = (&args.kid, recipients.len()) {
                h.insert("kid".into(), k.clone().into());
            }
            e = e.recipient_with_header(key, *alg, h)?;
        }
        e
    };
    if let Some(t) = &args.typ {
        e = e.typ(t);
    }
    if let Some(c) = cty {
        e = e.cty(c);
    }
    for (k, v) in extra {
        e = e.param(&k, v);
    }
    match (compact, &args.aad) {
        (true, Some(_)) => Err(Failure::Usage("--aad needs a JSON serialization".into())),
        (true, None) => Ok(e.encrypt(plaintext)?),
        (false, aad) => {
            if let Some(a) = aad {
                e = e.aad(&read_text(Some(a), "AAD")?);
            }
            Ok(e.encrypt_json(plaintext, s == SerializationArg::Flattened)?)
        }
    }
}
