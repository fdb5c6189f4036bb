//! One module per subcommand.

pub mod decode;
pub mod jwk;
pub mod keygen;
pub mod lint;
pub mod sign;
pub mod ui;
pub mod verify;
