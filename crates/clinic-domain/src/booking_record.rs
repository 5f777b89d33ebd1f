//! What a booking stores (the appointment, its confirmation, the idempotency key that
//! made it), and what a change of an appointment stores.

use time::{Duration, OffsetDateTime};

use crate::appointment::Appointment;
use crate::ids::{AppointmentId, DoctorId, PatientId};
use crate::notification::{NewNotification, NotificationKind};
use crate::patient::PatientProfile;

/// How long an `Idempotency-Key` replays its booking.
pub const IDEMPOTENCY_KEY_LIFETIME: Duration = Duration::HOUR.saturating_mul(24);

/// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An idempotency key and the booking it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingKey {
    pub patient_id: PatientId,
    pub key: IdempotencyKey,
    pub doctor_id: DoctorId,
    pub scheduled_start: OffsetDateTime,
    pub appointment_id: AppointmentId,
    pub created_at: OffsetDateTime,
}

/// What a booking reads before it decides: the patient's profile (none yet: no booking),
/// and the booking its idempotency key made, if any (a replay).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookingReads {
    pub profile: Option<PatientProfile>,
    pub earlier: Option<BookingKey>,
}

/// One booking's unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub appointment: Appointment,
    pub confirmation: NewNotification,
    pub key: Option<BookingKey>,
    /// Keys used before this are expired and may be used again.
    pub keys_used_since: OffsetDateTime,
}

/// What storing a booking came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingStored {
    Booked,
    /// Another appointment holds the doctor and start; nothing was stored.
    SlotTaken,
    /// A concurrent request with the same key won; nothing was stored.
    KeyAlreadyUsed(BookingKey),
    /// A closure covers the slot (it may have committed while this booking waited); nothing
    /// was stored.
    Closed,
}

/// One change of an appointment (a move, a cancel, an outcome), stored as a unit: the new
/// state, provided the appointment is still as it was read; the end of the older
/// versions' messages still pending; and the message telling the patient, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentChange {
    /// As it was read: the change applies only if it is still so.
    pub before: Appointment,
    pub after: Appointment,
    /// The message about `after`, addressed as the patient's profile says when stored.
    pub message: Option<NotificationKind>,
    pub at: OffsetDateTime,
}

/// What storing a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStored {
    Changed,
    /// The appointment changed meanwhile; nothing was stored.
    Stale,
    /// Another appointment holds the new doctor and start; nothing was stored.
    SlotTaken,
    /// A closure covers the new slot (it may have committed while this change waited);
    /// nothing was stored.
    Closed,
}
