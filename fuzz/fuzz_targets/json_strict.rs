//! Strict JSON: duplicate members, depth limit, lossless values.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtkit::fuzzing::json_strict(data));
