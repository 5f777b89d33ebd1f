//! Appointments and the rules for moving them between states.

use thiserror::Error;
use time::OffsetDateTime;

use crate::ids::{AppointmentId, DoctorId, PatientId};
use crate::phone::PhoneNumber;
use crate::schedule::Slot;

named_enum!(
    /// Where an appointment stands.
    AppointmentStatus {
        /// Holds its slot.
        Booked = "booked",
        /// Frees its slot; final.
        Cancelled = "cancelled",
        Completed = "completed",
        NoShow = "no_show",
    }
);

named_enum!(
    /// Who cancelled an appointment: it decides what the patient is told.
    CancelledBy {
        Patient = "patient",
        Clinic = "clinic",
    }
);

/// The longest reason the clinic may give a patient for a cancellation: one SMS segment's
/// worth beside the rest of the text.
pub const REASON_MAX_CHARS: usize = 160;

/// Who cancelled, and the clinic's reason, if it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub by: CancelledBy,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub doctor_id: DoctorId,
    pub scheduled_start: OffsetDateTime,
    pub scheduled_end: OffsetDateTime,
    pub status: AppointmentStatus,
    pub booked_at: OffsetDateTime,
    /// Bumped by every change; each message to the patient is about one version.
    pub version: u32,
    /// When it got its current time: its booking, or its last move.
    pub time_set_at: OffsetDateTime,
    /// Set when the status is cancelled.
    pub cancellation: Option<Cancellation>,
}

impl Appointment {
    pub fn book(patient_id: PatientId, doctor_id: DoctorId, slot: Slot, now: OffsetDateTime) -> Self {
        Self {
            id: AppointmentId::generate(),
            patient_id,
            doctor_id,
            scheduled_start: slot.start,
            scheduled_end: slot.end,
            status: AppointmentStatus::Booked,
            booked_at: now,
            version: 1,
            time_set_at: now,
            cancellation: None,
        }
    }

    /// The next version, at `slot` with `doctor`; only a booked appointment moves.
    pub fn moved(
        &self,
        doctor: DoctorId,
        slot: Slot,
        now: OffsetDateTime,
    ) -> Result<Self, StatusChangeRefused> {
        if self.status != AppointmentStatus::Booked {
            return Err(StatusChangeRefused::Closed(self.status));
        }
        Ok(Self {
            doctor_id: doctor,
            scheduled_start: slot.start,
            scheduled_end: slot.end,
            version: self.version + 1,
            time_set_at: now,
            ..self.clone()
        })
    }

    /// The next version, in `status` (and cancelled as `cancellation` says, for a cancel).
    pub fn with_status(&self, status: AppointmentStatus, cancellation: Option<Cancellation>) -> Self {
        let cancellation = cancellation.filter(|_| status == AppointmentStatus::Cancelled);
        Self { status, cancellation, version: self.version + 1, ..self.clone() }
    }

    /// Whether it holds `slot` with `doctor` already.
    pub fn is_at(&self, doctor: DoctorId, slot: &Slot) -> bool {
        self.doctor_id == doctor && self.scheduled_start == slot.start
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StatusChangeRefused {
    #[error("the appointment is already {0}")]
    Closed(AppointmentStatus),
    #[error("the appointment has not started yet")]
    NotStarted,
    /// A patient arrives on the visit's (clinic-local) day.
    #[error("the appointment is on another day")]
    NotToday,
}

/// The status an appointment moves to when someone asks for `wanted`; `None` when it
/// is already there (asking twice is not an error).
///
/// Cancelled is final: its slot may already be booked again. A visit that happened
/// (completed) or did not (no-show) cannot be cancelled, but staff may correct one
/// into the other; neither can be recorded before the visit's start.
pub fn status_change(
    current: AppointmentStatus,
    wanted: AppointmentStatus,
    has_started: bool,
) -> Result<Option<AppointmentStatus>, StatusChangeRefused> {
    use AppointmentStatus::{Booked, Cancelled, Completed, NoShow};
    match (current, wanted) {
        (current, wanted) if current == wanted => Ok(None),
        (Cancelled, _) | (Completed | NoShow, Cancelled | Booked) => {
            Err(StatusChangeRefused::Closed(current))
        }
        (Booked, Cancelled) => Ok(Some(Cancelled)),
        (_, Completed | NoShow) if !has_started => Err(StatusChangeRefused::NotStarted),
        (_, wanted) => Ok(Some(wanted)),
    }
}

/// One line of the day list: the appointment and who is coming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayEntry {
    pub appointment: Appointment,
    pub patient_name: String,
    pub patient_phone: Option<PhoneNumber>,
    /// When the patient confirmed the visit by replying to a reminder.
    pub patient_confirmed_at: Option<OffsetDateTime>,
    /// When the desk marked the patient arrived (the visit stays booked).
    pub arrived_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::*;
    use super::*;

    #[test]
    fn a_booked_appointment_can_be_cancelled_at_any_time() {
        assert_eq!(status_change(Booked, Cancelled, false), Ok(Some(Cancelled)));
        assert_eq!(status_change(Booked, Cancelled, true), Ok(Some(Cancelled)));
    }

    #[test]
    fn asking_for_the_current_status_changes_nothing() {
        for status in [Booked, Cancelled, Completed, NoShow] {
            assert_eq!(status_change(status, status, true), Ok(None));
        }
    }

    #[test]
    fn outcomes_are_recorded_only_once_the_visit_has_started() {
        assert_eq!(status_change(Booked, Completed, false), Err(StatusChangeRefused::NotStarted));
        assert_eq!(status_change(Booked, NoShow, false), Err(StatusChangeRefused::NotStarted));
        assert_eq!(status_change(Booked, Completed, true), Ok(Some(Completed)));
        assert_eq!(status_change(Booked, NoShow, true), Ok(Some(NoShow)));
    }

    #[test]
    fn staff_may_correct_a_completed_visit_into_a_no_show_and_back() {
        assert_eq!(status_change(Completed, NoShow, true), Ok(Some(NoShow)));
        assert_eq!(status_change(NoShow, Completed, true), Ok(Some(Completed)));
    }

    #[test]
    fn a_visit_that_happened_cannot_be_cancelled_and_a_cancelled_one_is_final() {
        assert_eq!(status_change(Completed, Cancelled, true), Err(StatusChangeRefused::Closed(Completed)));
        assert_eq!(status_change(NoShow, Cancelled, true), Err(StatusChangeRefused::Closed(NoShow)));
        for wanted in [Booked, Completed, NoShow] {
            assert_eq!(status_change(Cancelled, wanted, true), Err(StatusChangeRefused::Closed(Cancelled)));
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in [Booked, Cancelled, Completed, NoShow] {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert_eq!("done".parse::<AppointmentStatus>(), Err(()));
    }
}
