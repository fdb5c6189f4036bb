//! # jwtkit-oauth: the OAuth 2.0 / OpenID Connect client behind `jwtkit oauth`
//!
//! Gets real tokens from a real authorization server, locally, with nothing leaving the
//! machine but the requests to that server:
//!
//! - [`discover`] the provider's endpoints: OpenID Connect Discovery 1.0 §4, RFC 8414 §3 as
//!   fallback; the document's `issuer` must equal the issuer asked for exactly.
//! - Grants ([`Client`]): authorization code + PKCE `S256` through a [`LoopbackListener`]
//!   (RFC 6749 §4.1, RFC 7636, RFC 8252 §7.3), device authorization (RFC 8628), client
//!   credentials (§4.4), refresh (§6), JWT bearer assertion (RFC 7523 §2.1), token exchange
//!   (RFC 8693).
//! - Calls with a token: introspection (RFC 7662), revocation (RFC 7009), UserInfo (OIDC Core
//!   §5.3); ID Token validation (OIDC Core §3.1.3.7) with the core's key cache.
//! - Client authentication ([`ClientAuth`]): `client_secret_basic`, `client_secret_post`,
//!   `private_key_jwt` (RFC 7523 §2.2, signed by the core's [`jwtkit::jws::Signer`]), `none`.
//!
//! Every request goes through [`Http`]: `https`, or `http` to a loopback host unless the
//! policy allows more; the [`jwtkit_remote::FetchPolicy`] timeouts and size limit; no
//! redirects. Secrets (client secrets, refresh tokens, device codes, PKCE verifiers, codes)
//! are [`Secret`]s: never in `Debug` output or error messages, wiped on drop. Server errors
//! keep their RFC 6749 §5.2 `error` / `error_description` ([`OAuthError`]).
//!
//! ```no_run
//! use jwtkit_oauth::{Client, ClientAuth, Secret};
//! # async fn run() -> jwtkit_oauth::Result<()> {
//! let policy = jwtkit_remote::FetchPolicy::default();
//! let auth = ClientAuth::SecretBasic(Secret::new("s3cret"));
//! let client = Client::discover(&policy, "https://auth.example.com/", "svc", auth).await?;
//! let tokens = client.client_credentials(Some("api:read"), &[]).await?;
//! println!("{} expires in {:?} s", tokens.token_type, tokens.expires_in);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod client_auth;
pub mod device;
pub mod endpoints;
mod error;
pub mod http;
mod id_token;
pub mod loopback;
pub mod metadata;
pub mod pkce;
mod secret;
pub mod token;

pub use client_auth::{AssertionKey, Audience, ClientAuth};
pub use device::{DeviceAuthorization, PollEvent};
pub use endpoints::{Introspection, UserInfo};
pub use error::{Error, ErrorKind, OAuthError, Result};
pub use http::{Form, Http};
pub use loopback::LoopbackListener;
pub use metadata::{Metadata, discover};
pub use pkce::{AuthorizationRequest, Pkce};
pub use secret::Secret;
pub use token::{Client, TokenExchange, TokenResponse};
