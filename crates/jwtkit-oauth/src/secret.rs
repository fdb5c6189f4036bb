//! [`Secret`]: a string that is never shown by `Debug` and is wiped from memory on drop, for
//! client secrets, refresh tokens, device codes, PKCE verifiers and authorization codes.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string. `Debug` prints `Secret(<N bytes>)`; the bytes are zeroed on drop. Read it
/// with [`Secret::expose`] only where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wrap a string.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_does_not_show_the_secret() {
        let s = Secret::new("hunter2-refresh");
        assert_eq!(format!("{s:?}"), "Secret(<15 bytes>)");
        assert_eq!(s.expose(), "hunter2-refresh");
    }
}
