//! Times as the clinic's wall clock shows them: every time on a page is in its zone.

use clinic_domain::clinic::ClinicZone;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// `09:30`.
pub fn time_of_day(zone: &ClinicZone, instant: OffsetDateTime) -> String {
    let local = zone.local(instant);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// `Tue 25 Nov 2026`.
pub fn day(date: Date) -> String {
    date.format(format_description!("[weekday repr:short] [day padding:none] [month repr:short] [year]"))
        .unwrap_or_else(|_| date.to_string())
}

/// `Tue 25 Nov 2026, 09:30`.
pub fn moment(zone: &ClinicZone, instant: OffsetDateTime) -> String {
    format!("{}, {}", day(zone.local_date(instant)), time_of_day(zone, instant))
}

/// `2026-11-25`, the value of a date input.
pub fn iso_day(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]")).unwrap_or_else(|_| date.to_string())
}

/// `2026-11-25T01:30:00Z`: an instant as a form or a link carries it (RFC 3339, UTC).
pub fn iso_instant(instant: OffsetDateTime) -> String {
    instant.to_offset(UtcOffset::UTC).format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_are_the_clinics_wall_clock() {
        let zone = ClinicZone::parse("Asia/Singapore").unwrap();
        let instant = datetime!(2026-11-25 01:30 UTC);
        assert_eq!(time_of_day(&zone, instant), "09:30");
        assert_eq!(moment(&zone, instant), "Wed 25 Nov 2026, 09:30");
        assert_eq!(iso_day(zone.local_date(instant)), "2026-11-25");
        assert_eq!(iso_instant(zone.local(instant)), "2026-11-25T01:30:00Z");
    }

    #[test]
    fn a_late_utc_evening_is_the_next_morning_in_singapore() {
        let zone = ClinicZone::parse("Asia/Singapore").unwrap();
        assert_eq!(moment(&zone, datetime!(2026-11-24 23:15 UTC)), "Wed 25 Nov 2026, 07:15");
    }
}
