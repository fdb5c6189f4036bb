//! Inputs: tokens (argument or stdin, found inside pasted text), HMAC secrets in the PRODUCT.md
//! syntax (`text`, `@path`, `env:VAR`, `b64:`, `b64url:`, `-`), key files, times and durations.

use std::io::{IsTerminal, Read};

use jwtkit::diagnose::Extracted;
use jwtkit::diagnose::SecretInput;
use jwtkit::{JwkSet, Key, Limits};

use crate::cli::KeyArgs;
use crate::exit::Failure;

/// Largest input read from stdin or a file (a margin above every limit).
const MAX_INPUT: u64 = 4 * 1024 * 1024;

fn read_bounded(mut r: impl Read, what: &str) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    r.by_ref()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::Io(format!("cannot read {what}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::Jose(jwtkit::Error::new(
            jwtkit::ErrorKind::ResourceLimit,
            format!("{what} is larger than {} MiB", MAX_INPUT / 1024 / 1024),
        )));
    }
    Ok(buf)
}

/// Read a file, bounded.
pub fn read_file(path: &str) -> Result<Vec<u8>, Failure> {
    let f = std::fs::File::open(path).map_err(|e| Failure::Io(format!("cannot open {path}: {e}")))?;
    read_bounded(f, path)
}

/// What stdin was already read for: it can be read once (`echo $T | jwtkit verify --secret -`
/// would otherwise verify with an empty secret).
static STDIN_READ_FOR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Read all of stdin, bounded; a second read in the same run is a usage error naming both.
pub fn read_stdin(what: &str) -> Result<Vec<u8>, Failure> {
    {
        let mut first = STDIN_READ_FOR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(first) = first.as_ref() {
            let name = |w: &str| w.trim_end_matches(" from stdin").to_string();
            return Err(Failure::Usage(format!(
                "stdin was already read for {}; give {} another way (a file with @FILE, or env:VAR)",
                name(first),
                name(what)
            )));
        }
        *first = Some(what.to_string());
    }
    read_bounded(std::io::stdin().lock(), what)
}

/// `text` without one final `\n` or `\r\n`.
fn without_final_line_ending(mut text: String) -> String {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    text
}

/// The token from the argument or stdin, extracted from pasted text.
pub fn token(arg: Option<&str>) -> Result<Extracted, Failure> {
    let mut from_file = None;
    let mut missing_file = None;
    let text = match arg {
        Some(t) if t.starts_with('@') => {
            from_file = Some(&t[1..]);
            file_text(&t[1..])?
        }
        Some(t) if t != "-" && !t.starts_with("eyJ") && std::path::Path::new(t).is_file() => {
            from_file = Some(t);
            file_text(t)?
        }
        Some(t) if t != "-" => {
            if std::path::Path::new(t).is_dir() {
                return Err(Failure::Io(format!(
                    "{t} is a directory: give a token, @FILE or the path of a file holding one"
                )));
            }
            if looks_like_path(t) {
                missing_file = Some(t);
            }
            t.to_string()
        }
        _ => {
            if std::io::stdin().is_terminal() {
                eprintln!("paste the token, then press Ctrl-D:");
            }
            let bytes = read_stdin("the token from stdin")?;
            String::from_utf8(bytes).map_err(|_| {
                Failure::Jose(jwtkit::Error::new(
                    jwtkit::ErrorKind::Malformed,
                    "the token is not UTF-8 text",
                ))
            })?
        }
    };
    // A file or stdin ends with a line ending: not part of the token (and not a repair).
    let text = match (arg, from_file) {
        (Some(t), None) if t != "-" => text,
        _ => without_final_line_ending(text),
    };
    let mut e = jwtkit::diagnose::Extracted::from_paste(&text);
    if let Some(path) = from_file {
        e.notes.insert(0, format!("read the token from the file {path}"));
    }
    if let Some(path) = missing_file {
        e.notes.insert(
            0,
            format!("there is no file {path}: the argument itself is read as the token"),
        );
    }
    if e.token.is_empty() {
        return Err(Failure::Usage(
            "no token given (pass it as an argument or on stdin)".into(),
        ));
    }
    Ok(e)
}

/// A token argument that is more likely a mistyped file name (`./tok.jwt`, `token.txt`) than a
/// token: one word with a `/` (base64url has none) or a file extension.
fn looks_like_path(t: &str) -> bool {
    const EXTENSIONS: [&str; 5] = ["jwt", "txt", "json", "token", "jwe"];
    !t.starts_with("eyJ")
        && !t.contains(char::is_whitespace)
        && !t.starts_with('{')
        && (t.contains('/')
            || t.rsplit_once('.')
                .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext)))
}

fn file_text(path: &str) -> Result<String, Failure> {
    String::from_utf8(read_file(path)?).map_err(|_| {
        Failure::Jose(jwtkit::Error::new(
            jwtkit::ErrorKind::Malformed,
            format!("{path} is not UTF-8 text"),
        ))
    })
}

fn strip_one_newline(mut b: Vec<u8>) -> Vec<u8> {
    if b.ends_with(b"\n") {
        b.pop();
        if b.ends_with(b"\r") {
            b.pop();
        }
    }
    b
}

/// A short text given as `TEXT`, `@FILE` or `-` (stdin), white space around it removed (an
/// access token for `dpop --access-token` or `verify --access-token`).
pub fn text_arg(spec: &str, what: &str) -> Result<String, Failure> {
    let bytes = match spec {
        "-" => read_stdin(&format!("{what} from stdin"))?,
        p if p.starts_with('@') => read_file(&p[1..])?,
        t => return Ok(t.to_string()),
    };
    Ok(String::from_utf8_lossy(&bytes).trim().to_string())
}

/// Detached content for `verify --payload`: `@path` (a file), `-` (stdin) or the text itself,
/// the exact bytes (no newline removed). Returns the bytes and where they came from.
pub fn content(spec: &str) -> Result<(Vec<u8>, String), Failure> {
    if spec == "-" {
        return Ok((read_stdin("the payload from stdin")?, "stdin".into()));
    }
    if let Some(path) = spec.strip_prefix('@') {
        return Ok((read_file(path)?, format!("the file {path}")));
    }
    Ok((spec.as_bytes().to_vec(), "the argument".into()))
}

/// Parse a secret in the PRODUCT.md syntax. Returns the bytes and how the user gave them (for
/// diagnosis). `-` reads stdin (one trailing newline removed).
/// How a `--secret` was given, for messages (never the secret itself).
fn secret_source(spec: &str) -> String {
    match spec {
        "-" => "(stdin)".into(),
        s if s.starts_with('@') || s.starts_with("env:") => s.to_string(),
        s if s.starts_with("b64url:") => "b64url:…".into(),
        s if s.starts_with("b64:") => "b64:…".into(),
        _ => "(text)".into(),
    }
}

pub fn secret(spec: &str) -> Result<(Vec<u8>, SecretInput), Failure> {
    use base64::Engine as _;
    if spec == "-" {
        let b = strip_one_newline(read_stdin("the secret from stdin")?);
        let text = String::from_utf8_lossy(&b).into_owned();
        return Ok((b, SecretInput::Text(text)));
    }
    if let Some(path) = spec.strip_prefix('@') {
        let b = read_file(path)?;
        let text = String::from_utf8_lossy(&b).into_owned();
        return Ok((b, SecretInput::Text(text)));
    }
    if let Some(var) = spec.strip_prefix("env:") {
        let v = std::env::var_os(var).ok_or_else(|| {
            Failure::Usage(format!(
                "environment variable {var} is not set (from --secret env:{var})"
            ))
        })?;
        // A secret is bytes: a value that is not UTF-8 is used as it is.
        #[cfg(unix)]
        let b = std::os::unix::ffi::OsStringExt::into_vec(v);
        #[cfg(not(unix))]
        let b = v.to_string_lossy().into_owned().into_bytes();
        let text = String::from_utf8_lossy(&b).into_owned();
        return Ok((b, SecretInput::Text(text)));
    }
    if let Some(b64) = spec.strip_prefix("b64url:") {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|e| Failure::Usage(format!("--secret b64url: is not base64url: {e}")))?;
        return Ok((bytes, SecretInput::Encoded(b64.to_string())));
    }
    if let Some(b64) = spec.strip_prefix("b64:") {
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(b64.trim_end_matches('='))
            .map_err(|e| Failure::Usage(format!("--secret b64: is not base64: {e}")))?;
        return Ok((bytes, SecretInput::Encoded(b64.to_string())));
    }
    Ok((spec.as_bytes().to_vec(), SecretInput::Text(spec.to_string())))
}

/// Prompt for a secret on the terminal without echo.
pub fn prompt_secret(question: &str) -> Result<(Vec<u8>, SecretInput), Failure> {
    let s = rpassword::prompt_password(question).map_err(|e| {
        if e.raw_os_error() == Some(6) || e.kind() == std::io::ErrorKind::NotFound {
            // ENXIO: no controlling terminal (a pipe, CI, cron).
            Failure::Usage(
                "--secret-prompt needs a terminal; without one use --secret env:VAR, --secret @FILE or --secret - (stdin)"
                    .into(),
            )
        } else {
            Failure::Io(format!("cannot read the secret: {e}"))
        }
    })?;
    Ok((s.clone().into_bytes(), SecretInput::Text(s)))
}

/// Keys from `--secret`/`--secret-prompt`/`--key`. `hmac_hint` says whether the token wants an
/// HMAC secret (for an automatic prompt on a terminal when no key is given).
pub struct LoadedKeys {
    /// The keys.
    pub set: JwkSet,
    /// How secrets were typed (for diagnosis).
    pub secrets: Vec<SecretInput>,
    /// Descriptions of where keys came from, for output.
    pub sources: Vec<String>,
}

/// Load keys from the key arguments.
pub fn keys(args: &KeyArgs, limits: &Limits, hmac_prompt: Option<&str>) -> Result<LoadedKeys, Failure> {
    let mut out = LoadedKeys {
        set: JwkSet::default(),
        secrets: Vec::new(),
        sources: Vec::new(),
    };
    let hmac = |bytes: Vec<u8>, from: &str| -> Result<Key, Failure> {
        if bytes.is_empty() {
            return Err(Failure::Usage(format!(
                "the secret {from} is empty: an empty key verifies nothing (check the file or variable)"
            )));
        }
        let key = Key::hmac(bytes);
        Ok(if args.insecure_allow_public_key_secret {
            key.allow_public_key_secret()
        } else {
            key
        })
    };
    if let Some(spec) = &args.secret {
        let (bytes, how) = secret(spec)?;
        out.set
            .push(hmac(bytes, &format!("from --secret {}", secret_source(spec)))?);
        out.secrets.push(how);
        out.sources.push("HMAC secret from --secret".into());
    }
    for path in &args.key {
        let bytes = if path == "-" {
            read_stdin("the key from stdin")
        } else {
            read_file(path)
        }
        .map_err(Failure::caused_by_inputs)?;
        let (set, format) = jwtkit::JwkSet::load(&bytes, limits)
            .map_err(|e| Failure::Jose(prefix(e, path)).caused_by_inputs())?;
        let ignored: Vec<String> = set
            .ignored()
            .iter()
            .map(|i| format!("#{} {}", i.index, i.reason))
            .collect();
        out.sources.push(format!(
            "{path}: {format}, {} key{}{}",
            set.keys().len(),
            if set.keys().len() == 1 { "" } else { "s" },
            if ignored.is_empty() {
                String::new()
            } else {
                format!(" ({} ignored: {})", ignored.len(), ignored.join("; "))
            }
        ));
        out.set.extend(set);
    }
    if args.insecure_allow_weak_key {
        out.set = JwkSet::from_keys(out.set.into_keys().into_iter().map(Key::allow_weak_rsa).collect());
    }
    let want_prompt = args.secret_prompt
        || (out.set.is_empty()
            && args.secret.is_none()
            && hmac_prompt.is_some()
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal());
    if want_prompt {
        let q = format!(
            "HMAC secret for {} (input hidden): ",
            hmac_prompt.unwrap_or("the token")
        );
        let (bytes, how) = prompt_secret(&q)?;
        out.set.push(hmac(bytes, "typed at the prompt")?);
        out.secrets.push(how);
        out.sources.push("HMAC secret from the prompt".into());
    }
    Ok(out)
}

fn prefix(e: jwtkit::Error, path: &str) -> jwtkit::Error {
    jwtkit::Error::new(e.kind(), format!("{path}: {}", e.message()))
}

/// Parse `--now` (default: the system clock).
pub fn now(arg: Option<&str>) -> Result<i64, Failure> {
    use jwtkit::jwt::NumericDate;
    let system = NumericDate::now();
    match arg {
        None => Ok(system),
        Some(t) => {
            NumericDate::parse(t, system).map_err(|e| Failure::Usage(format!("--now: {}", e.message())))
        }
    }
}

/// Parse a duration flag.
pub fn duration(flag: &str, text: &str) -> Result<std::time::Duration, Failure> {
    jwtkit::jwt::NumericDate::parse_duration(text)
        .map_err(|e| Failure::Usage(format!("{flag}: {}", e.message())))
}
