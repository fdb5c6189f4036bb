//! Key documents: JWK, JWK Set, PEM, DER (any format, detected by content), then export.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jwtkit::fuzzing::key_document(data));
