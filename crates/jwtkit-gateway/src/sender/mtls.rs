//! The client certificate of a request, for certificate-bound access tokens ([RFC 8705] §3):
//! its `x5t#S256` (base64url of the SHA-256 of the certificate's DER) from one of two sources.
//!
//! - The gateway's own TLS listener, when `server.tls.client_ca` asks for client certificates:
//!   rustls verifies the chain to that CA during the handshake, and [`ClientCertificate`] is put
//!   on every request of the connection.
//! - A header written by a trusted front proxy that terminates TLS (`server.client_cert_header`,
//!   [`CertHeader`]): read only when the connection comes from one of `trusted_proxies`, and
//!   removed from every request before it is forwarded, so a client can never pose as having
//!   presented a certificate (the proxy must verify the certificate and overwrite the header).
//!
//! [RFC 8705]: https://www.rfc-editor.org/rfc/rfc8705

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use aws_lc_rs::digest;
use http::HeaderName;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;

/// The verified client certificate of a TLS connection: its `x5t#S256`.
#[derive(Clone, Debug)]
pub struct ClientCertificate(pub Arc<str>);

/// `x5t#S256` of a DER certificate: base64url(SHA-256(DER)) (RFC 8705 §3.1).
pub fn thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, der))
}

/// `[server] client_cert_header = { name, format, trusted_proxies }`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CertHeaderConfig {
    /// The header the front proxy writes, e.g. `X-Client-Cert` (nginx
    /// `proxy_set_header X-Client-Cert $ssl_client_escaped_cert`),
    /// `X-Forwarded-Tls-Client-Cert` (Traefik `passTLSClientCert`) or
    /// `X-Forwarded-Client-Cert` (Envoy).
    pub name: String,
    /// How the certificate is written: `pem` (URL-encoded or plain PEM; nginx, Caddy),
    /// `der_base64` (base64 DER without PEM lines, URL-encoding allowed; Traefik) or `xfcc`
    /// (Envoy's `x-forwarded-client-cert`: its `Hash` or `Cert` field). Default `pem`.
    #[serde(default)]
    pub format: CertFormat,
    /// Addresses (`10.0.0.5`) or networks (`10.0.0.0/8`, `::1/128`) of the proxies allowed to
    /// set the header; from any other peer it is ignored (and still removed). Required.
    pub trusted_proxies: Vec<String>,
}

/// How a front proxy writes the client certificate.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CertFormat {
    /// PEM, URL-encoded or not.
    #[default]
    Pem,
    /// Base64 DER (the PEM body without its lines).
    DerBase64,
    /// Envoy's `x-forwarded-client-cert` element.
    Xfcc,
}

/// A parsed [`CertHeaderConfig`].
#[derive(Clone, Debug)]
pub struct CertHeader {
    /// Header name.
    pub name: HeaderName,
    format: CertFormat,
    proxies: Vec<(IpAddr, u8)>,
}

impl CertHeader {
    /// Parse the header name and the proxy networks.
    ///
    /// # Errors
    /// A bad header name, no trusted proxy, or an address or prefix that does not parse.
    pub fn new(c: &CertHeaderConfig) -> anyhow::Result<CertHeader> {
        let name = HeaderName::from_bytes(c.name.as_bytes()).map_err(|_| {
            anyhow::anyhow!("server.client_cert_header.name {:?} is not a header name", c.name)
        })?;
        if c.trusted_proxies.is_empty() {
            anyhow::bail!(
                "server.client_cert_header.trusted_proxies is empty: name the proxies that verify client certificates and write the header"
            );
        }
        let proxies = c
            .trusted_proxies
            .iter()
            .map(|p| parse_network(p).ok_or_else(|| anyhow::anyhow!("server.client_cert_header.trusted_proxies: {p:?} is not an address or network like 10.0.0.0/8")))
            .collect::<anyhow::Result<_>>()?;
        Ok(CertHeader {
            name,
            format: c.format,
            proxies,
        })
    }

    fn trusts(&self, peer: IpAddr) -> bool {
        self.proxies
            .iter()
            .any(|&(net, bits)| in_network(peer, net, bits))
    }
}

fn parse_network(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
        None => (text.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((addr, bits))
}

fn in_network(peer: IpAddr, net: IpAddr, bits: u8) -> bool {
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let mask = |len: u32| -> u128 {
        if bits == 0 {
            0
        } else {
            (!0u128) << (len - u32::from(bits))
        }
    };
    match (peer, net) {
        (IpAddr::V4(p), IpAddr::V4(n)) => {
            let m = mask(32);
            (u128::from(u32::from(p)) & m) == (u128::from(u32::from(n)) & m)
        }
        (IpAddr::V6(p), IpAddr::V6(n)) => {
            let m = mask(128);
            (u128::from(p) & m) == (u128::from(n) & m)
        }
        _ => false,
    }
}

/// What certificate a request presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// None (or a header from an untrusted peer).
    None,
    /// A certificate, by `x5t#S256`; the second value names where it came from.
    Certificate(String, &'static str),
    /// The trusted header is present but unreadable.
    Unreadable(&'static str),
}

/// The request's client certificate: the TLS listener's, else the trusted proxy's header.
/// The header is removed from the request in every case.
pub fn presented(
    parts: &mut http::request::Parts,
    header: Option<&CertHeader>,
    peer: SocketAddr,
) -> Presented {
    let from_header = header.map(|h| {
        let values: Vec<http::HeaderValue> = parts.headers.get_all(&h.name).iter().cloned().collect();
        parts.headers.remove(&h.name);
        if !h.trusts(peer.ip()) || values.is_empty() {
            return Presented::None;
        }
        let [value] = values.as_slice() else {
            return Presented::Unreadable("client certificate header repeated");
        };
        match value.to_str().ok().and_then(|v| read_header(v, h.format)) {
            Some(t) => Presented::Certificate(t, "header"),
            None => Presented::Unreadable("client certificate header unreadable"),
        }
    });
    if let Some(c) = parts.extensions.get::<ClientCertificate>() {
        return Presented::Certificate(c.0.to_string(), "tls");
    }
    from_header.unwrap_or(Presented::None)
}

/// The `x5t#S256` of the certificate in a header value.
fn read_header(value: &str, format: CertFormat) -> Option<String> {
    match format {
        CertFormat::Pem => pem_thumbprint(&percent_decode(value.trim())?),
        CertFormat::DerBase64 => {
            let body = percent_decode(value.trim())?;
            pem_thumbprint(&format!(
                "-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
            ))
        }
        CertFormat::Xfcc => xfcc(value),
    }
}

fn pem_thumbprint(pem: &str) -> Option<String> {
    let mut certs = CertificateDer::pem_slice_iter(pem.as_bytes());
    let first = certs.next()?.ok()?;
    Some(thumbprint(first.as_ref()))
}

/// Envoy's `x-forwarded-client-cert`: one element (`By=…;Hash=<hex SHA-256 of the DER>;Cert="…"`).
/// `Hash` gives the thumbprint directly; `Cert` (URL-encoded PEM) is read otherwise. Several
/// elements (a chain of proxies) are refused: which one is the client's is a proxy setting.
fn xfcc(value: &str) -> Option<String> {
    if value.contains(',') && !value.contains("Cert=\"") {
        return None;
    }
    let mut hash = None;
    let mut cert = None;
    for field in split_fields(value) {
        let (k, v) = field.split_once('=')?;
        let v = v.trim_matches('"');
        match k.trim().to_ascii_lowercase().as_str() {
            "hash" => hash = Some(v),
            "cert" => cert = Some(v),
            _ => {}
        }
    }
    if let Some(h) = hash {
        let bytes = hex(h)?;
        return (bytes.len() == 32).then(|| URL_SAFE_NO_PAD.encode(&bytes));
    }
    pem_thumbprint(&percent_decode(cert?)?)
}

/// `;`-separated fields, `;` and `,` inside double quotes kept.
fn split_fields(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Decode `%XX` escapes (`+` stays `+`: base64 uses it).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_by_prefix() {
        let (n, b) = parse_network("10.0.0.0/8").unwrap();
        assert!(in_network("10.1.2.3".parse().unwrap(), n, b));
        assert!(!in_network("11.0.0.1".parse().unwrap(), n, b));
        assert!(in_network("::ffff:10.0.0.1".parse().unwrap(), n, b));
        let (n, b) = parse_network("127.0.0.1").unwrap();
        assert!(in_network("127.0.0.1".parse().unwrap(), n, b));
        assert!(!in_network("127.0.0.2".parse().unwrap(), n, b));
        let (n, b) = parse_network("::/0").unwrap();
        assert!(in_network("::1".parse().unwrap(), n, b));
        assert!(parse_network("10.0.0.0/33").is_none() && parse_network("x").is_none());
    }

    #[test]
    fn xfcc_hash_is_the_thumbprint_and_chains_are_refused() {
        let hex64 = "a".repeat(64);
        let t = xfcc(&format!("By=spiffe://a;Hash={hex64};Subject=\"CN=x\"")).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap(), vec![0xaa; 32]);
        assert_eq!(xfcc(&format!("Hash={hex64},Hash={hex64}")), None);
        assert_eq!(xfcc("Hash=zz"), None);
    }

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%zz"), None);
    }
}
