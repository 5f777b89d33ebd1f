//! A doctor's clinic day as the store reads it in one round trip, and which of its slots
//! a patient may still book.

use time::{Date, OffsetDateTime};

use crate::clinic::ClinicZone;
use crate::closure::Closure;
use crate::doctor::Doctor;
use crate::schedule::Slot;

/// The doctor with what its day's free slots are worked out from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorDay {
    pub doctor: Doctor,
    /// Starts of the day's slots an appointment holds (not cancelled), in order.
    pub taken: Vec<OffsetDateTime>,
    /// The closures overlapping the day, the doctor's own and the whole clinic's.
    pub closures: Vec<Closure>,
}

impl DoctorDay {
    /// The slots of clinic-local `date` that have not started at `now`, that no
    /// appointment holds and that no closure covers, in order.
    pub fn free_slots(&self, date: Date, zone: &ClinicZone, now: OffsetDateTime) -> Vec<Slot> {
        let doctor = self.doctor.id;
        self.doctor
            .schedule
            .slots_on(date, zone)
            .into_iter()
            .filter(|slot| slot.start > now && !self.taken.contains(&slot.start))
            .filter(|slot| !self.closures.iter().any(|closure| closure.closes(doctor, slot)))
            .collect()
    }
}

#[cfg(test)]
mod tests;
