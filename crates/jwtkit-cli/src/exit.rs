//! Exit codes, decided in one place from the error kind.

use std::process::ExitCode;

use jwtkit::{ErrorKind, Fault};

/// 0: valid / ok.
pub const OK: u8 = 0;
/// 1: the token is invalid (verification or validation failed, or lint found a high finding).
pub const INVALID: u8 = 1;
/// 2: usage error (bad flags or arguments).
pub const USAGE: u8 = 2;
/// 3: key or configuration error.
pub const KEY_OR_CONFIG: u8 = 3;
/// 4: network error (fetching keys).
pub const NETWORK: u8 = 4;

/// A failure of a command, with the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Wrong usage; message for the user.
    Usage(String),
    /// A JOSE error; its kind decides the code.
    Jose(jwtkit::Error),
    /// Reading or writing a file or stream failed.
    Io(String),
    /// A JOSE error caused by the keys or parameters given to a command that makes a token
    /// (`sign` with a public key, `encrypt` to a key of the wrong type): its kind is kept, but
    /// no token was given, so it is a key or configuration error (exit 3), not an invalid token.
    Input(jwtkit::Error),
}

impl Failure {
    /// The exit code of this failure.
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => USAGE,
            Failure::Io(_) | Failure::Input(_) => KEY_OR_CONFIG,
            Failure::Jose(e) => code_for(e.kind()),
        }
    }

    /// The failure as an error object for `--json` output.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Jose(e) => e.to_json(),
            Failure::Input(e) => {
                let mut v = e.to_json();
                v["fault"] = "caller".into();
                v
            }
            Failure::Usage(m) => serde_json::json!({"kind": "usage", "message": m, "fault": "caller"}),
            Failure::Io(m) => serde_json::json!({"kind": "io", "message": m, "fault": "caller"}),
        }
    }

    /// One line for stderr.
    pub fn message(&self) -> String {
        match self {
            Failure::Jose(e) | Failure::Input(e) => e.to_string(),
            Failure::Usage(m) => format!("usage: {m}"),
            Failure::Io(m) => m.clone(),
        }
    }

    /// For commands that make tokens: a token-kind error came from the inputs ([`Failure::Input`]).
    pub fn caused_by_inputs(self) -> Failure {
        match self {
            Failure::Jose(e) if e.fault() == Fault::Token => Failure::Input(e),
            f => f,
        }
    }
}

/// The exit code for an error kind.
pub fn code_for(kind: ErrorKind) -> u8 {
    match kind.fault() {
        Fault::Token => INVALID,
        Fault::Key | Fault::Caller => KEY_OR_CONFIG,
        Fault::Remote => NETWORK,
    }
}

impl From<jwtkit::Error> for Failure {
    fn from(e: jwtkit::Error) -> Failure {
        Failure::Jose(e)
    }
}

/// Convert a code into an `ExitCode`.
pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
