//! The clinic itself: its name and the time zone its schedules and messages live in.

use std::fmt;

use thiserror::Error;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use time_tz::{OffsetDateTimeExt, OffsetResult, PrimitiveDateTimeExt, TimeZone, Tz, timezones};

/// The clinic as patients and messages name it.
#[derive(Debug, Clone)]
pub struct Clinic {
    pub name: String,
    pub zone: ClinicZone,
}

/// An IANA time zone (`CLINIC_TIMEZONE`). Weekly schedules are wall-clock times in it,
/// so the instants they stand for move with daylight saving time.
#[derive(Clone, Copy)]
pub struct ClinicZone(&'static Tz);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown IANA time zone {0:?}")]
pub struct UnknownTimeZone(pub String);

/// The years the clinic's calendar covers. Beyond them, an instant's local time (or the day
/// after) is not representable; no visit is booked there anyway.
pub const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 1..=9998;

/// Whether `date` is in [`CALENDAR_YEARS`].
pub fn in_calendar(date: Date) -> bool {
    CALENDAR_YEARS.contains(&date.year())
}

/// Whether the instant, at any offset, is one the clinic's calendar can show: its UTC day
/// and the days either side of it are in [`CALENDAR_YEARS`].
pub fn instant_in_calendar(instant: OffsetDateTime) -> bool {
    instant.checked_to_offset(UtcOffset::UTC).map(|utc| utc.date()).is_some_and(|date| {
        in_calendar(date)
            && date.previous_day().is_some_and(in_calendar)
            && date.next_day().is_some_and(in_calendar)
    })
}

impl ClinicZone {
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        timezones::get_by_name(name).map(Self).ok_or_else(|| UnknownTimeZone(name.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The instant as the clinic's wall clock shows it.
    pub fn local(&self, instant: OffsetDateTime) -> OffsetDateTime {
        instant.to_timezone(self.0)
    }

    pub fn local_date(&self, instant: OffsetDateTime) -> Date {
        self.local(instant).date()
    }

    /// The instant (in UTC) at which the clinic's wall clock shows `date time`.
    /// `None` when that wall-clock time is skipped by a DST change; when it happens
    /// twice (the clocks go back), the first time.
    pub fn instant_at(&self, date: Date, time: Time) -> Option<OffsetDateTime> {
        let at = match PrimitiveDateTime::new(date, time).assume_timezone(self.0) {
            OffsetResult::Some(at) => at,
            OffsetResult::Ambiguous(a, b) => a.min(b),
            OffsetResult::None => return None,
        };
        Some(at.to_offset(UtcOffset::UTC))
    }

    /// The instants `[start, end)` of a clinic-local day (23, 24 or 25 hours long);
    /// `None` outside the calendar.
    pub fn day(&self, date: Date) -> Option<(OffsetDateTime, OffsetDateTime)> {
        let next = date.next_day().filter(|next| in_calendar(date) && in_calendar(*next))?;
        Some((self.start_of(date), self.start_of(next)))
    }

    /// Midnight, or the first wall-clock time after it where a DST change skips
    /// midnight (some zones change at 00:00).
    fn start_of(&self, date: Date) -> OffsetDateTime {
        (0..=4u8)
            .filter_map(|half_hours| {
                let time = Time::from_hms(half_hours / 2, 30 * (half_hours % 2), 0).ok()?;
                self.instant_at(date, time)
            })
            .next()
            .unwrap_or_else(|| date.midnight().assume_utc())
    }
}

impl fmt::Debug for ClinicZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClinicZone").field(&self.name()).finish()
    }
}

impl PartialEq for ClinicZone {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for ClinicZone {}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::{date, datetime, time};

    use super::*;

    fn new_york() -> ClinicZone {
        ClinicZone::parse("America/New_York").unwrap()
    }

    #[test]
    fn unknown_zones_are_rejected() {
        assert_eq!(ClinicZone::parse("Mars/Olympus").unwrap_err(), UnknownTimeZone("Mars/Olympus".into()));
    }

    #[test]
    fn wall_clock_times_follow_daylight_saving_time() {
        let zone = new_york();
        assert_eq!(
            zone.instant_at(date!(2026 - 03 - 07), time!(09:00)),
            Some(datetime!(2026-03-07 14:00 UTC))
        );
        assert_eq!(
            zone.instant_at(date!(2026 - 03 - 08), time!(09:00)),
            Some(datetime!(2026-03-08 13:00 UTC))
        );
        assert_eq!(
            zone.instant_at(date!(2026 - 11 - 01), time!(09:00)),
            Some(datetime!(2026-11-01 14:00 UTC))
        );
    }

    #[test]
    fn a_skipped_wall_clock_time_has_no_instant_and_a_repeated_one_is_the_first() {
        let zone = new_york();
        assert_eq!(zone.instant_at(date!(2026 - 03 - 08), time!(02:30)), None);
        assert_eq!(
            zone.instant_at(date!(2026 - 11 - 01), time!(01:30)),
            Some(datetime!(2026-11-01 05:30 UTC))
        );
    }

    #[test]
    fn clinic_days_are_23_24_or_25_hours_long() {
        let zone = new_york();
        let length = |d| {
            let (start, end) = zone.day(d).unwrap();
            end - start
        };
        assert_eq!(length(date!(2026 - 03 - 08)), Duration::hours(23));
        assert_eq!(length(date!(2026 - 03 - 09)), Duration::hours(24));
        assert_eq!(length(date!(2026 - 11 - 01)), Duration::hours(25));
        assert_eq!(zone.day(date!(2026 - 11 - 01)).unwrap().0, datetime!(2026-11-01 04:00 UTC));
    }

    #[test]
    fn days_outside_the_calendar_have_no_instants() {
        let zone = ClinicZone::parse("Asia/Singapore").unwrap();
        assert!(zone.day(date!(9998 - 12 - 31)).is_none(), "its next day is outside");
        assert!(zone.day(date!(9998 - 12 - 30)).is_some());
        assert!(zone.day(date!(0000 - 01 - 01)).is_none());
        assert!(in_calendar(date!(0001 - 01 - 01)) && !in_calendar(date!(9999 - 01 - 01)));
    }

    #[test]
    fn local_dates_are_the_clinics_not_utcs() {
        let singapore = ClinicZone::parse("Asia/Singapore").unwrap();
        assert_eq!(singapore.local_date(datetime!(2026-11-24 17:00 UTC)), date!(2026 - 11 - 25));
    }
}
