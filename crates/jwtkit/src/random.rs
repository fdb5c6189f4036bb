//! Random identifiers (salts, `jti`s, key ids) from aws-lc-rs' system random generator.

/// `n` random bytes, base64url.
///
/// aws-lc-rs' generator does not fail on supported platforms; if it ever did, the bytes would be
/// derived from the clock and a process-wide counter, so identifiers still never repeat within
/// a process (they are identifiers and salts, never keys).
pub(crate) fn b64url(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("{t}/{c}").as_bytes());
        bytes = seed.as_ref().iter().copied().cycle().take(n).collect();
    }
    crate::base64url::encode(bytes)
}
