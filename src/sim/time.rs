//! Virtual time. The simulation clock counts microseconds since the cluster was created; it
//! only moves when the event queue pops an event.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in simulated time, in microseconds since the start of the simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub u64);

pub const MICROS: u64 = 1;
pub const MILLIS: u64 = 1_000;
pub const SECONDS: u64 = 1_000_000;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn from_millis(ms: u64) -> Self {
        SimTime(ms * MILLIS)
    }
    pub fn from_secs(s: u64) -> Self {
        SimTime(s * SECONDS)
    }
    pub fn micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / SECONDS as f64
    }
    pub fn plus(self, micros: u64) -> Self {
        SimTime(self.0.saturating_add(micros))
    }
    pub fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / MILLIS;
        write!(f, "{}.{:03}s", ms / 1000, ms % 1000)
    }
}

/// Parses a Go-style duration such as `30s`, `500ms`, `2m`, `1h`, `250us` into microseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("time: missing unit in duration \"{text}\""))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("time: invalid duration \"{text}\""))?;
    let scale = match unit {
        "us" | "µs" => MICROS,
        "ms" => MILLIS,
        "s" => SECONDS,
        "m" => 60 * SECONDS,
        "h" => 3600 * SECONDS,
        _ => return Err(format!("time: unknown unit \"{unit}\" in duration \"{text}\"")),
    };
    Ok((value * scale as f64).round() as u64)
}

/// Formats an age the way kubectl does (`45s`, `3m12s`, `2d4h`): see
/// k8s.io/apimachinery/pkg/util/duration.HumanDuration.
pub fn human_duration(micros: u64) -> String {
    let secs = micros / SECONDS;
    if secs < 120 {
        return format!("{secs}s");
    }
    let mins = secs / 60;
    if mins < 10 {
        let s = secs % 60;
        return if s == 0 { format!("{mins}m") } else { format!("{mins}m{s}s") };
    }
    if mins < 180 {
        return format!("{mins}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = mins % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 8 {
        let h = hours % 24;
        return if h == 0 { format!("{days}d") } else { format!("{days}d{h}h") };
    }
    format!("{days}d")
}

/// The wall-clock moment the simulated cluster was created, for RFC 3339 timestamps in objects.
pub const EPOCH_UNIX_SECS: u64 = 1_798_761_600; // 2027-01-01T00:00:00Z

/// Nanoseconds since the Unix epoch of a simulated moment (event names use it, as upstream).
pub fn unix_nanos(t: SimTime) -> u64 {
    EPOCH_UNIX_SECS * 1_000_000_000 + t.0 * 1000
}

/// A duration the way Go's `time.Duration` prints it, truncated to milliseconds:
/// `850ms`, `2.345s`, `1m4.5s`.
pub fn go_duration(micros: u64) -> String {
    let ms = micros / MILLIS;
    if ms == 0 {
        return if micros == 0 { "0s".into() } else { format!("{micros}µs") };
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = |ms: u64| {
        let frac = format!("{:03}", ms % 1000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            format!("{}s", ms / 1000)
        } else {
            format!("{}.{frac}s", ms / 1000)
        }
    };
    let (h, m) = (ms / 3_600_000, ms / 60_000 % 60);
    match (h, m) {
        (0, 0) => secs(ms),
        (0, _) => format!("{m}m{}", secs(ms % 60_000)),
        _ => format!("{h}h{m}m{}", secs(ms % 60_000)),
    }
}

/// The UTC calendar date of a simulated moment: (year, month, day, seconds into the day,
/// days since the Unix epoch).
pub fn civil(t: SimTime) -> (i64, i64, i64, u64, i64) {
    let secs = EPOCH_UNIX_SECS + t.0 / SECONDS;
    let days = (secs / 86_400) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, secs % 86_400, days)
}

/// Formats a simulated time as an RFC 3339 timestamp with second precision, as Kubernetes does.
pub fn rfc3339(t: SimTime) -> String {
    let (year, month, day, rem, _) = civil(t);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Go's RFC1123Z layout, as `kubectl describe` prints times: `Fri, 01 Jan 2027 00:00:05 +0000`.
pub fn rfc1123z(t: SimTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day, rem, days) = civil(t);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(month - 1) as usize];
    format!("{weekday}, {day:02} {month} {year:04} {:02}:{:02}:{:02} +0000", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` back into simulated time (the inverse of [`rfc3339`]).
pub fn parse_rfc3339(text: &str) -> Result<SimTime, String> {
    let bad = || format!("parsing time \"{text}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse");
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i64>().ok()).ok_or_else(bad);
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    Ok(from_civil(y, m, d, hh * 3600 + mm * 60 + ss))
}

/// metav1.MicroTime's layout: `2027-01-01T00:00:05.250000Z`.
pub fn rfc3339_micros(t: SimTime) -> String {
    format!("{}.{:06}Z", rfc3339(t).trim_end_matches('Z'), t.0 % SECONDS)
}

/// Parses RFC 3339 with an optional fraction of a second (`…:05.250000Z` or `…:05Z`), to
/// microseconds: the inverse of [`rfc3339_micros`] and [`rfc3339`].
pub fn parse_rfc3339_micros(text: &str) -> Result<SimTime, String> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, frac)) => (format!("{whole}Z"), frac.trim_end_matches('Z')),
        None => (text.to_string(), ""),
    };
    let t = parse_rfc3339(&whole)?;
    let micros = match fraction {
        "" => 0,
        f if f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<6}")[..6].parse::<u64>().unwrap_or(0)
        }
        _ => return Err(format!("parsing time \"{text}\": cannot parse")),
    };
    Ok(t.plus(micros))
}

/// The simulated moment of a Unix time in nanoseconds (protobuf's {seconds, nanos});
/// moments before the simulation's epoch are its start.
pub fn from_unix_nanos(nanos: u64) -> SimTime {
    SimTime((nanos / 1000).saturating_sub(EPOCH_UNIX_SECS * SECONDS))
}

/// The simulated moment of a UTC calendar date and second of the day (the inverse of
/// [`civil`]); moments before the simulation's epoch are its start.
pub fn from_civil(y: i64, m: i64, d: i64, seconds_of_day: i64) -> SimTime {
    // Days-from-civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let since = days * 86_400 + seconds_of_day - EPOCH_UNIX_SECS as i64;
    SimTime::from_secs(since.max(0) as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc1123z_names_the_weekday() {
        use super::*;
        // The simulated epoch, 2027-01-01, is a Friday.
        assert_eq!(rfc1123z(SimTime::from_secs(5)), "Fri, 01 Jan 2027 00:00:05 +0000");
        assert_eq!(rfc1123z(SimTime::from_secs(3 * 86_400 + 3600)), "Mon, 04 Jan 2027 01:00:00 +0000");
    }

    #[test]
    fn go_durations_print_like_go() {
        use super::*;
        assert_eq!(go_duration(850 * MILLIS + 999), "850ms");
        assert_eq!(go_duration(2345 * MILLIS), "2.345s");
        assert_eq!(go_duration(2 * SECONDS), "2s");
        assert_eq!(go_duration(64 * SECONDS + 500 * MILLIS), "1m4.5s");
        assert_eq!(go_duration(3600 * SECONDS), "1h0m0s");
    }

    use super::*;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("30s"), Ok(30 * SECONDS));
        assert_eq!(parse_duration("500ms"), Ok(500 * MILLIS));
        assert_eq!(parse_duration("1.5m"), Ok(90 * SECONDS));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10parsecs").is_err());
    }

    #[test]
    fn ages_print_like_kubectl() {
        assert_eq!(human_duration(45 * SECONDS), "45s");
        assert_eq!(human_duration(192 * SECONDS), "3m12s");
        assert_eq!(human_duration(25 * 60 * SECONDS), "25m");
        assert_eq!(human_duration(52 * 3600 * SECONDS), "2d4h");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(SimTime::ZERO), "2027-01-01T00:00:00Z");
        assert_eq!(rfc3339(SimTime::from_secs(86_400 + 61)), "2027-01-02T00:01:01Z");
        let t = SimTime::from_secs(40 * 86_400 + 3723);
        assert_eq!(parse_rfc3339(&rfc3339(t)), Ok(t));
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
