//! Which reminders a run creates: one per booked appointment and lead, the leads' moments
//! not passed when the appointment got its time, the nearest sent, held through quiet hours.

use time::{Duration, OffsetDateTime, Time};

use crate::appointment::{Appointment, AppointmentStatus};
use crate::clinic::ClinicZone;
use crate::schedule::parse_clock_time;

/// Clinic-local hours in which reminders wait (`21:00-08:00`); they may cross midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: Time,
    pub until: Time,
}

impl QuietHours {
    /// `HH:MM-HH:MM`, two different times.
    pub fn parse(text: &str) -> Option<Self> {
        let (from, until) = text.split_once('-')?;
        let hours = Self { from: parse_clock_time(from.trim())?, until: parse_clock_time(until.trim())? };
        (hours.from != hours.until).then_some(hours)
    }

    /// When the quiet hours around `now` end; `None` when `now` is not in them.
    pub fn end_around(&self, now: OffsetDateTime, zone: &ClinicZone) -> Option<OffsetDateTime> {
        let local = zone.local(now);
        let (date, time) = (local.date(), local.time());
        let quiet = if self.from < self.until {
            self.from <= time && time < self.until
        } else {
            time >= self.from || time < self.until
        };
        if !quiet {
            return None;
        }
        let end_date = if self.from > self.until && time >= self.from { date.next_day()? } else { date };
        // A wall-clock end that does not exist (a spring-forward gap) ends an hour later.
        zone.instant_at(end_date, self.until)
            .or_else(|| zone.instant_at(end_date, self.until + Duration::hours(1)))
    }
}

/// When reminders go out: the leads before each visit, and quiet hours in the clinic's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSchedule {
    pub leads: Vec<Duration>,
    pub quiet: Option<QuietHours>,
    pub zone: ClinicZone,
}

impl ReminderSchedule {
    /// What a run at `now` creates.
    pub fn window(&self, now: OffsetDateTime) -> ReminderWindow {
        ReminderWindow::at(now, &self.leads, self.quiet.as_ref().map(|quiet| (quiet, &self.zone)))
    }
}

/// What a reminders run at `now` creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderWindow {
    pub now: OffsetDateTime,
    /// How long before a visit each of its reminders goes out.
    pub leads: Vec<Duration>,
    /// When the reminders created now fall due: now, or the end of the quiet hours.
    pub due_at: OffsetDateTime,
}

impl ReminderWindow {
    /// The status an appointment must have to be reminded.
    pub const STATUS: AppointmentStatus = AppointmentStatus::Booked;

    pub fn at(now: OffsetDateTime, leads: &[Duration], quiet: Option<(&QuietHours, &ClinicZone)>) -> Self {
        let due_at = quiet.and_then(|(hours, zone)| hours.end_around(now, zone)).unwrap_or(now);
        Self { now, leads: leads.to_vec(), due_at }
    }

    /// Whether the appointment gets its `lead` reminder from this run: it is booked,
    /// starts within the lead, and the lead's moment had not passed when it got its time
    /// (no "tomorrow" text for a visit booked an hour ago). The rule the store's one
    /// `INSERT … SELECT` translates into SQL.
    pub fn includes(&self, appointment: &Appointment, lead: Duration) -> bool {
        let start = appointment.scheduled_start;
        appointment.status == Self::STATUS
            && (self.now..self.now + lead).contains(&start)
            && appointment.time_set_at <= start - lead
    }

    /// Of the appointment's reminders this run creates, the one sent: the nearest lead.
    /// The others (a run that missed a lead's moment) are recorded as superseded.
    pub fn sends(&self, appointment: &Appointment) -> Option<Duration> {
        self.leads.iter().copied().filter(|lead| self.includes(appointment, *lead)).min()
    }

    /// When a reminder of a visit at `start` falls due: after the quiet hours, unless
    /// they end after the visit has begun.
    pub fn due_for(&self, start: OffsetDateTime) -> OffsetDateTime {
        if self.due_at > start { self.now } else { self.due_at }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, time};

    use super::*;
    use crate::ids::{DoctorId, PatientId};
    use crate::schedule::Slot;

    const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

    fn at(start: OffsetDateTime, booked: OffsetDateTime) -> Appointment {
        let slot = Slot { start, end: start + Duration::minutes(15) };
        Appointment::book(PatientId::generate(), DoctorId::generate(), slot, booked)
    }

    fn window(leads: &[i64]) -> ReminderWindow {
        let leads: Vec<_> = leads.iter().map(|h| Duration::hours(*h)).collect();
        ReminderWindow::at(NOW, &leads, None)
    }

    #[test]
    fn a_lead_reminds_booked_visits_within_it_booked_before_its_moment() {
        let window = window(&[24]);
        let long_ago = NOW - Duration::days(3);
        let lead = Duration::hours(24);
        assert!(window.includes(&at(NOW, long_ago), lead), "from the window's start");
        assert!(window.includes(&at(NOW + Duration::hours(23), long_ago), lead));
        assert!(!window.includes(&at(NOW + Duration::hours(24), long_ago), lead), "the end is open");
        assert!(!window.includes(&at(NOW - Duration::minutes(1), long_ago), lead), "started");
        let start = NOW + Duration::hours(5);
        assert!(!window.includes(&at(start, start - Duration::hours(2)), lead), "booked after its moment");
        assert!(window.includes(&at(start, start - Duration::hours(24)), lead), "booked at its moment");
        let cancelled = Appointment { status: AppointmentStatus::Cancelled, ..at(start, long_ago) };
        assert!(!window.includes(&cancelled, lead));
    }

    #[test]
    fn of_several_leads_due_at_once_the_nearest_is_sent() {
        let window = window(&[24, 2]);
        let long_ago = NOW - Duration::days(3);
        assert_eq!(window.sends(&at(NOW + Duration::hours(1), long_ago)), Some(Duration::hours(2)));
        assert_eq!(window.sends(&at(NOW + Duration::hours(5), long_ago)), Some(Duration::hours(24)));
        let just_booked = NOW - Duration::minutes(10);
        assert_eq!(window.sends(&at(NOW + Duration::hours(1), just_booked)), None, "both moments had passed");
    }

    #[test]
    fn quiet_hours_hold_reminders_until_they_end_unless_the_visit_comes_first() {
        let zone = ClinicZone::parse("Asia/Singapore").unwrap();
        let quiet = QuietHours::parse("21:00-08:00").unwrap();
        let late = datetime!(2026-11-24 14:30 UTC); // 22:30 in Singapore
        let morning = datetime!(2026-11-25 00:00 UTC); // 08:00
        assert_eq!(quiet.end_around(late, &zone), Some(morning));
        assert_eq!(quiet.end_around(datetime!(2026-11-24 20:00 UTC), &zone), Some(morning), "04:00");
        assert_eq!(quiet.end_around(NOW, &zone), None, "16:00 is not quiet");
        let window = ReminderWindow::at(late, &[Duration::hours(24)], Some((&quiet, &zone)));
        assert_eq!(window.due_for(morning + Duration::hours(3)), morning);
        assert_eq!(window.due_for(morning - Duration::minutes(30)), late, "the visit is before 08:00");
        assert_eq!(
            QuietHours::parse("12:00-13:30"),
            Some(QuietHours { from: time!(12:00), until: time!(13:30) })
        );
        assert_eq!(QuietHours::parse("08:00-08:00"), None);
        assert_eq!(QuietHours::parse("9pm-8am"), None);
    }
}
