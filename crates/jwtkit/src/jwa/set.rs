//! One allowlist type for every JOSE algorithm registry: [`AlgorithmSet`] over JWS `alg`
//! ([`crate::AlgorithmSet<JwsAlg>`]), JWE key management `alg` ([`crate::AlgorithmSet<KeyMgmtAlg>`]) and JWE `enc`
//! ([`crate::AlgorithmSet<EncAlg>`]).
//!
//! A set is a 64-bit mask indexed by the algorithm's position in its registry's `ALL` list,
//! so it is `Copy`, membership is one AND, and registries can grow (RFC 9964, RFC 8812 and
//! RFC 9864 added JWS values) without changing the type.

use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;

mod sealed {
    pub trait Sealed {}
}

/// A registered JOSE algorithm identifier that can be a member of an [`AlgorithmSet`].
///
/// Implemented by [`crate::JwsAlg`], [`crate::KeyMgmtAlg`] and [`crate::EncAlg`]; sealed.
pub trait Algorithm: sealed::Sealed + Copy + Eq + Hash + fmt::Display + 'static {
    /// Every value, in registry (RFC) order; at most 64.
    const ALL: &'static [Self];
    /// The set's name in `Debug` output (`"AlgorithmSet<JwsAlg>"`).
    const SET_NAME: &'static str;
    /// Position in [`Algorithm::ALL`].
    fn index(self) -> u32;
    /// Whether [`AlgorithmSet::all`] includes this algorithm (false for `RSA1_5`, which must
    /// be listed explicitly).
    fn in_all(self) -> bool {
        true
    }
}

macro_rules! algorithm {
    ($ty:ty, $name:literal) => {
        impl sealed::Sealed for $ty {}
        impl Algorithm for $ty {
            const ALL: &'static [Self] = &<$ty>::ALL;
            const SET_NAME: &'static str = $name;
            fn index(self) -> u32 {
                self as u32
            }
            fn in_all(self) -> bool {
                <$ty>::in_default_set(self)
            }
        }
    };
}

algorithm!(crate::JwsAlg, "AlgorithmSet<JwsAlg>");
algorithm!(crate::KeyMgmtAlg, "AlgorithmSet<KeyMgmtAlg>");
algorithm!(crate::EncAlg, "AlgorithmSet<EncAlg>");

/// A set of algorithms of one registry: an allowlist. Always comes from the caller or the key,
/// never from the token. `Copy`; membership is a constant-time bit test.
pub struct AlgorithmSet<A: Algorithm> {
    bits: u64,
    _alg: PhantomData<fn() -> A>,
}

impl<A: Algorithm> AlgorithmSet<A> {
    const fn from_bits(bits: u64) -> Self {
        AlgorithmSet {
            bits,
            _alg: PhantomData,
        }
    }

    fn bit(alg: A) -> u64 {
        1u64.checked_shl(alg.index()).unwrap_or(0)
    }

    /// No algorithm.
    pub const fn empty() -> Self {
        Self::from_bits(0)
    }

    /// Every supported algorithm of the registry (for JWE key management: all but `RSA1_5`).
    pub fn all() -> Self {
        A::ALL.iter().copied().filter(|a| a.in_all()).collect()
    }

    /// This set plus `alg`.
    #[must_use]
    pub fn with(self, alg: A) -> Self {
        Self::from_bits(self.bits | Self::bit(alg))
    }

    /// Whether `alg` is in the set.
    pub fn contains(self, alg: A) -> bool {
        self.bits & Self::bit(alg) != 0
    }

    /// The algorithms in both sets.
    #[must_use]
    pub const fn intersect(self, other: Self) -> Self {
        Self::from_bits(self.bits & other.bits)
    }

    /// True when no algorithm is in the set.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// Number of algorithms in the set.
    pub const fn len(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// The algorithms, in registry (RFC) order.
    pub fn iter(self) -> impl Iterator<Item = A> {
        A::ALL.iter().copied().filter(move |a| self.contains(*a))
    }
}

impl<A: Algorithm> Clone for AlgorithmSet<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: Algorithm> Copy for AlgorithmSet<A> {}

impl<A: Algorithm> Default for AlgorithmSet<A> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<A: Algorithm> PartialEq for AlgorithmSet<A> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}

impl<A: Algorithm> Eq for AlgorithmSet<A> {}

impl<A: Algorithm> Hash for AlgorithmSet<A> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<A: Algorithm> FromIterator<A> for AlgorithmSet<A> {
    fn from_iter<I: IntoIterator<Item = A>>(iter: I) -> Self {
        iter.into_iter().fold(Self::empty(), Self::with)
    }
}

impl<A: Algorithm, const N: usize> From<[A; N]> for AlgorithmSet<A> {
    fn from(a: [A; N]) -> Self {
        a.into_iter().collect()
    }
}

impl<A: Algorithm> From<A> for AlgorithmSet<A> {
    fn from(a: A) -> Self {
        Self::empty().with(a)
    }
}

impl<A: Algorithm> fmt::Display for AlgorithmSet<A> {
    /// Names joined by `", "` in registry order; `(none)` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for a in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{a}")?;
        }
        if first {
            f.write_str("(none)")?;
        }
        Ok(())
    }
}

impl<A: Algorithm> fmt::Debug for AlgorithmSet<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{self}]", A::SET_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EncAlg, JwsAlg, KeyMgmtAlg};

    fn indexes_are_positions<A: Algorithm>() {
        assert!(A::ALL.len() <= 64, "{} has more than 64 members", A::SET_NAME);
        for (i, a) in A::ALL.iter().enumerate() {
            assert_eq!(a.index() as usize, i, "{a} is not at its index in ALL");
        }
    }

    #[test]
    fn every_registry_fits_and_indexes_by_position() {
        indexes_are_positions::<JwsAlg>();
        indexes_are_positions::<KeyMgmtAlg>();
        indexes_are_positions::<EncAlg>();
    }

    #[test]
    fn debug_names_the_registry() {
        let s = crate::AlgorithmSet::<JwsAlg>::from([JwsAlg::ES256, JwsAlg::HS256]);
        assert_eq!(format!("{s:?}"), "AlgorithmSet<JwsAlg>[HS256, ES256]");
        assert_eq!(
            format!("{:?}", crate::AlgorithmSet::<EncAlg>::empty()),
            "AlgorithmSet<EncAlg>[(none)]"
        );
        assert_eq!(
            format!("{:?}", crate::AlgorithmSet::<KeyMgmtAlg>::from(KeyMgmtAlg::Dir)),
            "AlgorithmSet<KeyMgmtAlg>[dir]"
        );
    }
}
