//! Closing a doctor's diary (leave, a sick day) or the whole clinic (a public holiday),
//! and opening it again.

use std::sync::Arc;

use thiserror::Error;
use time::Date;

use crate::clinic::Clinic;
use crate::closure::{Closure, ClosureMade, ClosureRequest};
use crate::ids::ClosureId;
use crate::ports::{Clock, ClosureRepository, DoctorRepository, StoreError};
use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClosureError {
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error("no such doctor")]
    DoctorNotFound,
    #[error("no such closure")]
    ClosureNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Closures {
    clinic: Clinic,
    doctors: Arc<dyn DoctorRepository>,
    closures: Arc<dyn ClosureRepository>,
    clock: Arc<dyn Clock>,
}

impl Closures {
    pub fn new(
        clinic: Clinic,
        doctors: Arc<dyn DoctorRepository>,
        closures: Arc<dyn ClosureRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { clinic, doctors, closures, clock }
    }

    /// Closes a doctor (any, active or not) or the whole clinic; lists the appointments
    /// booked inside, cancelled if the request says so.
    pub fn close(&self, request: &ClosureRequest) -> Result<ClosureMade, ClosureError> {
        let closure = Closure::new(request).map_err(ClosureError::Invalid)?;
        if let Some(doctor) = closure.doctor_id {
            self.doctors.find(doctor)?.ok_or(ClosureError::DoctorNotFound)?;
        }
        let affected = self.closures.close(&closure, request.cancel_booked, self.clock.now())?;
        Ok(ClosureMade { closure, affected })
    }

    /// The closures overlapping the clinic-local days `from` to `to`, both included.
    pub fn between(&self, from: Date, to: Date) -> Result<Vec<Closure>, ClosureError> {
        let mut errors = FieldErrors::new();
        let first = self.clinic.zone.day(from);
        let last = self.clinic.zone.day(to);
        if first.is_none() {
            errors.add("from", "must be within the years 1 to 9998");
        }
        if last.is_none() {
            errors.add("to", "must be within the years 1 to 9998");
        }
        if to < from {
            errors.add("to", "must not be before from");
        }
        match (first, last) {
            (Some((start, _)), Some((_, end))) if errors.is_empty() => {
                Ok(self.closures.overlapping(start, end)?)
            }
            _ => Err(ClosureError::Invalid(errors)),
        }
    }

    /// Removes a closure: its slots are offered again. Appointments it cancelled stay
    /// cancelled.
    pub fn reopen(&self, id: ClosureId) -> Result<(), ClosureError> {
        if self.closures.remove(id)? { Ok(()) } else { Err(ClosureError::ClosureNotFound) }
    }
}

#[cfg(test)]
mod tests;
