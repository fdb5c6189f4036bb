//! `jwtkit jwks show FILE|URL`: one line per key (kid, kty, curve or size, alg, use, RFC 7638
//! thumbprint) and findings about the set (duplicate kids, private members, weak RSA, keys
//! without kid, alg not matching kty, expired x5c certificates). Exit code: 0 when the document
//! is a JWK Set (whatever it holds: it is an inspection, and the RFC vector contract reads a set
//! that parses as exit 0), 1 when it is not; with `--fail-on-high`, 1 also when a finding is
//! high (a private key, a weak RSA key, an `alg` its key cannot do), as `lint` does; 4 when it
//! cannot be fetched.

use clap::{Args, Subcommand};
use jwtkit::diagnose::{JwksReport, Severity};
use jwtkit::{JwkSet, Limits};
use jwtkit_remote::{FetchPolicy, Fetcher};
use serde_json::json;

use crate::exit::{self, Failure};
use crate::input;
use crate::output::{self, Style};

/// `jwtkit jwks ...`.
#[derive(Debug, Subcommand)]
pub enum JwksCommand {
    /// Show the keys of a JWK Set (file or URL) and what is wrong with it.
    Show(ShowArgs),
}

impl JwksCommand {
    /// Whether `--json` was asked for.
    pub fn json(&self) -> bool {
        match self {
            JwksCommand::Show(a) => a.json,
        }
    }
}

/// `jwtkit jwks show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A JWK Set file, `-` for stdin, or an https URL (http only to loopback, or with --allow-http).
    #[arg(value_name = "FILE|URL")]
    pub source: String,
    /// Print one JSON object: {"source", "keys": [...], "findings": [...], "high": bool}.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when a finding is high (a private key, a weak RSA key, an `alg` its key cannot
    /// do), as `lint` does: for a CI gate on a published JWK Set.
    #[arg(long)]
    pub fail_on_high: bool,
    /// Allow plain http:// to hosts other than loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// The time for certificate validity: Unix seconds, RFC 3339, or a date.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
}

fn read(args: &ShowArgs) -> Result<Vec<u8>, Failure> {
    if args.source.starts_with("https://") || args.source.starts_with("http://") {
        let policy = FetchPolicy {
            allow_insecure_http: args.allow_http,
            ..FetchPolicy::default()
        };
        let fetcher = Fetcher::new(&policy)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Io(format!("cannot start the async runtime: {e}")))?;
        return Ok(rt.block_on(fetcher.get(&args.source))?.body);
    }
    if args.source == "-" {
        return input::read_stdin("the JWK Set from stdin");
    }
    input::read_file(&args.source)
}

pub fn run(cmd: &JwksCommand, st: Style) -> Result<u8, Failure> {
    let JwksCommand::Show(args) = cmd;
    let now = input::now(args.now.as_deref())?;
    let bytes = read(args)?;
    let limits = Limits::default();
    let named = |e: jwtkit::Error| {
        Failure::Jose(jwtkit::Error::new(
            e.kind(),
            format!("{}: {}", args.source, e.message()),
        ))
    };
    let doc = jwtkit::json::parse_object(&bytes, &limits).map_err(named)?;
    let set = JwkSet::from_object(&doc, &limits).map_err(named)?;
    let report = JwksReport::new(&doc, &set, now);
    let high = report.findings.iter().any(|f| f.severity == Severity::High);
    let code = if high && args.fail_on_high {
        exit::INVALID
    } else {
        exit::OK
    };
    if args.json {
        let mut v = report.to_json();
        v["source"] = json!(args.source);
        v["high"] = json!(high);
        output::print_json(&v);
        return Ok(code);
    }
    let usable = report.keys.iter().filter(|k| k.ignored.is_none()).count();
    outln!(
        "{} {}  {}",
        st.bold("JWK Set"),
        args.source,
        st.dim(&format!("({} keys, {usable} usable)", report.keys.len()))
    );
    // Cells come from the document (possibly fetched): escaped before the widths are measured.
    let cell = |v: &Option<String>| {
        v.as_deref()
            .map_or_else(|| "-".into(), |v| output::safe(v).into_owned())
    };
    let mut rows = vec![[
        "#".to_string(),
        "kid".into(),
        "kty".into(),
        "crv/size".into(),
        "alg".into(),
        "use".into(),
        "thumbprint (RFC 7638)".into(),
    ]];
    for k in &report.keys {
        let thumb = match (&k.thumbprint, &k.ignored) {
            (Some(t), _) => t.clone(),
            (None, Some(why)) => format!("ignored: {why}"),
            (None, None) => "-".into(),
        };
        rows.push([
            k.index.to_string(),
            cell(&k.kid),
            output::safe(&k.kty).into_owned(),
            k.size.clone(),
            cell(&k.alg),
            cell(&k.use_),
            thumb,
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r.iter().zip(&widths).map(|(s, w)| format!("{s:<w$}")).collect();
        let line = line.join("  ").trim_end().to_string();
        outln!("  {}", if i == 0 { st.dim(&line) } else { line });
    }
    if report.findings.is_empty() {
        outln!("\n{} {}", st.bold("Findings"), st.green("none"));
    } else {
        output::section("Findings", &output::findings(&report.findings, st), st);
    }
    Ok(code)
}
