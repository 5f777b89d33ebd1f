//! Closures: a doctor's leave or sick day, or the whole clinic's public holiday. A
//! closure is a span of instants, so it is exactly as long as the clinic's days it
//! covers, daylight saving time included.

use time::{Duration, OffsetDateTime};

use crate::appointment::{Appointment, AppointmentStatus, Cancellation, CancelledBy, REASON_MAX_CHARS};
use crate::booking_record::AppointmentChange;
use crate::clinic::instant_in_calendar;
use crate::doctor::required_text;
use crate::ids::{ClosureId, DoctorId};
use crate::notification::NotificationKind;
use crate::schedule::Slot;
use crate::validation::FieldErrors;

/// The longest closure staff may enter: a leap year.
pub const LONGEST_CLOSURE: Duration = Duration::days(366);

/// A span in which a doctor, or the whole clinic, sees nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub id: ClosureId,
    /// `None`: the whole clinic.
    pub doctor_id: Option<DoctorId>,
    /// Inclusive.
    pub starts: OffsetDateTime,
    /// Exclusive.
    pub ends: OffsetDateTime,
    /// Why, in the clinic's words to its patients ("Public holiday").
    pub reason: String,
}

/// A closure as staff ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureRequest {
    pub doctor_id: Option<DoctorId>,
    pub starts: OffsetDateTime,
    pub ends: OffsetDateTime,
    pub reason: String,
    /// Cancel the appointments booked inside it, in the same unit of work.
    pub cancel_booked: bool,
}

impl Closure {
    /// Checks a request: a span of at most [`LONGEST_CLOSURE`] inside the clinic's
    /// calendar, and a short one-line reason.
    pub fn new(request: &ClosureRequest) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, instant) in [("starts", request.starts), ("ends", request.ends)] {
            if !instant_in_calendar(instant) {
                errors.add(field, "must be within the years 1 to 9998");
            }
        }
        if request.ends <= request.starts {
            errors.add("ends", "must be after starts");
        } else if request.ends - request.starts > LONGEST_CLOSURE {
            errors.add("ends", "a closure lasts at most 366 days");
        }
        let reason = required_text("reason", &request.reason, &mut errors);
        // The reason is texted to every patient whose visit the closure cancels.
        if reason.chars().count() > REASON_MAX_CHARS {
            errors.add("reason", format!("must be at most {REASON_MAX_CHARS} characters"));
        }
        errors.into_result(Self {
            id: ClosureId::generate(),
            doctor_id: request.doctor_id,
            starts: request.starts,
            ends: request.ends,
            reason,
        })
    }

    /// Whether it closes `doctor`'s time from `start` to `end`: it is that doctor's or
    /// the whole clinic's, and the two spans share an instant.
    pub fn covers(&self, doctor: DoctorId, start: OffsetDateTime, end: OffsetDateTime) -> bool {
        self.doctor_id.is_none_or(|own| own == doctor) && self.overlaps(start, end)
    }

    /// Whether the slot cannot be offered or booked because of it.
    pub fn closes(&self, doctor: DoctorId, slot: &Slot) -> bool {
        self.covers(doctor, slot.start, slot.end)
    }

    /// Whether the appointment is one the closure affects: booked, inside it.
    pub fn affects(&self, appointment: &Appointment) -> bool {
        appointment.status == AppointmentStatus::Booked
            && self.covers(appointment.doctor_id, appointment.scheduled_start, appointment.scheduled_end)
    }

    /// Whether it shares an instant with `[from, until)`.
    pub fn overlaps(&self, from: OffsetDateTime, until: OffsetDateTime) -> bool {
        self.starts < until && from < self.ends
    }
}

impl Closure {
    /// The closure's cancel of an appointment it affects: the clinic's, with the closure's
    /// reason, told to the patient.
    pub fn cancellation(&self, appointment: &Appointment, at: OffsetDateTime) -> AppointmentChange {
        let cancellation = Cancellation { by: CancelledBy::Clinic, reason: Some(self.reason.clone()) };
        AppointmentChange {
            before: appointment.clone(),
            after: appointment.with_status(AppointmentStatus::Cancelled, Some(cancellation)),
            message: Some(NotificationKind::Cancellation),
            at,
        }
    }
}

/// A closure and the appointments it found booked inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureMade {
    pub closure: Closure,
    /// By start; cancelled already when the request asked for it.
    pub affected: Vec<Appointment>,
}

#[cfg(test)]
mod tests;
