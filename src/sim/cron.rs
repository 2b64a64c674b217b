//! CronJob schedules: standard cron syntax parsed by the croner crate, evaluated on the
//! simulation's clock in UTC (the simulated moment implements croner's date trait, so no
//! wall clock and no date library are involved).

use super::time::{civil, from_civil, SimTime, SECONDS};
use croner::errors::CronError;
use croner::{CivilDate, CivilDateTime, CivilTime, Cron, CronDateTime, Resolution, Weekday};
use std::cmp::Ordering;

/// A simulated moment in UTC, whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Utc(SimTime);

impl CronDateTime for Utc {
    fn to_civil(&self) -> CivilDateTime {
        let (y, m, d, secs, _) = civil(self.0);
        let date = CivilDate::from_parts_unchecked(y as i32, m as u32, d as u32);
        let time = CivilTime::from_parts_unchecked((secs / 3600) as u32, (secs / 60 % 60) as u32, (secs % 60) as u32);
        CivilDateTime::new(date, time)
    }

    fn civil_weekday(&self) -> Weekday {
        // 1970-01-01 was a Thursday.
        let (.., days) = civil(self.0);
        Weekday::from_days_from_sunday((days + 4).rem_euclid(7) as u32)
    }

    fn resolve_civil(&self, c: CivilDateTime) -> Result<Resolution<Self>, CronError> {
        let seconds = i64::from(c.hour()) * 3600 + i64::from(c.minute()) * 60 + i64::from(c.second());
        let t = from_civil(i64::from(c.year()), i64::from(c.month()), i64::from(c.day()), seconds);
        Ok(Resolution::Single(Utc(t)))
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Self> {
        let micros = (self.0 .0 as i64).checked_add(seconds.checked_mul(SECONDS as i64)?)?;
        u64::try_from(micros).ok().map(|m| Utc(SimTime(m)))
    }

    fn cmp_instant(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

/// A parsed `spec.schedule`.
#[derive(Clone, Debug)]
pub struct Schedule(Cron);

impl Schedule {
    /// Five fields or a descriptor (`@hourly`, `@daily`, …), as the CronJob API takes them;
    /// the error is what validation reports.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        if text.contains("TZ") {
            return Err("cannot use TZ or CRON_TZ in schedule, use timeZone field instead".into());
        }
        let fields = text.split_whitespace().count();
        if !text.trim_start().starts_with('@') && fields != 5 {
            return Err(format!("expected exactly 5 fields, found {fields}: [{text}]"));
        }
        text.parse::<Cron>().map(Schedule).map_err(|e| e.to_string())
    }

    /// The latest scheduled moment at or before `t`.
    pub fn latest_at_or_before(&self, t: SimTime) -> Option<SimTime> {
        let whole = Utc(SimTime(t.0 / SECONDS * SECONDS));
        self.0.find_previous_occurrence(&whole, true).ok().map(|u| u.0)
    }

    /// The first scheduled moment strictly after `t`.
    pub fn next_after(&self, t: SimTime) -> Option<SimTime> {
        let whole = Utc(SimTime(t.0 / SECONDS * SECONDS));
        self.0.find_next_occurrence(&whole, false).ok().map(|u| u.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::rfc3339;

    fn at(text: &str) -> SimTime {
        crate::sim::time::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn next_times_follow_the_calendar() {
        let every5 = Schedule::parse("*/5 * * * *").unwrap();
        assert_eq!(rfc3339(every5.next_after(at("2027-01-01T00:00:00Z")).unwrap()), "2027-01-01T00:05:00Z");
        assert_eq!(rfc3339(every5.next_after(at("2027-01-01T00:07:30Z")).unwrap()), "2027-01-01T00:10:00Z");
        // 2027-01-01 is a Friday: the next Monday 09:00 is the 4th.
        let monday = Schedule::parse("0 9 * * 1").unwrap();
        assert_eq!(rfc3339(monday.next_after(at("2027-01-01T00:00:00Z")).unwrap()), "2027-01-04T09:00:00Z");
        let daily = Schedule::parse("@daily").unwrap();
        assert_eq!(rfc3339(daily.next_after(at("2027-02-28T12:00:00Z")).unwrap()), "2027-03-01T00:00:00Z");
    }

    #[test]
    fn bad_schedules_are_refused_in_words() {
        assert_eq!(Schedule::parse("* * *").unwrap_err(), "expected exactly 5 fields, found 3: [* * *]");
        assert!(Schedule::parse("61 * * * *").is_err());
        assert!(Schedule::parse("CRON_TZ=UTC 0 * * * *").unwrap_err().contains("timeZone"));
        // February 30th never comes: no next time, and no endless search.
        let never = Schedule::parse("0 0 30 2 *").unwrap();
        assert_eq!(never.next_after(at("2027-01-01T00:00:00Z")), None);
    }
}
