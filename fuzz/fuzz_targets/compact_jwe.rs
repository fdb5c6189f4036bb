//! Compact and JSON JWE: decode unverified, parse, decrypt with fixed symmetric keys under every
//! algorithm (PBES2 count bounded), and decrypt-then-verify as a nested JWT.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtkit::fuzzing::compact_jwe(data));
