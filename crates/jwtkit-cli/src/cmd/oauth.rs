//! `jwtkit oauth`: get real tokens from an authorization server (crate `jwtkit-oauth`) and show
//! them decoded; call introspection, userinfo and revocation; exchange tokens.
//!
//! Secrets (client secrets, refresh tokens) are read like the CLI's other secrets (`text`,
//! `@FILE`, `env:VAR`, `-`, or a prompt), never printed, and written to disk only by
//! `--out FILE` (mode 0600).

mod render;

use clap::{Args, Subcommand, ValueEnum};
use jwtkit::{JwsAlg, Limits};
use jwtkit_oauth::{
    AssertionKey, Audience, AuthorizationRequest, Client, ClientAuth, Error, ErrorKind, LoopbackListener,
    PollEvent, Secret, TokenExchange,
};
use jwtkit_remote::FetchPolicy;

use crate::exit::{self, Failure};
use crate::input;
use crate::output::Style;

/// `jwtkit oauth …`.
#[derive(Debug, Args)]
pub struct OauthArgs {
    #[command(subcommand)]
    pub command: OauthCommand,
    /// Print one JSON object instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The flows and calls.
#[derive(Debug, Subcommand)]
pub enum OauthCommand {
    /// Show the provider's endpoints (OpenID Connect Discovery, RFC 8414 fallback).
    Discover(ProviderArgs),
    /// Authorization code + PKCE (S256) in the browser, redirected to a listener on 127.0.0.1.
    Code(CodeArgs),
    /// Device authorization grant (RFC 8628): a code to enter on another device.
    Device(ScopedArgs),
    /// Client credentials grant (RFC 6749 §4.4).
    ClientCredentials(ScopedArgs),
    /// Refresh token grant (RFC 6749 §6).
    Refresh(RefreshArgs),
    /// JWT bearer grant (RFC 7523 §2.1) with an assertion signed by a key you hold.
    JwtBearer(JwtBearerArgs),
    /// Token exchange (RFC 8693).
    Exchange(ExchangeArgs),
    /// Ask the introspection endpoint about a token (RFC 7662); exits 1 when it is not active.
    Introspect(TokenCallArgs),
    /// Call the UserInfo endpoint with an access token (OpenID Connect Core §5.3).
    Userinfo(TokenCallArgs),
    /// Revoke a token (RFC 7009).
    Revoke(TokenCallArgs),
}

/// Which provider, and how requests are made.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The issuer identifier, exactly as the provider writes it (trailing '/' included). Its
    /// endpoints are discovered from it.
    #[arg(long, value_name = "URL", env = "JWTKIT_OAUTH_ISSUER")]
    pub issuer: String,
    /// Allow plain http to hosts other than loopback (tokens and secrets then cross the network
    /// in clear text).
    #[arg(long)]
    pub allow_http: bool,
    /// Bound on each HTTP request (connect, headers and body).
    #[arg(long, value_name = "DURATION", default_value = "15s")]
    pub http_timeout: String,
}

/// The client and how it authenticates.
#[derive(Debug, Args)]
pub struct ClientArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// The client id.
    #[arg(long, value_name = "ID", env = "JWTKIT_OAUTH_CLIENT_ID")]
    pub client_id: String,
    /// The client secret: `text`, `@FILE`, `env:VAR` or `-` (stdin). Prefer env: or @FILE.
    #[arg(long, value_name = "S")]
    pub client_secret: Option<String>,
    /// Ask for the client secret on the terminal (input hidden).
    #[arg(long)]
    pub client_secret_prompt: bool,
    /// Private key for private_key_jwt (RFC 7523 §2.2): PEM, DER, JWK or a JWK Set of one key.
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<String>,
    /// Algorithm of the client assertion (default: the key's JWK alg, else its family's first).
    #[arg(long, value_name = "ALG")]
    pub client_key_alg: Option<String>,
    /// Client authentication (default: basic with a secret, private-key-jwt with a key, else none).
    #[arg(long, value_enum)]
    pub auth: Option<AuthMethod>,
    /// `aud` of signed assertions: the issuer identifier, or the endpoint's URL.
    #[arg(long, value_enum, default_value_t = AudienceArg::Issuer)]
    pub assertion_aud: AudienceArg,
}

/// Client authentication methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthMethod {
    /// client_secret_basic: HTTP Basic (RFC 6749 §2.3.1).
    Basic,
    /// client_secret_post: the secret in the form body.
    Post,
    /// private_key_jwt: a JWT signed with --client-key (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// A public client: only client_id.
    None,
}

/// `aud` of signed assertions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    /// The issuer identifier.
    Issuer,
    /// The URL of the endpoint the assertion is sent to.
    Endpoint,
}

/// What to do with the tokens obtained.
#[derive(Debug, Args)]
pub struct TokenOutput {
    /// Write the whole token response (refresh token included) to FILE, mode 0600.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// Print only the access token (for `$(jwtkit oauth …)`).
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
    /// Do not verify the ID Token (signature with jwks_uri, iss, aud, nonce); it is then only decoded.
    #[arg(long)]
    pub no_verify_id_token: bool,
}

/// `jwtkit oauth code`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: TokenOutput,
    /// Scope to request (space-separated).
    #[arg(long, default_value = "openid")]
    pub scope: String,
    /// Port of the redirect listener on 127.0.0.1 (default: any free port; give one when the
    /// provider needs the exact redirect URI registered).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Print the URL but do not open a browser.
    #[arg(long)]
    pub no_open: bool,
    /// How long to wait for the login to complete.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,
    /// Extra authorization request parameter, `name=value` (prompt, audience, resource, ...).
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
}

/// `jwtkit oauth device` and `jwtkit oauth client-credentials`.
#[derive(Debug, Args)]
pub struct ScopedArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: TokenOutput,
    /// Scope to request (space-separated).
    #[arg(long)]
    pub scope: Option<String>,
    /// Extra request parameter, `name=value` (audience, resource, ...).
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
}

/// `jwtkit oauth refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: TokenOutput,
    /// The refresh token: `text`, `@FILE`, `env:VAR` or `-`; a file written by `--out` works too.
    #[arg(long, value_name = "S")]
    pub refresh_token: String,
    /// Narrower scope to request.
    #[arg(long)]
    pub scope: Option<String>,
}

/// `jwtkit oauth jwt-bearer`.
#[derive(Debug, Args)]
pub struct JwtBearerArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: TokenOutput,
    /// Key that signs the assertion (PEM, DER, JWK or a JWK Set of one key).
    #[arg(long, value_name = "FILE")]
    pub key: String,
    /// Algorithm of the assertion (default: the key's JWK alg, else its family's first).
    #[arg(long, value_name = "ALG")]
    pub alg: Option<String>,
    /// `sub` of the assertion: the user or service the token is for.
    #[arg(long, value_name = "SUB")]
    pub sub: String,
    /// `iss` of the assertion (default: the client id).
    #[arg(long, value_name = "ISS")]
    pub iss: Option<String>,
    /// Scope to request.
    #[arg(long)]
    pub scope: Option<String>,
}

/// `jwtkit oauth exchange`.
#[derive(Debug, Args)]
pub struct ExchangeArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub output: TokenOutput,
    /// The subject token: `text`, `@FILE`, `env:VAR` or `-` (a file written by `--out` works too).
    #[arg(long, value_name = "S")]
    pub subject_token: String,
    /// Its type (default urn:ietf:params:oauth:token-type:access_token).
    #[arg(long, value_name = "URN")]
    pub subject_token_type: Option<String>,
    /// An actor token (delegation).
    #[arg(long, value_name = "S")]
    pub actor_token: Option<String>,
    /// The actor token's type.
    #[arg(long, value_name = "URN")]
    pub actor_token_type: Option<String>,
    /// The type of token wanted.
    #[arg(long, value_name = "URN")]
    pub requested_token_type: Option<String>,
    /// Target audience (repeatable).
    #[arg(long, value_name = "AUD")]
    pub audience: Vec<String>,
    /// Target resource URI (repeatable).
    #[arg(long, value_name = "URI")]
    pub resource: Vec<String>,
    /// Scope to request.
    #[arg(long)]
    pub scope: Option<String>,
}

/// `jwtkit oauth introspect|userinfo|revoke`.
#[derive(Debug, Args)]
pub struct TokenCallArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The token: `text`, `@FILE`, `env:VAR` or `-` (a file written by `--out` works too: its
    /// access token, or its refresh token with `--hint refresh_token`).
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// `token_type_hint`: access_token or refresh_token.
    #[arg(long, value_name = "TYPE")]
    pub hint: Option<String>,
}

impl OauthArgs {
    /// The client of a subcommand (`discover` has none).
    fn client_args(&self) -> Option<&ClientArgs> {
        Some(match &self.command {
            OauthCommand::Discover(_) => return None,
            OauthCommand::Code(a) => &a.client,
            OauthCommand::Device(a) | OauthCommand::ClientCredentials(a) => &a.client,
            OauthCommand::Refresh(a) => &a.client,
            OauthCommand::JwtBearer(a) => &a.client,
            OauthCommand::Exchange(a) => &a.client,
            OauthCommand::Introspect(a) | OauthCommand::Userinfo(a) | OauthCommand::Revoke(a) => &a.client,
        })
    }
}

fn policy(p: &ProviderArgs) -> Result<FetchPolicy, Failure> {
    let t = input::duration("--http-timeout", &p.http_timeout)?;
    Ok(FetchPolicy {
        allow_insecure_http: p.allow_http,
        total_timeout: t,
        read_timeout: t.min(FetchPolicy::default().read_timeout),
        connect_timeout: t.min(FetchPolicy::default().connect_timeout),
        ..FetchPolicy::default()
    })
}

/// A key file holding exactly one usable key, and the algorithm to sign with.
fn assertion_key(path: &str, alg: Option<&str>, aud: AudienceArg) -> Result<AssertionKey, Failure> {
    let bytes = input::read_file(path)?;
    let (set, _) = jwtkit::JwkSet::load(&bytes, &Limits::default()).map_err(Failure::Input)?;
    let alg = alg
        .map(|a| a.parse::<JwsAlg>())
        .transpose()
        .map_err(|e| Failure::Usage(format!("--alg: {}", e.message())))?;
    let mut keys = set
        .into_keys()
        .into_iter()
        .filter(|k| k.is_private() || k.secret_bytes().is_some());
    let key = match (keys.next(), keys.next()) {
        (Some(k), None) => k,
        (None, _) => return Err(key_error(format!("{path}: no private key to sign with"))),
        (Some(_), Some(_)) => {
            return Err(key_error(format!(
                "{path}: several private keys; give a file with one"
            )));
        }
    };
    let mut k = AssertionKey::new(key, alg).map_err(|e| key_error(e.message().to_string()))?;
    k.audience = match aud {
        AudienceArg::Issuer => Audience::Issuer,
        AudienceArg::Endpoint => Audience::Endpoint,
    };
    Ok(k)
}

/// A key that cannot sign the assertion: a key error (exit 3), not a usage error.
fn key_error(message: String) -> Failure {
    Failure::Input(jwtkit::Error::new(jwtkit::ErrorKind::BadKey, message))
}

fn client_auth(a: &ClientArgs) -> Result<ClientAuth, Failure> {
    let secret = match (&a.client_secret, a.client_secret_prompt) {
        (Some(spec), _) => Some(secret_text(
            &secret_input(spec, "--client-secret")?,
            "--client-secret",
        )?),
        (None, true) => Some(secret_text(
            &input::prompt_secret("client secret (input hidden): ")?.0,
            "the prompt",
        )?),
        (None, false) => None,
    };
    let method = a.auth.unwrap_or(match (&secret, &a.client_key) {
        (Some(_), _) => AuthMethod::Basic,
        (None, Some(_)) => AuthMethod::PrivateKeyJwt,
        (None, None) => AuthMethod::None,
    });
    let need_secret = || {
        secret.clone().ok_or_else(|| {
            Failure::Usage("--auth basic/post needs --client-secret or --client-secret-prompt".into())
        })
    };
    Ok(match method {
        AuthMethod::Basic => ClientAuth::SecretBasic(need_secret()?),
        AuthMethod::Post => ClientAuth::SecretPost(need_secret()?),
        AuthMethod::None => ClientAuth::None,
        AuthMethod::PrivateKeyJwt => {
            let path = a
                .client_key
                .as_deref()
                .ok_or_else(|| Failure::Usage("--auth private-key-jwt needs --client-key FILE".into()))?;
            ClientAuth::PrivateKeyJwt(assertion_key(path, a.client_key_alg.as_deref(), a.assertion_aud)?)
        }
    })
}

/// The bytes of a secret given to `flag` (`text`, `@FILE`, `env:VAR`, `-`).
fn secret_input(spec: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    if let Some(var) = spec.strip_prefix("env:")
        && std::env::var_os(var).is_none()
    {
        return Err(Failure::Usage(format!(
            "environment variable {var} is not set (from {flag} env:{var})"
        )));
    }
    Ok(input::secret(spec)?.0)
}

fn secret_text(bytes: &[u8], from: &str) -> Result<Secret, Failure> {
    String::from_utf8(bytes.to_vec())
        .map(Secret::new)
        .map_err(|_| Failure::Usage(format!("the secret from {from} is not UTF-8 text")))
}

/// A token from `text`/`@FILE`/`env:`/`-`; when the text is a saved token response (a JSON
/// object), its `member`.
fn token_input(spec: &str, flag: &str, member: &str) -> Result<Secret, Failure> {
    let text = secret_text(&secret_input(spec, flag)?, flag)?;
    let trimmed = text.expose().trim();
    if trimmed.starts_with('{') {
        let obj = jwtkit::json::parse_object(trimmed.as_bytes(), &Limits::default())
            .map_err(|e| Failure::Usage(format!("{flag}: {}", e.message())))?;
        return obj
            .get(member)
            .and_then(|v| v.as_str())
            .map(Secret::new)
            .ok_or_else(|| Failure::Usage(format!("{flag}: the JSON given has no \"{member}\"")));
    }
    if trimmed.is_empty() {
        return Err(Failure::Usage(format!("{flag}: the token is empty")));
    }
    Ok(Secret::new(trimmed))
}

fn params(list: &[String]) -> Result<Vec<(String, String)>, Failure> {
    list.iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| Failure::Usage(format!("--param {p:?}: expected name=value")))?;
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// The exit code for an OAuth client error.
fn code_for(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::InvalidConfig => exit::KEY_OR_CONFIG,
        ErrorKind::StateMismatch | ErrorKind::InvalidToken | ErrorKind::NonceMismatch => exit::INVALID,
        _ => exit::NETWORK,
    }
}

/// Run a subcommand.
pub fn run(a: &OauthArgs, st: Style) -> Result<u8, Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the runtime: {e}")))?;
    match rt.block_on(dispatch(a, st))? {
        Ok(code) => Ok(code),
        Err(e) => {
            render::error(&e, a.json, st);
            Ok(code_for(&e))
        }
    }
}

async fn dispatch(a: &OauthArgs, st: Style) -> Result<Result<u8, Error>, Failure> {
    let Some(c) = a.client_args() else {
        let OauthCommand::Discover(p) = &a.command else {
            return Ok(Ok(exit::USAGE));
        };
        let http = match jwtkit_oauth::Http::new(&policy(p)?) {
            Ok(h) => h,
            Err(e) => return Ok(Err(e)),
        };
        return Ok(jwtkit_oauth::discover(&http, &p.issuer)
            .await
            .map(|m| render::metadata(&m, a.json, st)));
    };
    let auth = client_auth(c)?;
    let client = match Client::discover(&policy(&c.provider)?, &c.provider.issuer, &c.client_id, auth).await {
        Ok(cl) => cl,
        Err(e) => return Ok(Err(e)),
    };
    let json = a.json;
    Ok(match &a.command {
        OauthCommand::Discover(_) => Ok(exit::OK),
        OauthCommand::Code(x) => code_flow(&client, x, json, st).await?,
        OauthCommand::Device(x) => {
            let p = params(&x.params)?;
            device_flow(&client, x.scope.as_deref(), &p, &x.output, json, st).await?
        }
        OauthCommand::ClientCredentials(x) => {
            let p = params(&x.params)?;
            let r = client.client_credentials(x.scope.as_deref(), &p).await;
            finish(&client, r, None, &x.output, "client_credentials", json, st).await?
        }
        OauthCommand::Refresh(x) => {
            let rt = token_input(&x.refresh_token, "--refresh-token", "refresh_token")?;
            let r = client.refresh(&rt, x.scope.as_deref()).await;
            finish(&client, r, None, &x.output, "refresh_token", json, st).await?
        }
        OauthCommand::JwtBearer(x) => {
            let k = assertion_key(&x.key, x.alg.as_deref(), c.assertion_aud)?;
            let token_endpoint = client.metadata().endpoint("token_endpoint").map(str::to_owned);
            let r = match token_endpoint {
                Err(e) => Err(e),
                Ok(te) => {
                    let mut claims = serde_json::Map::new();
                    claims.insert(
                        "iss".into(),
                        x.iss.clone().unwrap_or_else(|| c.client_id.clone()).into(),
                    );
                    claims.insert("sub".into(), x.sub.clone().into());
                    let aud = match k.audience {
                        Audience::Issuer => client.metadata().issuer.clone(),
                        Audience::Endpoint => te,
                    };
                    claims.insert("aud".into(), aud.into());
                    match k.sign(claims) {
                        Ok(assertion) => client.jwt_bearer(&assertion, x.scope.as_deref()).await,
                        Err(e) => Err(e),
                    }
                }
            };
            finish(&client, r, None, &x.output, "jwt-bearer", json, st).await?
        }
        OauthCommand::Exchange(x) => {
            let ex = TokenExchange {
                subject_token: Some(token_input(&x.subject_token, "--subject-token", "access_token")?),
                subject_token_type: x.subject_token_type.clone(),
                actor_token: x
                    .actor_token
                    .as_deref()
                    .map(|s| token_input(s, "--actor-token", "access_token"))
                    .transpose()?,
                actor_token_type: x.actor_token_type.clone(),
                requested_token_type: x.requested_token_type.clone(),
                audience: x.audience.clone(),
                resource: x.resource.clone(),
                scope: x.scope.clone(),
            };
            let r = client.token_exchange(&ex).await;
            finish(&client, r, None, &x.output, "token-exchange", json, st).await?
        }
        OauthCommand::Introspect(x) => {
            let t = token_input(&x.token, "TOKEN", member_for(x.hint.as_deref()))?;
            client
                .introspect(&t, x.hint.as_deref())
                .await
                .map(|i| render::introspection(&i, json, st))
        }
        OauthCommand::Userinfo(x) => {
            let t = token_input(&x.token, "TOKEN", "access_token")?;
            client.userinfo(&t).await.map(|u| render::userinfo(&u, json, st))
        }
        OauthCommand::Revoke(x) => {
            let t = token_input(&x.token, "TOKEN", member_for(x.hint.as_deref()))?;
            client.revoke(&t, x.hint.as_deref()).await.map(|()| {
                render::revoked(client.metadata(), json, st);
                exit::OK
            })
        }
    })
}

/// Longest the device flow polls, whatever `expires_in` says: 30 minutes (RFC 8628 §3.2's
/// example is 1800 s).
const DEVICE_MAX_WAIT_SECS: u64 = 1800;

fn member_for(hint: Option<&str>) -> &'static str {
    match hint {
        Some("refresh_token") => "refresh_token",
        _ => "access_token",
    }
}

async fn code_flow(
    client: &Client,
    x: &CodeArgs,
    json: bool,
    st: Style,
) -> Result<Result<u8, Error>, Failure> {
    let timeout = input::duration("--timeout", &x.timeout)?;
    let extra = params(&x.params)?;
    let endpoint = match client.metadata().endpoint("authorization_endpoint") {
        Ok(e) => e.to_string(),
        Err(e) => return Ok(Err(e)),
    };
    let methods = &client.metadata().code_challenge_methods_supported;
    if !methods.is_empty() && !methods.iter().any(|m| m == "S256") {
        errln!(
            "warning: the provider lists code_challenge_methods_supported {methods:?} without S256; PKCE S256 is sent anyway"
        );
    }
    let listener = match LoopbackListener::bind(x.port).await {
        Ok(l) => l,
        Err(e) => return Ok(Err(e)),
    };
    let scope = Some(x.scope.as_str()).filter(|s| !s.is_empty());
    let req = match AuthorizationRequest::new(
        &endpoint,
        client.client_id(),
        &listener.redirect_uri(),
        scope,
        &extra,
    ) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    errln!(
        "Open this URL in a browser to log in (waiting up to {}s on {}):",
        timeout.as_secs(),
        listener.redirect_uri()
    );
    errln!("{}", req.url);
    if !x.no_open {
        crate::cmd::ui::open_browser(&req.url);
    }
    let issuer = client.metadata().issuer.clone();
    let r = match listener.wait(&req.state, Some(&issuer), timeout).await {
        Ok(code) => client.exchange_code(&req, &code).await,
        Err(e) => Err(e),
    };
    finish(
        client,
        r,
        req.nonce.as_deref(),
        &x.output,
        "authorization_code",
        json,
        st,
    )
    .await
}

async fn device_flow(
    client: &Client,
    scope: Option<&str>,
    extra: &[(String, String)],
    out: &TokenOutput,
    json: bool,
    st: Style,
) -> Result<Result<u8, Error>, Failure> {
    let mut d = match client.device_authorization(scope, extra).await {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    // A server's expires_in bounds the polling; so does this process (a huge value would poll forever).
    d.expires_in = d.expires_in.min(DEVICE_MAX_WAIT_SECS);
    errln!("On a device with a browser, open {}", d.verification_uri);
    errln!("and enter the code: {}", st.bold(&d.user_code));
    if let Some(u) = &d.verification_uri_complete {
        errln!("(or open {u})");
    }
    errln!(
        "Waiting for approval (code valid {} s, polling every {} s)...",
        d.expires_in,
        d.interval
    );
    let r = client
        .poll_device(&d, |ev| {
            if let PollEvent::SlowDown(i) = ev {
                errln!("the server asked to slow down: polling every {i} s");
            }
        })
        .await;
    finish(client, r, None, out, "device_code", json, st).await
}

/// Save, verify and show a token response.
async fn finish(
    client: &Client,
    r: jwtkit_oauth::Result<jwtkit_oauth::TokenResponse>,
    nonce: Option<&str>,
    out: &TokenOutput,
    grant: &str,
    json: bool,
    st: Style,
) -> Result<Result<u8, Error>, Failure> {
    let t = match r {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(path) = &out.out {
        let text = serde_json::to_string_pretty(&t.to_json(true)).unwrap_or_default();
        crate::cmd::keygen::write_file(path, &format!("{text}\n"), true)?;
    }
    let id = match (&t.id_token, out.no_verify_id_token) {
        (Some(idt), false) => Some(client.verify_id_token(idt, nonce).await),
        _ => None,
    };
    Ok(Ok(render::tokens(client, &t, id.as_ref(), out, grant, json, st)))
}
