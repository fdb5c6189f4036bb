//! `jwtkit keygen`: new keys, with a kid (the RFC 7638 thumbprint by default; random for
//! symmetric keys, whose thumbprint would be a hash of the secret).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::io::Write as _;

use jwtkit::jwk::KeySpec;
use jwtkit::{JwsAlg, Key, KeyFamily};

use crate::cli::{KeyFormatArg, KeygenArgs};
use crate::exit::{self, Failure};
use crate::output::Style;

/// Write a file, private keys with mode 0600.
pub fn write_file(path: &str, data: &str, private: bool) -> Result<(), Failure> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let _ = private;
    let mut f = opts
        .open(path)
        .map_err(|e| Failure::Io(format!("cannot write {path}: {e}")))?;
    // The mode above only applies to a new file: an existing one is narrowed before the key is
    // written into it.
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt as _;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Failure::Io(format!("cannot make {path} private (mode 0600): {e}")))?;
    }
    f.write_all(data.as_bytes())
        .map_err(|e| Failure::Io(format!("cannot write {path}: {e}")))
}

/// Whether two paths name one file: the same existing file, or the same path once `.`
/// components are dropped.
fn same_file(a: &str, b: &str) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => {
            let norm = |p: &str| {
                std::path::Path::new(p)
                    .components()
                    .filter(|c| *c != std::path::Component::CurDir)
                    .collect::<std::path::PathBuf>()
            };
            norm(a) == norm(b)
        }
    }
}

/// The text of a key in a format.
pub fn render(key: &Key, format: KeyFormatArg, private: bool) -> Result<String, Failure> {
    match format {
        KeyFormatArg::Jwk => {
            let jwk = key.to_jwk(private);
            Ok(crate::output::json_text(serde_json::to_string_pretty(&jwk).unwrap_or_default()) + "\n")
        }
        KeyFormatArg::Pem => {
            let pem = if private {
                key.private_key_pem().map(|p| p.to_string())
            } else {
                key.public_key_pem()
            };
            pem.ok_or_else(|| {
                Failure::Usage(match key.family() {
                    KeyFamily::Oct => "an HMAC secret has no PEM form: use --format jwk".into(),
                    _ => "this key has no private part to write".into(),
                })
            })
        }
    }
}

pub fn run(args: &KeygenArgs, _st: Style) -> Result<u8, Failure> {
    let (spec, alg_name) = match args.alg.parse::<JwsAlg>() {
        Ok(alg) => {
            // The JWS algorithm fixes the curve and key size: a flag that would be ignored is an error.
            if let Some(c) = &args.crv {
                return Err(Failure::Usage(format!(
                    "--crv {c:?} applies to ECDH-ES keys only: {alg} fixes its key type (pick the algorithm of the curve, e.g. ES384 for P-384)"
                )));
            }
            if args.enc.is_some() {
                return Err(Failure::Usage("--enc applies to --alg dir keys only".into()));
            }
            (KeySpec::for_alg(alg), alg.as_str().to_string())
        }
        Err(e) => {
            // A JWE key management algorithm (`--enc` sizes a `dir` key).
            let kw = args
                .alg
                .parse::<jwtkit::KeyMgmtAlg>()
                .map_err(|_| Failure::Usage(format!("--alg: {}", e.message())))?;
            let enc = match &args.enc {
                Some(s) => s
                    .parse::<jwtkit::EncAlg>()
                    .map_err(|e: jwtkit::Error| Failure::Usage(format!("--enc: {}", e.message())))?,
                None => jwtkit::EncAlg::A256GCM,
            };
            let spec = match (KeySpec::for_key_mgmt(kw, enc), args.crv.as_deref()) {
                (KeySpec::Ec(_), Some(c)) => {
                    match (jwtkit::EcCurve::from_crv(c), jwtkit::OkpCurve::from_crv(c)) {
                        (Some(curve), _) if curve != jwtkit::EcCurve::Secp256k1 => KeySpec::Ec(curve),
                        (None, Some(jwtkit::OkpCurve::X25519)) => KeySpec::Okp(jwtkit::OkpCurve::X25519),
                        _ => {
                            return Err(Failure::Usage(format!(
                                "--crv {c:?}: ECDH-ES takes P-256, P-384, P-521 or X25519"
                            )));
                        }
                    }
                }
                (_, Some(_)) => return Err(Failure::Usage("--crv applies to ECDH-ES keys only".into())),
                (spec, None) => spec,
            };
            (spec, kw.as_str().to_string())
        }
    };
    let spec = match (spec, args.bits) {
        (KeySpec::Rsa(_), Some(bits)) if ![2048, 3072, 4096].contains(&bits) => {
            return Err(Failure::Usage(format!(
                "--bits {bits}: RSA keys are 2048, 3072 or 4096 bits"
            )));
        }
        (KeySpec::Rsa(_), Some(bits)) => KeySpec::Rsa(bits),
        (spec, None) => spec,
        (_, Some(_)) => return Err(Failure::Usage("--bits applies to RSA keys only".into())),
    };
    if args.public_out.is_some() && matches!(spec, KeySpec::Oct(_)) {
        return Err(Failure::Usage(
            "an HMAC secret has no public part: omit --public-out".into(),
        ));
    }
    if let (Some(out), Some(public)) = (&args.out, &args.public_out)
        && same_file(out, public)
    {
        return Err(Failure::Usage(format!(
            "--out and --public-out name the same file ({public}): the public key would replace the private key"
        )));
    }
    let key = Key::generate(spec)?;
    // A symmetric key's thumbprint is a hash of the secret: its kid is random instead.
    let kid = match &args.kid {
        Some(kid) => kid.clone(),
        None if key.family() == KeyFamily::Oct => random_kid()?,
        None => key.thumbprint().to_string(),
    };
    let key = key.with_kid(kid).with_alg(alg_name);
    let private = render(&key, args.format, true)?;
    match &args.out {
        Some(path) => {
            write_file(path, &private, true)?;
            errln!(
                "wrote the private key to {path} (kid {})",
                key.kid().unwrap_or_default()
            );
        }
        None => print!("{private}"),
    }
    if let Some(path) = &args.public_out {
        if key.family() == KeyFamily::Oct {
            return Err(Failure::Usage(
                "an HMAC secret has no public part: omit --public-out".into(),
            ));
        }
        let public = render(&key, args.format, false)?;
        write_file(path, &public, false)?;
        errln!("wrote the public key to {path}");
    }
    Ok(exit::OK)
}

/// A random 128-bit key id, base64url.
fn random_kid() -> Result<String, Failure> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| Failure::Io("random generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}
