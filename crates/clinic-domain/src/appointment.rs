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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub doctor_id: DoctorId,
    pub scheduled_start: OffsetDateTime,
    pub scheduled_end: OffsetDateTime,
    pub status: AppointmentStatus,
    pub booked_at: OffsetDateTime,
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
        }
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StatusChangeRefused {
    #[error("the appointment is already {0}")]
    Closed(AppointmentStatus),
    #[error("the appointment has not started yet")]
    NotStarted,
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
