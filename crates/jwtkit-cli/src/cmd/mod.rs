//! One module per subcommand.

pub mod completions;
pub mod decode;
pub mod decrypt;
pub mod dpop;
pub mod encrypt;
pub mod gateway;
pub mod issuer;
pub mod jwk;
pub mod jwks;
pub mod keygen;
pub mod lint;
pub mod man;
pub mod oauth;
pub mod remote;
pub mod sd;
pub mod sd_verify;
pub mod sign;
pub mod token_kind;
pub mod ui;
pub mod verify;
pub mod verify_jwe;
