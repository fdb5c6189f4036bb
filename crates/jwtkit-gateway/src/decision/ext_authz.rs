//! Envoy `ext_authz` over gRPC: `envoy.service.auth.v3.Authorization/Check`
//! (`decision.grpc_listen`), with the message types generated from Envoy's published protos
//! ([`pb`], `proto/` in this crate, `scripts/regen-ext-authz.sh`).
//!
//! The original request is `attributes.request.http`: `method`, `path` (with the query),
//! `host`, `scheme`, and `headers` (or `header_map` when Envoy sends raw headers); the client
//! address is `attributes.source.address`. The answer:
//!
//! - allow: `status.code = 0` (OK) and `ok_response` with the claim headers
//!   (`OVERWRITE_IF_EXISTS_OR_ADD`, so a client's copy is replaced) and `headers_to_remove`
//!   (the route's claim headers not set, token headers of a `strip_authorization` route);
//! - deny: `status.code = 16` (UNAUTHENTICATED) for a `401`, `7` (PERMISSION_DENIED)
//!   otherwise, and `denied_response` with the proxy mode's HTTP status, `WWW-Authenticate`
//!   (with `resource_metadata`), `Retry-After`, `Content-Type` and JSON body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Request};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Answer, DecisionCache, Question};
use crate::Shared;

/// The generated Envoy ext_authz v3 types, gRPC server and client (regenerate with
/// `scripts/regen-ext-authz.sh`; do not edit).
#[allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all, unreachable_pub)]
pub mod pb {
    include!("ext_authz_pb.rs");
}

use pb::envoy::config::core::v3 as core;
use pb::envoy::service::auth::v3 as auth;
use pb::envoy::r#type::v3 as types;

/// gRPC status codes used (google.rpc.Code).
const OK: i32 = 0;
const PERMISSION_DENIED: i32 = 7;
const UNAUTHENTICATED: i32 = 16;
const INVALID_ARGUMENT: i32 = 3;

/// The Authorization service.
pub struct Service {
    shared: Arc<Shared>,
    cache: Arc<DecisionCache>,
}

/// The original request of a `CheckRequest`.
///
/// # Errors
/// A description when `attributes.request.http` is missing or its method or path does not
/// parse.
pub fn question(req: &auth::CheckRequest, peer: SocketAddr) -> Result<Question, &'static str> {
    let attrs = req.attributes.as_ref().ok_or("CheckRequest without attributes")?;
    let http = attrs
        .request
        .as_ref()
        .and_then(|r| r.http.as_ref())
        .ok_or("CheckRequest without attributes.request.http")?;
    let method = http::Method::from_bytes(http.method.as_bytes()).map_err(|_| "method does not parse")?;
    if !http.path.starts_with('/') {
        return Err("path must be origin-form");
    }
    let uri: http::Uri = http.path.parse().map_err(|_| "path does not parse")?;
    let mut headers = HeaderMap::new();
    let mut add = |k: &str, v: &[u8]| {
        // Pseudo-headers (`:path`, `:authority`, …) are carried in the fields above.
        if k.starts_with(':') {
            return;
        }
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_bytes(v)) {
            headers.append(n, v);
        }
    };
    match &http.header_map {
        Some(map) if !map.headers.is_empty() => {
            for h in &map.headers {
                let v = if h.raw_value.is_empty() {
                    h.value.as_bytes()
                } else {
                    &h.raw_value
                };
                add(&h.key, v);
            }
        }
        _ => {
            for (k, v) in &http.headers {
                add(k, v.as_bytes());
            }
        }
    }
    headers.remove(http::header::HOST);
    if let Ok(h) = HeaderValue::from_str(&http.host) {
        headers.insert(http::header::HOST, h);
    }
    let client = attrs
        .source
        .as_ref()
        .and_then(|p| p.address.as_ref())
        .and_then(|a| match &a.address {
            Some(core::address::Address::SocketAddress(s)) => s.address.parse::<std::net::IpAddr>().ok(),
            _ => None,
        })
        .map_or(peer, |ip| SocketAddr::new(ip, 0));
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri;
    parts.headers = headers;
    Ok(Question {
        parts,
        scheme: if http.scheme == "https" { "https" } else { "http" }.to_string(),
        client,
    })
}

fn header_option(name: &str, value: &str) -> core::HeaderValueOption {
    core::HeaderValueOption {
        header: Some(core::HeaderValue {
            key: name.to_string(),
            value: value.to_string(),
            raw_value: Vec::new(),
        }),
        append_action: core::header_value_option::HeaderAppendAction::OverwriteIfExistsOrAdd as i32,
        ..Default::default()
    }
}

/// The `CheckResponse` of an answer.
pub fn check_response(answer: Answer, realm: &str) -> auth::CheckResponse {
    use auth::check_response::HttpResponse;
    match answer {
        Answer::Allow { headers, remove } => auth::CheckResponse {
            status: Some(pb::google::rpc::Status {
                code: OK,
                ..Default::default()
            }),
            http_response: Some(HttpResponse::OkResponse(auth::OkHttpResponse {
                headers: headers
                    .iter()
                    .filter_map(|(n, v)| v.to_str().ok().map(|v| header_option(n.as_str(), v)))
                    .collect(),
                headers_to_remove: remove.iter().map(|n| n.as_str().to_string()).collect(),
                ..Default::default()
            })),
            ..Default::default()
        },
        Answer::Deny {
            rejection,
            resource_metadata,
        } => {
            let p = crate::response::parts_for(&rejection, realm, resource_metadata.as_deref());
            let mut hs = vec![
                header_option("content-type", "application/json"),
                header_option("cache-control", "no-store"),
            ];
            if let Some(w) = &p.www_authenticate {
                hs.push(header_option("www-authenticate", w));
            }
            if let Some(s) = p.retry_after {
                hs.push(header_option("retry-after", &s.to_string()));
            }
            let body = serde_json::json!({"error": p.error, "error_description": p.description});
            let code = if p.status == http::StatusCode::UNAUTHORIZED {
                UNAUTHENTICATED
            } else {
                PERMISSION_DENIED
            };
            auth::CheckResponse {
                status: Some(pb::google::rpc::Status {
                    code,
                    message: p.error.to_string(),
                    ..Default::default()
                }),
                http_response: Some(HttpResponse::DeniedResponse(auth::DeniedHttpResponse {
                    status: Some(types::HttpStatus {
                        code: i32::from(p.status.as_u16()),
                    }),
                    headers: hs,
                    body: body.to_string(),
                })),
                ..Default::default()
            }
        }
    }
}

#[tonic::async_trait]
impl auth::authorization_server::Authorization for Service {
    async fn check(
        &self,
        request: tonic::Request<auth::CheckRequest>,
    ) -> Result<tonic::Response<auth::CheckResponse>, tonic::Status> {
        let peer = request
            .remote_addr()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let q = match question(request.get_ref(), peer) {
            Ok(q) => q,
            Err(why) => {
                return Ok(tonic::Response::new(auth::CheckResponse {
                    status: Some(pb::google::rpc::Status {
                        code: INVALID_ARGUMENT,
                        message: why.to_string(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
        };
        let realm = self.shared.state.load().config.server.realm.clone();
        let answer = super::decide(&self.shared, &self.cache, q).await;
        Ok(tonic::Response::new(check_response(answer, &realm)))
    }
}

/// Serve `Authorization/Check` until `stop`.
pub async fn serve(
    shared: Arc<Shared>,
    cache: Arc<DecisionCache>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let service = auth::authorization_server::AuthorizationServer::new(Service { shared, cache })
        .max_decoding_message_size(1 << 20);
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let result = tonic::transport::Server::builder()
        .timeout(Duration::from_secs(30))
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "ext_authz gRPC listener stopped");
    }
}
