//! Headers an upstream may believe the gateway verified, and every spelling a client could
//! send of them.
//!
//! Upstream frameworks do not all read header names byte for byte: CGI (RFC 3875 §4.1.18),
//! WSGI, PHP and Rack turn `X-User-Id` and `X_User_Id` into the same `HTTP_X_USER_ID`
//! variable, and whichever copy comes last wins. So a client-sent `X_User_Id` next to the
//! gateway's verified `X-User-Id` can pose as the verified identity, and a client-sent
//! `X-User-Id` on a route that writes no claims (an `auth = "none"` route on the same upstream)
//! reaches the upstream unchanged.
//!
//! [`IdentityHeaders`] is built once per configuration generation from *every* route's
//! `claims_to_headers` plus the forwarding headers the gateway writes itself, and
//! [`IdentityHeaders::strip`] removes every spelling of them (ASCII case, `_` for `-`) from
//! every forwarded request, on every route. Header names with an underscore are dropped by
//! default (`server.headers_with_underscores`, as nginx's `underscores_in_headers off` and
//! Envoy's `headers_with_underscores_action`), or the request is refused, or they are kept
//! (the identity spellings still go).

use http::HeaderMap;
use http::header::HeaderName;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// What to do with a request header whose name contains `_` (`server.headers_with_underscores`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnderscoreAction {
    /// Remove the header before forwarding (default; nginx and Envoy do the same).
    #[default]
    Drop,
    /// Answer `400 Bad Request`.
    Reject,
    /// Forward it, unless its name is a spelling of an identity header.
    Keep,
}

/// Forwarding headers the gateway writes on every request. Their exact names are replaced (or
/// appended to, with `trust_forwarded`) by [`crate::forward::prepare`]; every other spelling
/// is removed here.
const FORWARDING: &[&str] = &[
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
];

/// The identity headers of one configuration, in the spelling-folded form of [`fold`].
#[derive(Clone, Debug, Default)]
pub struct IdentityHeaders {
    /// Every `claims_to_headers` header of every route, folded: every spelling is removed.
    claims: Vec<String>,
    /// What to do with other names that contain `_`.
    underscores: UnderscoreAction,
    /// Every identity header in its `-` and its `_` spelling, as header names (what a decision
    /// answer asks the proxy to remove), built once per configuration.
    spellings: Vec<HeaderName>,
}

impl IdentityHeaders {
    /// Collect the headers every route of `config` writes from claims.
    pub fn new(config: &Config) -> IdentityHeaders {
        let mut claims: Vec<String> = Vec::new();
        // The trusted proxy's client-certificate header ([`crate::sender::mtls`]): read and
        // removed by the bind phase, and every other spelling removed here.
        let cert_header = config.server.client_cert_header.as_ref().map(|h| fold(&h.name));
        claims.extend(cert_header);
        for r in &config.routes {
            for header in r.claims_to_headers.values() {
                let f = fold(header);
                if !claims.contains(&f) {
                    claims.push(f);
                }
            }
        }
        let spellings = claims
            .iter()
            .flat_map(|c| [c.clone(), c.replace('-', "_")])
            .filter_map(|n| HeaderName::from_bytes(n.as_bytes()).ok())
            .collect();
        IdentityHeaders {
            claims,
            underscores: config.server.headers_with_underscores,
            spellings,
        }
    }

    /// Every identity header in its `-` and its `_` spelling (lower case).
    pub fn spellings(&self) -> &[HeaderName] {
        &self.spellings
    }

    /// Whether the request must be refused (`headers_with_underscores = "reject"` and a header
    /// name contains `_`).
    pub fn rejects(&self, headers: &HeaderMap) -> bool {
        self.underscores == UnderscoreAction::Reject && headers.keys().any(|n| n.as_str().contains('_'))
    }

    /// Remove every client-sent spelling of an identity header, and (unless kept) every name
    /// with `_`. Runs on every forwarded request, whatever the route's auth.
    pub fn strip(&self, headers: &mut HeaderMap) {
        let doomed: Vec<HeaderName> = headers
            .keys()
            .filter(|n| self.is_doomed(n.as_str()))
            .cloned()
            .collect();
        for n in doomed {
            headers.remove(n);
        }
    }

    /// `name` is lower case, as in every `HeaderMap`.
    fn is_doomed(&self, name: &str) -> bool {
        if !name.contains('_') {
            return self.claims.iter().any(|c| c == name);
        }
        if self.underscores != UnderscoreAction::Keep {
            return true;
        }
        let f = fold(name);
        self.claims.contains(&f) || FORWARDING.contains(&f.as_str())
    }
}

/// The spelling CGI-style frameworks read a header name as, up to their `HTTP_` prefix and
/// upper case: ASCII lower case with `_` for `-` folded to `-`.
pub fn fold(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b == b'_' {
                '-'
            } else {
                char::from(b.to_ascii_lowercase())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(claims: &[&str], underscores: UnderscoreAction) -> IdentityHeaders {
        IdentityHeaders {
            claims: claims.iter().map(|c| fold(c)).collect(),
            underscores,
            spellings: Vec::new(),
        }
    }

    fn headers(names: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for n in names {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                "v".parse().unwrap(),
            );
        }
        h
    }

    /// The names left, sorted (a `HeaderMap` has no order).
    fn kept(h: &HeaderMap) -> Vec<&str> {
        let mut k: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn every_spelling_of_a_claim_header_goes_on_every_route() {
        for action in [
            UnderscoreAction::Drop,
            UnderscoreAction::Keep,
            UnderscoreAction::Reject,
        ] {
            let p = policy(&["X-User-Id"], action);
            let mut h = headers(&[
                "x-user-id",
                "X_User_Id",
                "x_user-id",
                "x-user_id",
                "x-user-idx",
                "accept",
            ]);
            p.strip(&mut h);
            assert_eq!(kept(&h), ["accept", "x-user-idx"], "{action:?}");
        }
    }

    #[test]
    fn underscore_names_dropped_unless_kept() {
        let mut h = headers(&["my_header", "accept", "x_forwarded_for", "X_Forwarded_Proto"]);
        policy(&[], UnderscoreAction::Drop).strip(&mut h);
        assert_eq!(kept(&h), ["accept"]);
        let mut h = headers(&[
            "my_header",
            "accept",
            "x_forwarded_for",
            "forwarded",
            "x-forwarded-host",
        ]);
        policy(&[], UnderscoreAction::Keep).strip(&mut h);
        assert_eq!(
            kept(&h),
            ["accept", "forwarded", "my_header", "x-forwarded-host"],
            "the exact forwarding names are rewritten by prepare; other spellings go"
        );
    }

    #[test]
    fn reject_only_when_asked() {
        let h = headers(&["a_b"]);
        assert!(policy(&[], UnderscoreAction::Reject).rejects(&h));
        assert!(!policy(&[], UnderscoreAction::Drop).rejects(&h));
        assert!(!policy(&[], UnderscoreAction::Reject).rejects(&headers(&["a-b"])));
    }
}
