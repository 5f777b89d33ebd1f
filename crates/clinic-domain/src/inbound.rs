//! What patients text back: a reply to a reminder, or a message kept for staff.

use time::OffsetDateTime;

use crate::appointment::{Appointment, AppointmentStatus};
use crate::ids::{AppointmentId, InboundMessageId, PatientId};
use crate::phone::PhoneNumber;

/// The longest body kept, in characters; Twilio joins a long text into one of up to
/// 1600, so only a body that is not Twilio's is ever cut.
pub const BODY_MAX_CHARS: usize = 2000;

/// What a reply to a reminder asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Confirm,
    Cancel,
}

impl Reply {
    /// The reply a text is, in any case and spacing (`c`, ` Confirm `, `cancel  appt`).
    /// Bare `CANCEL` is not one: it is an opt-out word, handled before replies.
    pub fn of(body: &str) -> Option<Self> {
        let words: Vec<String> = body.split_whitespace().map(str::to_uppercase).collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["C"] | ["CONFIRM"] => Some(Self::Confirm),
            ["X"] | ["CANCEL", "APPT"] => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// A text kept for staff to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    pub id: InboundMessageId,
    /// The sender, when it is a phone number.
    pub from: Option<PhoneNumber>,
    /// The patient it came from, when the clinic knows the number.
    pub patient_id: Option<PatientId>,
    /// The visit it is about, when it answers a reminder.
    pub appointment_id: Option<AppointmentId>,
    pub body: String,
    pub received_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

impl InboundMessage {
    /// A message as received now, its body made storable ([`storable_body`]).
    pub fn received(
        from: Option<PhoneNumber>,
        appointment: Option<&Appointment>,
        body: &str,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: InboundMessageId::generate(),
            from,
            patient_id: appointment.map(|a| a.patient_id),
            appointment_id: appointment.map(|a| a.id),
            body: storable_body(body),
            received_at: now,
            read_at: None,
        }
    }
}

/// A kept message with the name of its patient, as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    pub message: InboundMessage,
    pub patient_name: Option<String>,
}

/// The body as it can be stored: as sent, but PostgreSQL's text cannot hold NUL (it
/// becomes U+FFFD), and one over [`BODY_MAX_CHARS`] is cut with a note saying so.
pub fn storable_body(body: &str) -> String {
    let body = body.replace('\0', "\u{FFFD}");
    let length = body.chars().count();
    if length <= BODY_MAX_CHARS {
        return body;
    }
    let kept: String = body.chars().take(BODY_MAX_CHARS).collect();
    format!("{kept}… [cut: {length} characters in all]")
}

/// The visit a phone's last reminder was about, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemindedVisit {
    pub appointment: Appointment,
    /// Its doctor's name now.
    pub doctor_name: String,
    /// The version the reminder told the patient of.
    pub reminded_version: u32,
}

/// Where a reminded visit stands for a reply to act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitState {
    /// Booked, not started, as reminded: a reply may confirm or cancel it.
    AsReminded,
    /// Cancelled since.
    Cancelled,
    /// Moved (another time or doctor) since the reminder.
    Moved,
    /// Started already, or over: too late for a reply.
    Started,
}

impl RemindedVisit {
    pub fn state(&self, now: OffsetDateTime) -> VisitState {
        let a = &self.appointment;
        match a.status {
            AppointmentStatus::Cancelled => VisitState::Cancelled,
            AppointmentStatus::Completed | AppointmentStatus::NoShow => VisitState::Started,
            AppointmentStatus::Booked if a.scheduled_start <= now => VisitState::Started,
            AppointmentStatus::Booked if a.version != self.reminded_version => VisitState::Moved,
            AppointmentStatus::Booked => VisitState::AsReminded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_in_any_case_and_spacing() {
        for body in ["C", "c", " confirm ", "CONFIRM\n", "Confirm"] {
            assert_eq!(Reply::of(body), Some(Reply::Confirm), "{body:?}");
        }
        for body in ["X", "x", "cancel appt", "  CANCEL   APPT ", "Cancel\tAppt"] {
            assert_eq!(Reply::of(body), Some(Reply::Cancel), "{body:?}");
        }
        for body in ["", " ", "CANCEL", "C please", "yes", "XX", "confirmed", "😀", "С"] {
            assert_eq!(Reply::of(body), None, "{body:?}");
        }
    }

    #[test]
    fn bodies_are_kept_as_sent_within_bounds() {
        assert_eq!(storable_body(""), "");
        assert_eq!(storable_body("Running late 😅 — 10 min"), "Running late 😅 — 10 min");
        assert_eq!(storable_body("a\0b"), "a\u{FFFD}b");
        let exact = "é".repeat(BODY_MAX_CHARS);
        assert_eq!(storable_body(&exact), exact);
        let cut = storable_body(&"😀".repeat(BODY_MAX_CHARS + 5));
        assert!(cut.starts_with(&"😀".repeat(BODY_MAX_CHARS)));
        assert!(cut.ends_with("… [cut: 2005 characters in all]"), "{cut}");
    }
}
