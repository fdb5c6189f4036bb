//! Device authorization grant (RFC 8628): the device authorization request (§3.1, §3.2) and
//! the polling of the token endpoint (§3.4, §3.5) with `interval`, `authorization_pending`,
//! `slow_down` (+5 s), `access_denied` and `expired_token`, bounded by `expires_in`.

use std::time::{Duration, Instant};

use serde_json::Map;
use serde_json::Value;

use crate::error::{ErrorKind, Result, err};
use crate::http::Form;
use crate::secret::Secret;
use crate::token::{Client, TokenResponse, push_extra};

/// RFC 8628 §3.4 grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 §3.2: `interval` when the server sends none, seconds.
pub const DEFAULT_INTERVAL_SECS: u64 = 5;

/// RFC 8628 §3.5: what `slow_down` adds to the interval, seconds.
pub const SLOW_DOWN_SECS: u64 = 5;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Clone, Debug)]
pub struct DeviceAuthorization {
    /// `device_code` (secret: it is what gets the tokens).
    pub device_code: Secret,
    /// `user_code`, for the user to type.
    pub user_code: String,
    /// `verification_uri` (`verification_url` accepted, as some providers send).
    pub verification_uri: String,
    /// `verification_uri_complete`, with the code in it.
    pub verification_uri_complete: Option<String>,
    /// `expires_in`, seconds.
    pub expires_in: u64,
    /// `interval`, seconds (default [`DEFAULT_INTERVAL_SECS`]).
    pub interval: u64,
}

impl DeviceAuthorization {
    fn from_object(obj: &Map<String, Value>) -> Result<DeviceAuthorization> {
        let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = |k: &str| obj.get(k).and_then(Value::as_u64);
        let missing = |k: &str| {
            err!(
                BadResponse,
                "the device authorization response has no \"{k}\" (RFC 8628 §3.2)"
            )
        };
        // Shown to the user and linked from the debugger: only web URLs (never `javascript:`).
        let web = |k: &str, v: Option<String>| match v {
            Some(u) if url::Url::parse(&u).is_ok_and(|p| matches!(p.scheme(), "https" | "http")) => {
                Ok(Some(u))
            }
            Some(_) => Err(err!(
                BadResponse,
                "the device authorization response's \"{k}\" is not an http(s) URL"
            )),
            None => Ok(None),
        };
        let verification_uri = web(
            "verification_uri",
            s("verification_uri").or_else(|| s("verification_url")),
        )?;
        let verification_uri_complete = web("verification_uri_complete", s("verification_uri_complete"))?;
        Ok(DeviceAuthorization {
            device_code: Secret::new(s("device_code").ok_or_else(|| missing("device_code"))?),
            user_code: s("user_code").ok_or_else(|| missing("user_code"))?,
            verification_uri: verification_uri.ok_or_else(|| missing("verification_uri"))?,
            verification_uri_complete,
            expires_in: n("expires_in").ok_or_else(|| missing("expires_in"))?,
            interval: n("interval").unwrap_or(DEFAULT_INTERVAL_SECS).max(1),
        })
    }
}

/// What happened on one poll, for progress output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollEvent {
    /// `authorization_pending`: the user has not finished yet.
    Pending,
    /// `slow_down`: the interval is now this many seconds.
    SlowDown(u64),
}

impl Client {
    /// Start a device authorization (RFC 8628 §3.1).
    ///
    /// # Errors
    /// `invalid_config` when the provider publishes no `device_authorization_endpoint`;
    /// `oauth_error` for an error response; `bad_response` for a response without the
    /// required members.
    pub async fn device_authorization(
        &self,
        scope: Option<&str>,
        extra: &[(String, String)],
    ) -> Result<DeviceAuthorization> {
        let mut form = Form::new();
        form.push_opt("scope", scope);
        push_extra(&mut form, extra);
        let what = "device authorization request";
        let resp = self.post("device_authorization_endpoint", what, form).await?;
        DeviceAuthorization::from_object(&resp.success_object(what, self.http.policy())?)
    }

    /// Poll the token endpoint until the user approves (RFC 8628 §3.4, §3.5): waits
    /// `interval` before each request, adds [`SLOW_DOWN_SECS`] on `slow_down`, keeps waiting on
    /// `authorization_pending`, and stops at `expires_in`. `on_event` is told of each wait.
    ///
    /// # Errors
    /// `oauth_error` for `access_denied`, `expired_token` or any other error code;
    /// `timed_out` when `expires_in` passes; transport errors as [`Client::token`].
    pub async fn poll_device(
        &self,
        d: &DeviceAuthorization,
        mut on_event: impl FnMut(PollEvent),
    ) -> Result<TokenResponse> {
        let deadline = Instant::now() + Duration::from_secs(d.expires_in);
        let mut interval = d.interval;
        loop {
            let wake = Instant::now() + Duration::from_secs(interval);
            if wake > deadline {
                return Err(err!(
                    TimedOut,
                    "the device code expired ({} s) before the user finished at {}",
                    d.expires_in,
                    d.verification_uri
                ));
            }
            tokio::time::sleep_until(wake.into()).await;
            let mut form = Form::new();
            form.push("device_code", d.device_code.clone());
            match self.token(DEVICE_CODE_GRANT, form).await {
                Ok(t) => return Ok(t),
                Err(e) if e.kind() == ErrorKind::OAuth => match e.oauth_error().map(|o| o.error.as_str()) {
                    Some("authorization_pending") => on_event(PollEvent::Pending),
                    Some("slow_down") => {
                        interval += SLOW_DOWN_SECS;
                        on_event(PollEvent::SlowDown(interval));
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }
}
