//! Command-line surface (clap derive). Help text lives next to each flag.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Decode, verify, sign and inspect JSON Web Tokens locally. Nothing leaves your machine.
///
/// Tokens are read from the argument, from a file (`@FILE`, or the path of an existing file), or
/// from standard input when the argument is absent or `-` (read whole). Pasted text is tolerated:
/// a leading `Bearer ` or `Authorization: Bearer `, quotes, line breaks, or a whole `curl -H`
/// line; what was stripped is reported. Secrets take `@FILE`, `env:VAR` or `-` (stdin) too, and
/// `--secret-prompt` asks on the terminal.
///
/// Exit codes: 0 valid/ok, 1 token invalid (verification, validation or a high finding in
/// lint), 2 usage error, 3 key or config error, 4 network error.
#[derive(Debug, Parser)]
#[command(
    name = "jwtkit",
    version = env!("JWTKIT_VERSION"),
    about,
    long_about,
    max_term_width = 100
)]
pub struct Cli {
    /// Disable colour (colour is only used when stdout is a terminal; NO_COLOR is honoured).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show a token's header, claims and times WITHOUT verifying anything.
    ///
    /// Decoding never checks the signature and never implies validity: use `verify` for that.
    /// Strictness problems (padding, duplicate members, bad segment count) are listed, and as
    /// much as possible is still shown. Exits 1 when the token is malformed.
    Decode(DecodeArgs),
    /// Verify a token's signature and validate its claims.
    ///
    /// The algorithm allowlist comes from --alg, or from the key (its JWK `alg`, else its
    /// family); never from the token. On failure a diagnosis says which keys and algorithms
    /// were tried and which usual mistake it looks like.
    Verify(Box<VerifyArgs>),
    /// Sign claims into a compact JWS (a JWT).
    Sign(SignArgs),
    /// Encrypt a plaintext (often a signed JWT) into a JWE: compact or JSON serialization.
    Encrypt(crate::cmd::encrypt::EncryptArgs),
    /// Decrypt a JWE (compact or JSON) and print the plaintext; a nested JWT is not verified.
    Decrypt(crate::cmd::decrypt::DecryptArgs),
    /// Generate a key: RSA, EC (P-256/384/521), Ed25519 or an HMAC secret, as JWK or PEM.
    Keygen(KeygenArgs),
    /// Inspect and convert keys: public part, RFC 7638 thumbprint, JWK <-> PEM.
    #[command(subcommand)]
    Jwk(JwkCommand),
    /// Security findings for a token (and its secret): exits 1 if any finding is high.
    Lint(LintArgs),
    /// Inspect JWK Sets (files or URLs): keys, thumbprints and findings; with --fail-on-high,
    /// exits 1 if any finding is high.
    #[command(subcommand)]
    Jwks(crate::cmd::jwks::JwksCommand),
    /// Start the local web debugger on 127.0.0.1 and open it in the browser.
    Ui(crate::cmd::ui::UiArgs),
    /// Run the JWT-verifying reverse proxy (`--config FILE`), check a config (`--check`), or
    /// explain a decision (`gateway explain`).
    Gateway(crate::cmd::gateway::GatewayArgs),
    /// SD-JWT (RFC 9901) holder tools: `sd present` keeps the Disclosures to reveal and adds a
    /// Key Binding JWT. Issue with `sign --sd CLAIM`; `decode` and `verify` read SD-JWTs.
    #[command(subcommand)]
    Sd(crate::cmd::sd::SdCommand),
    /// Make a DPoP proof (RFC 9449) for one request: `--key FILE --method GET --url URL
    /// [--access-token T] [--nonce N]`. Send it as the `DPoP` header with `Authorization: DPoP T`.
    Dpop(crate::cmd::dpop::DpopArgs),
    /// Run a local OpenID Connect provider for development and tests (`--config FILE`):
    /// discovery, rotating JWKS, login page, code + PKCE, refresh rotation, introspection.
    Issuer(crate::cmd::issuer::IssuerArgs),
    /// Get tokens from an OAuth 2.0 / OpenID Connect provider (code + PKCE, device, client
    /// credentials, refresh, JWT bearer, token exchange) and show them decoded; introspect,
    /// userinfo, revoke.
    Oauth(crate::cmd::oauth::OauthArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(crate::cmd::completions::CompletionsArgs),
    /// Print the manual page (roff) of jwtkit or of a subcommand, or write them all with --dir.
    Man(crate::cmd::man::ManArgs),
}

/// How to show times in human output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TimeFormat {
    /// `2026-11-29 18:00:00 UTC (in 3h 12m)`.
    #[default]
    Utc,
    /// The local time zone.
    Local,
    /// Unix seconds.
    Unix,
}

/// Arguments shared by commands that take a token.
#[derive(Debug, Args)]
pub struct TokenArg {
    /// The token (compact JWS/JWE, or a JSON serialization), `@FILE` (or an existing file's
    /// path) to read it from a file, or omit / `-` to read stdin.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
}

/// The help of `--secret` on one command: what the secret is there, then the forms it takes.
/// Each command that flattens [`KeyArgs`] sets it with
/// `#[command(mut_arg("secret", |a| a.help(secret_help!("…"))))]`.
#[macro_export]
macro_rules! secret_help {
    ($what:literal) => {
        concat!(
            $what,
            ": `text`, `@path` (file bytes as is), `env:VAR`, `b64:…`, `b64url:…`, or `-` (stdin; \
             one trailing newline removed). Prefer env:, @ or --secret-prompt to keep secrets out \
             of shell history."
        )
    };
}

/// Key sources (`--secret`, `--key`), shared by verify, sign, lint, encrypt and decrypt.
#[derive(Debug, Args, Default)]
pub struct KeyArgs {
    // Each command sets its own help (what the secret is there); this one is the fallback.
    #[arg(long, value_name = "S", help = secret_help!("The secret"))]
    pub secret: Option<String>,
    /// Ask for the secret on the terminal (input hidden).
    #[arg(long)]
    pub secret_prompt: bool,
    /// Key file, recognised by content: PEM (SPKI, PKCS#1, PKCS#8, SEC1, certificate), DER, a
    /// JWK or a JWK Set. Repeat to give several.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<String>,
    /// Allow keys below the RFC 7518 minimums: HMAC secrets shorter than the hash (signing), RSA
    /// public keys under 2048 bits (verifying with RS256/RS512; aws-lc-rs cannot load such
    /// private keys at all). Testing and legacy systems only.
    #[arg(long)]
    pub insecure_allow_weak_key: bool,
    /// Allow an HMAC secret whose bytes are a public key (PEM, DER, an OpenSSH line, a JWK):
    /// refused by default as the public-key-as-HMAC-secret attack. For the rare system that
    /// really MACs with such text, and for crafting the attack in tests.
    #[arg(long)]
    pub insecure_allow_public_key_secret: bool,
}

/// `jwtkit decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub token: TokenArg,
    /// Print one JSON object instead of human output.
    #[arg(long)]
    pub json: bool,
    /// How to show times.
    #[arg(long, value_enum, default_value_t)]
    pub time: TimeFormat,
    /// The current time for relative times and findings: Unix seconds, RFC 3339, or a date.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
}

/// `jwtkit verify`.
#[derive(Debug, Args)]
#[command(mut_arg("secret", |a| a.help(secret_help!(
    "HMAC secret (HS256/384/512); for a JWE, the symmetric key of dir/A*KW/A*GCMKW or the PBES2 \
     password"
))))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub token: TokenArg,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub remote: crate::cmd::remote::RemoteArgs,
    #[command(flatten)]
    pub kind: crate::cmd::token_kind::KindArgs,
    /// Allowed algorithm (repeatable). Default: what the key allows (its JWK alg, else its family).
    #[arg(long = "alg", value_name = "ALG")]
    pub algs: Vec<String>,
    /// Expected issuer (repeatable: any of them). Compared exactly.
    #[arg(long = "iss", value_name = "ISS")]
    pub issuers: Vec<String>,
    /// Multi-tenant issuer template, e.g. https://login.microsoftonline.com/{tid}/v2.0: the
    /// placeholder is filled from the token's own claim of that name; needs --tenant or
    /// --any-tenant.
    #[arg(long, value_name = "TEMPLATE")]
    pub iss_template: Option<String>,
    /// With --iss-template: an allowed tenant (repeatable).
    #[arg(long = "tenant", value_name = "TENANT", requires = "iss_template")]
    pub tenants: Vec<String>,
    /// With --iss-template: accept every tenant (of the right shape).
    #[arg(long, requires = "iss_template", conflicts_with = "tenants")]
    pub any_tenant: bool,
    /// With --iss-template: the tenant's shape, guid (Entra ID) or name.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "guid",
        requires = "iss_template"
    )]
    pub tenant_format: String,
    /// Expected audience (repeatable: any of them). Without one, a token with `aud` is rejected.
    #[arg(long = "aud", value_name = "AUD")]
    pub audiences: Vec<String>,
    /// Do not check `aud` (inspection only; a service must check its audience).
    #[arg(long, conflicts_with = "audiences")]
    pub ignore_aud: bool,
    /// Expected subject.
    #[arg(long, value_name = "SUB")]
    pub sub: Option<String>,
    /// Expected header `typ` (case-insensitive, e.g. JWT or at+jwt).
    #[arg(long, value_name = "TYP")]
    pub typ: Option<String>,
    /// Claim that must be present (repeatable).
    #[arg(long = "require", value_name = "CLAIM")]
    pub required: Vec<String>,
    /// Allowed clock skew for exp, nbf and iat.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub leeway: String,
    /// Maximum token age since iat (iat becomes required), e.g. 1h.
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// The current time: Unix seconds, RFC 3339 (2026-11-29T18:00:00Z), a date, or +1h / -30m.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Signature only: treat the payload as opaque bytes and check no claims.
    #[arg(long)]
    pub jws: bool,
    /// Strict: the input must be exactly a token, byte for byte. Anything the paste helper
    /// would repair (a "Bearer " prefix, quotes, whitespace or line breaks, other text) is
    /// `malformed`, naming the byte offset; a JWT must be in the compact serialization
    /// (RFC 7519 §7.2). One line ending at the end of a file or stdin is not part of the input.
    #[arg(long)]
    pub strict: bool,
    /// Detached content (RFC 7515 Appendix F) of a token whose payload is empty
    /// (`header..signature`, or JSON without "payload"): @FILE, - for stdin, or the text itself.
    /// The exact bytes are the JWS Payload (no newline is removed).
    #[arg(long, value_name = "@FILE|-|TEXT", allow_hyphen_values = true)]
    pub payload: Option<String>,
    /// JWE: allowed content encryption algorithm (repeatable; default all). Key management
    /// algorithms for a JWE are given with --alg, next to the nested JWT's signature algorithms.
    #[arg(long = "enc", value_name = "ENC")]
    pub encs: Vec<String>,
    /// JWE: decrypt RSA1_5 tokens (INSECURE, Bleichenbacher); `--alg RSA1_5` has the same effect.
    #[arg(long = "insecure-allow-rsa1_5")]
    pub insecure_allow_rsa1_5: bool,
    /// Print one JSON object instead of human output.
    #[arg(long)]
    pub json: bool,
    /// How to show times.
    #[arg(long, value_enum, default_value_t)]
    pub time: TimeFormat,
    /// SD-JWT: require a Key Binding JWT for this audience (the verifier), RFC 9901 §7.3.
    #[arg(long, value_name = "AUD", requires = "kb_nonce")]
    pub kb_aud: Option<String>,
    /// SD-JWT: the nonce the Key Binding JWT must carry (the one this verifier gave).
    #[arg(long, value_name = "NONCE", requires = "kb_aud")]
    pub kb_nonce: Option<String>,
}

/// `jwtkit sign`.
#[derive(Debug, Args)]
#[command(mut_arg("secret", |a| a.help(secret_help!("HMAC secret to sign with (HS256/384/512)"))))]
pub struct SignArgs {
    /// Signature algorithm.
    #[arg(long, value_name = "ALG")]
    pub alg: String,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// `kid` header (default: the key's JWK kid, if any).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// `typ` header.
    #[arg(long, value_name = "TYP", default_value = "JWT")]
    pub typ: String,
    /// Extra header parameter, `name=value` (value parsed as JSON when it is valid JSON).
    #[arg(long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// Claims as a JSON object: inline JSON, `@FILE`, or `-` for stdin.
    #[arg(long, value_name = "JSON|@FILE|-")]
    pub claims: Option<String>,
    /// One claim, `name=value` (value parsed as JSON when it is valid JSON, else a string).
    #[arg(long = "claim", value_name = "K=V")]
    pub claim: Vec<String>,
    /// `iss` claim.
    #[arg(long)]
    pub iss: Option<String>,
    /// `sub` claim.
    #[arg(long)]
    pub sub: Option<String>,
    /// `aud` claim (repeat for an array).
    #[arg(long)]
    pub aud: Vec<String>,
    /// `exp`: absolute time, or relative to now (`+1h`, `+15m`).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub exp: Option<String>,
    /// `nbf`: absolute or relative time.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub nbf: Option<String>,
    /// Do not add `iat` (added by default).
    #[arg(long)]
    pub no_iat: bool,
    /// Add a `jti`: the given value, or a random 128-bit id when given without a value.
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub jti: Option<String>,
    /// The current time (for iat and relative times).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Print one JSON object with the token, header and claims.
    #[arg(long)]
    pub json: bool,
    /// Detached content (RFC 7515 Appendix F): print `header..signature` and write the signed
    /// payload (the claims JSON, exact bytes) to FILE; verify with `--payload @FILE`.
    #[arg(long, value_name = "FILE", conflicts_with = "sd")]
    pub detached: Option<String>,
    /// Issue an SD-JWT (RFC 9901): make this claim selectively disclosable. A name (`email`) or a
    /// JSON Pointer (`/address/street_address`, `/nationalities/0`); repeat for several, nested
    /// ones included (`/address` and `/address/locality`). Prints `<JWT>~<Disclosure>~…~`.
    #[arg(long, value_name = "CLAIM")]
    pub sd: Vec<String>,
    /// With --sd: decoy digests added to each `_sd` array (RFC 9901 §4.2.5), so the number of
    /// hidden claims does not show.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "sd",
          value_parser = clap::value_parser!(u16).range(0..=100))]
    pub sd_decoys: u16,
    /// With --sd: the digest hash, `sha-256` (default), `sha-384` or `sha-512` (`_sd_alg`).
    #[arg(long, value_name = "HASH", default_value = "sha-256", requires = "sd")]
    pub sd_alg: String,
}

/// Key output formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum KeyFormatArg {
    /// JSON Web Key.
    #[default]
    Jwk,
    /// PEM (PKCS#8 private key, SPKI public key).
    Pem,
}

/// `jwtkit keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Algorithm the key is for: HS256/384/512, RS*/PS* (RSA), ES256/384/512, ES256K
    /// (secp256k1), EdDSA/Ed25519, ML-DSA-44/65/87 (AKP), or a JWE key management algorithm
    /// (RSA-OAEP-256, ECDH-ES, A256KW, A256GCMKW, dir, PBES2-...).
    #[arg(long, value_name = "ALG")]
    pub alg: String,
    /// With `--alg dir`: the content encryption algorithm the key is for (sizes it; default A256GCM).
    #[arg(long, value_name = "ENC")]
    pub enc: Option<String>,
    /// With `--alg ECDH-ES*`: the curve, P-256 (default), P-384, P-521 or X25519.
    #[arg(long, value_name = "CRV")]
    pub crv: Option<String>,
    /// RSA modulus size in bits: 2048, 3072 or 4096.
    #[arg(long, value_name = "BITS")]
    pub bits: Option<usize>,
    /// Key id (default: the RFC 7638 thumbprint; for an HMAC or other symmetric key a random
    /// 128-bit id, since its thumbprint would be a hash of the secret).
    #[arg(long, value_name = "KID", allow_hyphen_values = true)]
    pub kid: Option<String>,
    /// Output format (HMAC secrets are JWK only).
    #[arg(long, value_enum, default_value_t)]
    pub format: KeyFormatArg,
    /// Write the private key here (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// Also write the public key here.
    #[arg(long, value_name = "FILE")]
    pub public_out: Option<String>,
}

/// `jwtkit jwk …`.
#[derive(Debug, Subcommand)]
pub enum JwkCommand {
    /// Print the public part of a key (or of every key of a set) as JWK (or PEM with --format pem).
    Public {
        /// Key file (any format).
        file: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: KeyFormatArg,
    },
    /// Print the RFC 7638 SHA-256 thumbprint of each key. Withheld for HMAC and other secret
    /// keys: their thumbprint is an unsalted SHA-256 of the secret, which lets anyone who sees it
    /// test guesses offline.
    Thumbprint {
        /// Key file (any format).
        file: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print the thumbprint of HMAC secrets too (a hash of the secret: keep it as secret as
        /// the secret itself).
        #[arg(long)]
        insecure_show_secret_hash: bool,
    },
    /// Convert between JWK and PEM.
    Convert {
        /// Key file (any format).
        file: String,
        /// Target format.
        #[arg(long, value_enum)]
        to: KeyFormatArg,
        /// Include private key material (default: public only).
        #[arg(long)]
        private: bool,
        /// Set the kid of the JWK output.
        #[arg(long, allow_hyphen_values = true)]
        kid: Option<String>,
    },
}

/// `jwtkit lint`.
#[derive(Debug, Args)]
#[command(mut_arg("secret", |a| a.help(secret_help!(
    "HMAC secret of an HS* token, checked for its length and against well-known secrets"
))))]
pub struct LintArgs {
    #[command(flatten)]
    pub token: TokenArg,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// The current time for time-based findings.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub now: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}
