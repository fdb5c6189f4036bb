//! Compact JWS: decode unverified, lint, verify against fixed keys of every family, diagnose.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtkit::fuzzing::compact_jws(data));
