//! "Get a token": the page names an issuer, a client and a flow; this server (never the page)
//! makes the OAuth calls with `jwtkit-oauth` and hands back the tokens for the decode and
//! verify panes.
//!
//! | endpoint | body | answer |
//! |---|---|---|
//! | `POST /api/oauth/start` | `{issuer, client_id, client_secret?, auth?, flow, scope?, resource?}` | `client_credentials`: `{status:"done", result}`; `code`: `{id, status:"pending", authorization_url, redirect_uri}`; `device`: `{id, status:"pending", user_code, verification_uri, verification_uri_complete, expires_in}` |
//! | `POST /api/oauth/status` | `{id}` | `{status:"pending"}`, `{status:"done", result}` or `{status:"error", error}` |
//!
//! `flow` is `code` (authorization code + PKCE S256; the redirect goes to a one-shot listener
//! on 127.0.0.1 run by this server, RFC 8252 §7.3), `device` (RFC 8628, polled by this server)
//! or `client_credentials`. `auth` is `basic` (default with a secret), `post` or `none`.
//! Issuers must be `https` or loopback `http`. `result` is `{grant, issuer, token_type,
//! expires_in, scope, access_token, id_token, id_token_check, refresh_token_received}`: the
//! refresh token never leaves this process, and nothing is written to disk or logged. At most
//! [`MAX_PENDING`] flows wait at once; a finished flow is forgotten once its result is read,
//! any flow after [`FLOW_LIFETIME`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use jwtkit_oauth::{AuthorizationRequest, Client, ClientAuth, LoopbackListener, Secret, TokenResponse};
use jwtkit_remote::FetchPolicy;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, ok};

/// Most flows waiting for a browser or a device at once.
pub const MAX_PENDING: usize = 8;
/// How long a flow (and its result) is kept: the login timeout too.
pub const FLOW_LIFETIME: Duration = Duration::from_secs(600);

#[derive(Debug)]
enum Flow {
    Pending,
    Done(Value),
    Failed(Value),
}

#[derive(Debug, Default)]
pub(crate) struct Flows {
    map: Mutex<HashMap<String, (Instant, Flow)>>,
}

impl Flows {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Flow)>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new pending flow's id, or None when [`MAX_PENDING`] are waiting.
    fn open(&self) -> Option<String> {
        let mut m = self.lock();
        m.retain(|_, (t, _)| t.elapsed() < FLOW_LIFETIME);
        if m.values().filter(|(_, f)| matches!(f, Flow::Pending)).count() >= MAX_PENDING {
            return None;
        }
        let id = jwtkit_oauth::pkce::random_token(16);
        m.insert(id.clone(), (Instant::now(), Flow::Pending));
        Some(id)
    }

    fn finish(&self, id: &str, r: Result<Value, jwtkit_oauth::Error>) {
        if let Some((_, f)) = self.lock().get_mut(id) {
            *f = match r {
                Ok(v) => Flow::Done(v),
                Err(e) => Flow::Failed(e.to_json()),
            };
        }
    }
}

/// Routes under `/api/oauth`.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/oauth/start", post(start))
        .route("/oauth/status", post(status))
        .with_state(Arc::new(Flows::default()))
}

#[derive(Debug, Deserialize)]
struct StartRequest {
    issuer: String,
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    auth: Option<String>,
    flow: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    resource: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatusRequest {
    id: String,
}

fn failed(kind: &str, message: &str) -> Response {
    ok(json!({"status": "error", "error": {"kind": kind, "message": message}}))
}

fn error(e: &jwtkit_oauth::Error) -> Response {
    ok(json!({"status": "error", "error": e.to_json()}))
}

fn client_auth(r: &StartRequest) -> Result<ClientAuth, &'static str> {
    let secret = r
        .client_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(Secret::new);
    match (r.auth.as_deref().unwrap_or(""), secret) {
        ("basic" | "", Some(s)) => Ok(ClientAuth::SecretBasic(s)),
        ("post", Some(s)) => Ok(ClientAuth::SecretPost(s)),
        ("none" | "", None) => Ok(ClientAuth::None),
        ("none", Some(_)) => Err("auth none sends no client secret: clear the secret or pick basic/post"),
        ("basic" | "post", None) => Err("client_secret_basic/post needs the client secret"),
        _ => Err("unknown client authentication (basic, post, none)"),
    }
}

/// What the page gets from a token response (no refresh token).
async fn result(client: &Client, t: TokenResponse, grant: &str, nonce: Option<&str>) -> Value {
    let id_check = match &t.id_token {
        Some(idt) => match client.verify_id_token(idt, nonce).await {
            Ok(v) => json!({"verified": true, "alg": v.alg.as_str()}),
            Err(e) => json!({"verified": false, "error": e.to_json()}),
        },
        None => Value::Null,
    };
    json!({
        "grant": grant,
        "issuer": client.metadata().issuer,
        "client_id": client.client_id(),
        "token_type": t.token_type,
        "expires_in": t.expires_in,
        "scope": t.scope,
        "access_token": t.access_token.expose(),
        "id_token": t.id_token,
        "id_token_check": id_check,
        "refresh_token_received": t.refresh_token.is_some(),
    })
}

async fn start(State(flows): State<Arc<Flows>>, Body(r): Body<StartRequest>) -> Response {
    let auth = match client_auth(&r) {
        Ok(a) => a,
        Err(msg) => return failed("usage", msg),
    };
    if r.client_id.trim().is_empty() {
        return failed("usage", "the client id is empty");
    }
    if !matches!(r.flow.as_str(), "code" | "device" | "client_credentials") {
        return failed("usage", "unknown flow (code, device, client_credentials)");
    }
    let client =
        match Client::discover(&FetchPolicy::default(), r.issuer.trim(), r.client_id.trim(), auth).await {
            Ok(c) => c,
            Err(e) => return error(&e),
        };
    let scope = r.scope.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let extra: Vec<(String, String)> = r
        .resource
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|res| vec![("resource".to_string(), res.to_string())])
        .unwrap_or_default();
    match r.flow.as_str() {
        "client_credentials" => match client.client_credentials(scope, &extra).await {
            Ok(t) => {
                ok(json!({"status": "done", "result": result(&client, t, "client_credentials", None).await}))
            }
            Err(e) => error(&e),
        },
        "code" => start_code(&flows, client, scope, &extra).await,
        _ => start_device(&flows, client, scope, &extra).await,
    }
}

async fn start_code(
    flows: &Arc<Flows>,
    client: Client,
    scope: Option<&str>,
    extra: &[(String, String)],
) -> Response {
    let endpoint = match client.metadata().endpoint("authorization_endpoint") {
        Ok(e) => e.to_string(),
        Err(e) => return error(&e),
    };
    let listener = match LoopbackListener::bind(0).await {
        Ok(l) => l,
        Err(e) => return error(&e),
    };
    let req = match AuthorizationRequest::new(
        &endpoint,
        client.client_id(),
        &listener.redirect_uri(),
        scope,
        extra,
    ) {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let answer = json!({"authorization_url": req.url, "redirect_uri": req.redirect_uri});
    pending(flows, answer, async move {
        let issuer = client.metadata().issuer.clone();
        let code = listener.wait(&req.state, Some(&issuer), FLOW_LIFETIME).await?;
        let t = client.exchange_code(&req, &code).await?;
        Ok(result(&client, t, "authorization_code", req.nonce.as_deref()).await)
    })
}

async fn start_device(
    flows: &Arc<Flows>,
    client: Client,
    scope: Option<&str>,
    extra: &[(String, String)],
) -> Response {
    let mut d = match client.device_authorization(scope, extra).await {
        Ok(d) => d,
        Err(e) => return error(&e),
    };
    d.expires_in = d.expires_in.min(FLOW_LIFETIME.as_secs());
    let answer = json!({
        "user_code": d.user_code, "verification_uri": d.verification_uri,
        "verification_uri_complete": d.verification_uri_complete, "expires_in": d.expires_in,
    });
    pending(flows, answer, async move {
        let t = client.poll_device(&d, |_| {}).await?;
        Ok(result(&client, t, "device_code", None).await)
    })
}

/// Register a pending flow, run `work` in the background (its result is kept for
/// `/api/oauth/status`), and answer `answer` plus `id` and `status: "pending"`.
fn pending(
    flows: &Arc<Flows>,
    mut answer: Value,
    work: impl std::future::Future<Output = jwtkit_oauth::Result<Value>> + Send + 'static,
) -> Response {
    let Some(id) = flows.open() else {
        return failed(
            "resource_limit",
            "too many logins are waiting: finish or let one expire",
        );
    };
    if let Value::Object(m) = &mut answer {
        m.insert("id".into(), id.clone().into());
        m.insert("status".into(), "pending".into());
    }
    let flows = flows.clone();
    tokio::spawn(async move { flows.finish(&id, work.await) });
    ok(answer)
}

async fn status(State(flows): State<Arc<Flows>>, Body(r): Body<StatusRequest>) -> Response {
    let mut m = flows.lock();
    let done = match m.get(&r.id) {
        None => {
            return failed(
                "not_found",
                "no such login (finished and read, expired, or never started)",
            );
        }
        Some((_, Flow::Pending)) => return ok(json!({"status": "pending"})),
        Some(_) => m.remove(&r.id),
    };
    match done {
        Some((_, Flow::Done(v))) => ok(json!({"status": "done", "result": v})),
        Some((_, Flow::Failed(e))) => ok(json!({"status": "error", "error": e})),
        _ => ok(json!({"status": "pending"})),
    }
}
