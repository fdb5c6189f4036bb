//! Token extraction from pasted text (headers, curl commands, JSON, URLs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtkit::fuzzing::paste(data));
