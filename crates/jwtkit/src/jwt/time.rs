//! Time for claim validation: an injectable [`Clock`], [`NumericDate`] (RFC 7519 §2) with the
//! parsing and formatting the CLI and debugger share (`--now`, `--leeway 60s`,
//! `2026-11-29 18:00:00 UTC (expired 3h 12m ago)`).
//!
//! The real-time clock is read only in [`SystemClock`]. Arithmetic on timestamps saturates.

use std::fmt;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Result, err};

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixTime = i64;

/// A source of the current time.
pub(crate) trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in seconds since the epoch.
    fn now(&self) -> UnixTime;
}

/// The system clock: the default [`Clock`] of a validation.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    /// The current second of the real-time clock. On Linux it is read from the kernel's coarse
    /// clock (`CLOCK_REALTIME_COARSE`: the time of the last timer tick, read without the TSC,
    /// several times cheaper than `SystemTime::now()` in a virtual machine), whose second is the
    /// precise clock's second unless a tick is about to start the next second: within
    /// [`COARSE_MARGIN_NS`] (or two ticks) of a second boundary the precise clock is read
    /// instead. So a NumericDate is compared with exactly the second `SystemTime` gives.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn now(&self) -> UnixTime {
        use rustix::time::{ClockId, clock_getres, clock_gettime};
        static MARGIN_NS: OnceLock<i64> = OnceLock::new();
        let margin = *MARGIN_NS.get_or_init(|| {
            let tick = clock_getres(ClockId::RealtimeCoarse);
            tick.tv_sec
                .saturating_mul(1_000_000_000)
                .saturating_add(tick.tv_nsec)
                .saturating_mul(2)
                .max(COARSE_MARGIN_NS)
        });
        let coarse = clock_gettime(ClockId::RealtimeCoarse);
        if coarse.tv_nsec.saturating_add(margin) < 1_000_000_000 {
            coarse.tv_sec
        } else {
            system_now()
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn now(&self) -> UnixTime {
        system_now()
    }
}

/// How close to the next second the coarse clock may be before [`SystemClock`] reads the
/// precise one (a tick delayed by up to this long still gives the right second).
#[cfg(any(target_os = "linux", target_os = "android"))]
const COARSE_MARGIN_NS: i64 = 50_000_000;

/// `SystemTime::now()` in seconds since the epoch (negative before 1970).
fn system_now() -> UnixTime {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// A clock stopped at one instant (tests, `--now`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A NumericDate (RFC 7519 §2): seconds since 1970-01-01T00:00:00Z UTC, leap seconds ignored,
/// possibly with a fraction, as `exp`, `nbf` and `iat` carry it; with the text forms the CLI, the
/// debugger and the gateway show and accept (`2026-11-29 18:00:00 UTC (in 3h 12m)`, `--now +1h`,
/// `--leeway 60s`). `Display` gives the UTC form.
///
/// ```
/// use jwtkit::jwt::NumericDate;
/// assert_eq!(NumericDate(1_300_819_380.0).to_string(), "2011-03-22 18:43:00 UTC");
/// assert_eq!(NumericDate(100.0).relative_to(11_620), "3h 12m ago");
/// assert_eq!(NumericDate::parse("2011-03-22T19:43:00+01:00", 0)?, 1_300_819_380);
/// assert_eq!(NumericDate::parse("+1h", 100)?, 3700);
/// assert_eq!(NumericDate::parse_duration("1h30m")?.as_secs(), 5400);
/// assert_eq!(NumericDate::format_duration(11_520), "3h 12m");
/// # Ok::<(), jwtkit::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct NumericDate(pub f64);

impl fmt::Display for NumericDate {
    /// `2026-11-29 18:00:00 UTC` (fractions dropped). Years beyond ±1,000,000 are shown as
    /// seconds: `1e20 (out of calendar range)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        if !t.is_finite() || t.abs() > 3.0e13 {
            return write!(f, "{t} (out of calendar range)");
        }
        let secs = t.floor() as i64;
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

impl NumericDate {
    /// Now, in whole seconds since the epoch, from the system clock (negative before 1970).
    pub fn now() -> UnixTime {
        SystemClock.now()
    }

    /// `in 3h 12m`, `3h 12m ago` or `now`: this date relative to `now` (Unix seconds), the two
    /// largest units ([`NumericDate::format_duration`]); `far away` when not finite.
    pub fn relative_to(self, now: UnixTime) -> String {
        let delta = self.0 - now as f64;
        if !delta.is_finite() {
            return "far away".into();
        }
        let abs = delta.abs().min(u64::MAX as f64) as u64;
        if abs == 0 {
            return "now".into();
        }
        if delta >= 0.0 {
            format!("in {}", NumericDate::format_duration(abs))
        } else {
            format!("{} ago", NumericDate::format_duration(abs))
        }
    }

    /// Parse a point in time given by a person, as whole Unix seconds (the integer NumericDate
    /// that `iat`/`exp` get): Unix seconds (`1700000000`), RFC 3339 (`2026-11-29T18:00:00Z`,
    /// `2026-11-29T18:00:00+01:00`), `2026-11-29 18:00:00` (UTC) or a date `2026-11-29` (midnight
    /// UTC); with `now`, also relative forms `+1h`, `-30m` (a leading sign always makes it relative:
    /// `+3600` is an hour after `now`).
    ///
    /// # Errors
    /// `invalid_config` naming the text.
    pub fn parse(text: &str, now: UnixTime) -> Result<UnixTime> {
        let t = text.trim();
        let bad = || {
            err!(
                InvalidConfig,
                "invalid time {} (examples: 1700000000, 2026-11-29T18:00:00Z, 2026-11-29, +1h)",
                crate::text::quote(text)
            )
        };
        // A sign always means "relative to now" (`+3600` is an hour from now, not 1970).
        if let Some(rest) = t.strip_prefix('+') {
            let d = NumericDate::parse_duration(rest).map_err(|_| bad())?;
            return Ok(now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)));
        }
        if let Some(rest) = t.strip_prefix('-') {
            let d = NumericDate::parse_duration(rest).map_err(|_| bad())?;
            return Ok(now.saturating_sub(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)));
        }
        if let Ok(n) = t.parse::<i64>() {
            return Ok(n);
        }
        let date = t.get(..10).ok_or_else(bad)?;
        let mut dp = date.split('-');
        let (y, m, d) = (dp.next(), dp.next(), dp.next());
        let num = |s: Option<&str>| s.and_then(|v| v.parse::<i64>().ok()).ok_or_else(bad);
        let days = crate::calendar::days_from_civil(num(y)?, num(m)?, num(d)?).ok_or_else(bad)?;
        let mut secs = days * 86_400;
        let rest = t.get(10..).unwrap_or("");
        if rest.is_empty() {
            return Ok(secs);
        }
        let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
        let hms = rest.get(..8).ok_or_else(bad)?;
        let mut tp = hms.split(':');
        let (h, mi, s) = (num(tp.next())?, num(tp.next())?, num(tp.next())?);
        if h > 23 || mi > 59 || s > 60 {
            return Err(bad());
        }
        secs += h * 3600 + mi * 60 + s;
        let mut zone = rest.get(8..).unwrap_or("");
        if let Some(frac) = zone.strip_prefix('.') {
            zone = frac.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        match zone {
            "" | "Z" | "z" | " UTC" | "UTC" => Ok(secs),
            z if (z.starts_with('+') || z.starts_with('-')) && z.len() == 6 => {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let oh = num(z.get(1..3))?;
                let om = num(z.get(4..6))?;
                Ok(secs - sign * (oh * 3600 + om * 60))
            }
            _ => Err(bad()),
        }
    }

    /// Parse a duration (leeway, TTLs, `--max-age`): `60`, `60s`, `15m`, `1h30m`, `2d`, `1w` (seconds when no unit).
    ///
    /// # Errors
    /// `invalid_config` naming the text.
    pub fn parse_duration(text: &str) -> Result<Duration> {
        let t = text.trim();
        let bad = || {
            err!(
                InvalidConfig,
                "invalid duration {} (examples: 60s, 15m, 1h30m, 2d)",
                crate::text::quote(text)
            )
        };
        if t.is_empty() {
            return Err(bad());
        }
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Duration::from_secs(n));
        }
        let mut total: u64 = 0;
        let mut num = String::new();
        for c in t.chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u64 = num.parse().map_err(|_| bad())?;
            num.clear();
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(bad()),
            };
            total = total
                .checked_add(n.checked_mul(unit).ok_or_else(bad)?)
                .ok_or_else(bad)?;
        }
        if !num.is_empty() {
            return Err(bad());
        }
        Ok(Duration::from_secs(total))
    }

    /// `3h 12m`, `2d 4h`, `45s`: the two largest units of a duration in seconds.
    pub fn format_duration(secs: u64) -> String {
        const UNITS: [(u64, &str); 5] = [
            (365 * 86_400, "y"),
            (86_400, "d"),
            (3600, "h"),
            (60, "m"),
            (1, "s"),
        ];
        if secs == 0 {
            return "0s".into();
        }
        let mut parts = Vec::new();
        let mut rest = secs;
        for (size, name) in UNITS {
            if rest >= size {
                parts.push(format!("{}{name}", rest / size));
                rest %= size;
            }
            if parts.len() == 2 || (!parts.is_empty() && rest == 0) {
                break;
            }
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The system clock's second is `SystemTime`'s second, also across second boundaries
    /// (where the coarse clock may still show the previous second): read between two precise
    /// reads for a little over one second, so at least one boundary is crossed.
    #[test]
    fn system_clock_reads_the_precise_second() {
        let start = system_now();
        let mut reads = 0u64;
        loop {
            let before = system_now();
            let now = SystemClock.now();
            let after = system_now();
            assert!(before <= now && now <= after, "{before} <= {now} <= {after}");
            reads += 1;
            if after >= start + 2 {
                break;
            }
        }
        assert!(reads > 1000, "{reads} reads");
    }

    #[test]
    fn calendar() {
        assert_eq!(NumericDate(0.0).to_string(), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            NumericDate(1_300_819_380.0).to_string(),
            "2011-03-22 18:43:00 UTC"
        );
        assert_eq!(
            NumericDate(4_102_444_800.0).to_string(),
            "2100-01-01 00:00:00 UTC"
        );
        assert_eq!(NumericDate(-1.0).to_string(), "1969-12-31 23:59:59 UTC");
        assert_eq!(
            NumericDate::parse("2011-03-22T18:43:00Z", 0).unwrap(),
            1_300_819_380
        );
        assert_eq!(
            NumericDate::parse("2011-03-22 18:43:00", 0).unwrap(),
            1_300_819_380
        );
        assert_eq!(
            NumericDate::parse("2011-03-22T19:43:00+01:00", 0).unwrap(),
            1_300_819_380
        );
        assert_eq!(NumericDate::parse("2011-03-22", 0).unwrap(), 1_300_752_000);
        assert_eq!(NumericDate::parse("1700000000", 0).unwrap(), 1_700_000_000);
        assert_eq!(NumericDate::parse("+1h", 100).unwrap(), 3700);
        assert_eq!(NumericDate::parse("-1m", 100).unwrap(), 40);
        assert!(NumericDate::parse("2011-13-01", 0).is_err());
        assert!(NumericDate::parse("yesterday", 0).is_err());
    }

    /// `--exp +3600` made a token that expired in 1970 (exp 3600): a sign always means "relative to
    /// now", bare numbers after it are seconds.
    #[test]
    fn signed_numbers_are_relative() {
        assert_eq!(NumericDate::parse("+3600", 100).unwrap(), 3700);
        assert_eq!(NumericDate::parse("-60", 100).unwrap(), 40);
        assert_eq!(NumericDate::parse("3600", 100).unwrap(), 3600);
    }

    /// `2026-02-30` was read as 2026-03-02.
    #[test]
    fn days_past_the_end_of_the_month_are_rejected() {
        assert!(NumericDate::parse("2026-02-30", 0).is_err());
        assert!(NumericDate::parse("2026-04-31T00:00:00Z", 0).is_err());
        assert!(NumericDate::parse("2025-02-29", 0).is_err());
        assert_eq!(NumericDate::parse("2024-02-29", 0).unwrap(), 1_709_164_800);
        assert_eq!(NumericDate::parse("2026-12-31", 0).unwrap(), 1_798_675_200);
    }

    #[test]
    fn durations() {
        assert_eq!(NumericDate::parse_duration("60s").unwrap().as_secs(), 60);
        assert_eq!(NumericDate::parse_duration("60").unwrap().as_secs(), 60);
        assert_eq!(NumericDate::parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(NumericDate::parse_duration("2d").unwrap().as_secs(), 172_800);
        assert!(NumericDate::parse_duration("5x").is_err());
        assert!(NumericDate::parse_duration("5m3").is_err());
        assert!(NumericDate::parse_duration("99999999999999999999w").is_err());
        assert_eq!(NumericDate::format_duration(11_520), "3h 12m");
        assert_eq!(NumericDate::format_duration(45), "45s");
        assert_eq!(NumericDate::format_duration(90_061), "1d 1h");
        assert_eq!(NumericDate::format_duration(3600), "1h");
        assert_eq!(NumericDate(100.0).relative_to(11_620), "3h 12m ago");
        assert_eq!(NumericDate(11_620.0).relative_to(100), "in 3h 12m");
    }
}
