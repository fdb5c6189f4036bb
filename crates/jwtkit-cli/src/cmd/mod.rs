//! One module per subcommand.

pub mod decode;
pub mod decrypt;
pub mod encrypt;
pub mod gateway;
pub mod jwk;
pub mod jwks;
pub mod keygen;
pub mod lint;
pub mod remote;
pub mod sign;
pub mod ui;
pub mod verify;
pub mod verify_jwe;
