//! What kind of token `jwtkit verify` expects: an RFC 9068 access token (`--profile at+jwt`),
//! a DPoP proof for one request (`--htm`, `--htu`, `--ath`/`--access-token`, `--dpop-nonce`), and
//! what kind a token is ([`jwtkit::jwt::Classification`]) with the confusion warning when it is another.

use clap::{Args, ValueEnum};
use jwtkit::dangerous::Unverified;
use jwtkit::dpop::DpopProofCheck;
use jwtkit::jwt::{Classification, TokenKind};
use serde_json::Value;

use crate::exit::Failure;
use crate::input;

/// A token profile: what the token must be, beyond its signature and claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// An OAuth 2.0 access token in the JWT profile of RFC 9068: header `typ` `at+jwt` (or
    /// `application/at+jwt`); an ID token is refused with a reason that says so.
    #[value(name = "at+jwt")]
    AtJwt,
}

impl Profile {
    /// The `typ` the profile requires.
    pub fn typ(self) -> &'static str {
        match self {
            Profile::AtJwt => "at+jwt",
        }
    }
}

/// The flags of `jwtkit verify` that say what kind of token is expected.
#[derive(Debug, Args)]
pub struct KindArgs {
    /// Token profile: `at+jwt` = an RFC 9068 access token (`typ` at+jwt required, the same as
    /// `--typ at+jwt`); an ID token or another kind is refused with a reason that says which.
    #[arg(long, value_enum, value_name = "PROFILE", conflicts_with = "typ")]
    pub profile: Option<Profile>,
    /// DPoP proof (RFC 9449): the request's HTTP method the proof must name (`htm`). With
    /// `--htu`, `verify` checks the token as a DPoP proof, with the key in its own `jwk` header.
    #[arg(long, value_name = "METHOD", requires = "htu")]
    pub htm: Option<String>,
    /// DPoP proof: the request's absolute URL (`htu`; query and fragment are ignored).
    #[arg(long, value_name = "URL", requires = "htm")]
    pub htu: Option<String>,
    /// DPoP proof: the expected `ath` (base64url SHA-256 of the access token sent with it).
    #[arg(long, value_name = "ATH", requires = "htu", conflicts_with = "access_token")]
    pub ath: Option<String>,
    /// DPoP proof: the access token sent with it (text, `@FILE` or `-`); its hash must be the
    /// proof's `ath`.
    #[arg(long, value_name = "TOKEN|@FILE|-", requires = "htu")]
    pub access_token: Option<String>,
    /// DPoP proof: the nonce this server gave (`DPoP-Nonce`); the proof must carry it.
    #[arg(long, value_name = "NONCE", requires = "htu")]
    pub dpop_nonce: Option<String>,
    /// DPoP proof: how old its `iat` may be.
    #[arg(long, value_name = "DURATION", default_value = "5m", requires = "htu")]
    pub dpop_max_age: String,
}

impl KindArgs {
    /// The `typ` to require: `--typ`, else the profile's.
    pub fn typ<'a>(&'a self, typ: Option<&'a str>) -> Option<&'a str> {
        typ.or(self.profile.map(Profile::typ))
    }

    /// The DPoP request to check the token against: `--htm`/`--htu` given, or a token whose
    /// `typ` is `dpop+jwt` (then they are required).
    ///
    /// # Errors
    /// A usage error for a DPoP proof without `--htm`/`--htu`, or a bad `--dpop-max-age`.
    pub fn dpop_check(&self, unverified: &Unverified) -> Result<Option<DpopProofCheck>, Failure> {
        let (Some(htm), Some(htu)) = (&self.htm, &self.htu) else {
            let typ = unverified
                .header
                .as_ref()
                .and_then(|h| h.get("typ"))
                .and_then(Value::as_str);
            if typ.and_then(TokenKind::from_typ) == Some(TokenKind::DpopProof) {
                return Err(Failure::Usage(
                    "this token is a DPoP proof (typ dpop+jwt): it is checked against a request; give --htm METHOD \
                     and --htu URL (and --access-token or --ath for the access token sent with it)"
                        .into(),
                ));
            }
            return Ok(None);
        };
        let mut check =
            DpopProofCheck::new(htm, htu).max_age(input::duration("--dpop-max-age", &self.dpop_max_age)?);
        if let Some(ath) = &self.ath {
            check = check.ath(ath);
        }
        if let Some(spec) = &self.access_token {
            check = check.access_token(&input::text_arg(spec, "the access token")?);
        }
        if let Some(n) = &self.dpop_nonce {
            check = check.nonce(n);
        }
        Ok(Some(check))
    }
}

/// What the token is, and why it must not be used where `expected_typ` says what is expected.
pub struct Kind {
    /// What it is.
    pub found: Classification,
    /// The `typ` `--typ`/`--profile` expects.
    expected_typ: Option<String>,
    /// The confusion warning, when that `typ` names another kind.
    pub confusion: Option<String>,
}

impl Kind {
    /// `found` (from the verified header and claims when the signature verified, else the
    /// unverified token's) against the expected `typ`.
    pub fn of(found: Option<Classification>, expected_typ: Option<&str>) -> Option<Kind> {
        let found = found?;
        let confusion = expected_typ.and_then(|t| found.confusion_with(t));
        Some(Kind {
            found,
            expected_typ: expected_typ.map(str::to_owned),
            confusion,
        })
    }

    /// `{"kind", "name", "declared", "reason", "confusion"}` for `--json`.
    pub fn to_json(&self) -> Value {
        self.found.to_json_against(self.expected_typ.as_deref())
    }
}
