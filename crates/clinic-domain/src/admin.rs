//! Running the clinic: doctors, schedules, the day's list, visit outcomes, and the outbox.

use std::sync::Arc;

use thiserror::Error;
use time::{Date, OffsetDateTime};

use crate::appointment::DayEntry;
use crate::appointment::{
    Appointment, AppointmentStatus, Cancellation, CancelledBy, REASON_MAX_CHARS, StatusChangeRefused,
};
use crate::appointment_moves::{ChangeError, move_to};
use crate::clinic::Clinic;
use crate::doctor::{Doctor, required_text};
use crate::ids::{AppointmentId, DoctorId};
use crate::notification::{Notification, NotificationFilter};
use crate::ports::{AppointmentRepository, Clock, DoctorRepository, NotificationRepository, StoreError};
use crate::schedule::{ScheduleInput, WeeklySchedule};
use crate::validation::FieldErrors;

/// What staff may change about a doctor; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorChanges {
    pub name: Option<String>,
    pub specialty: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdminError {
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error("no such doctor")]
    DoctorNotFound,
    #[error("no such appointment")]
    AppointmentNotFound,
    #[error("the status cannot change: {0}")]
    StatusChange(StatusChangeRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Administration {
    clinic: Clinic,
    doctors: Arc<dyn DoctorRepository>,
    appointments: Arc<dyn AppointmentRepository>,
    notifications: Arc<dyn NotificationRepository>,
    clock: Arc<dyn Clock>,
}

impl Administration {
    pub fn new(
        clinic: Clinic,
        doctors: Arc<dyn DoctorRepository>,
        appointments: Arc<dyn AppointmentRepository>,
        notifications: Arc<dyn NotificationRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { clinic, doctors, appointments, notifications, clock }
    }

    /// A new doctor: active, with no openings until staff give it a schedule.
    pub fn create_doctor(&self, name: &str, specialty: &str) -> Result<Doctor, AdminError> {
        let doctor = Doctor::new(name, specialty).map_err(AdminError::Invalid)?;
        self.doctors.insert(&doctor, self.clock.now())?;
        Ok(doctor)
    }

    /// Renames, re-specialises or (de)activates a doctor. A deactivated doctor keeps
    /// its appointments but is hidden from patients and cannot be booked.
    pub fn update_doctor(&self, id: DoctorId, changes: &DoctorChanges) -> Result<Doctor, AdminError> {
        let mut doctor = self.doctors.find(id)?.ok_or(AdminError::DoctorNotFound)?;
        let mut errors = FieldErrors::new();
        if let Some(name) = &changes.name {
            doctor.name = required_text("name", name, &mut errors);
        }
        if let Some(specialty) = &changes.specialty {
            doctor.specialty = required_text("specialty", specialty, &mut errors);
        }
        if let Some(active) = changes.active {
            doctor.active = active;
        }
        let doctor = errors.into_result(doctor).map_err(AdminError::Invalid)?;
        if !self.doctors.update(&doctor, self.clock.now())? {
            return Err(AdminError::DoctorNotFound);
        }
        Ok(doctor)
    }

    /// Replaces a doctor's weekly schedule. Existing bookings stand; only the slots
    /// offered from now on follow the new schedule.
    pub fn replace_schedule(&self, id: DoctorId, input: &ScheduleInput) -> Result<Doctor, AdminError> {
        let schedule = WeeklySchedule::parse(input).map_err(AdminError::Invalid)?;
        if !self.doctors.replace_schedule(id, &schedule, self.clock.now())? {
            return Err(AdminError::DoctorNotFound);
        }
        self.doctors.find(id)?.ok_or(AdminError::DoctorNotFound)
    }

    /// The appointments of a clinic-local day, optionally one doctor's, by start.
    pub fn day(&self, date: Date, doctor: Option<DoctorId>) -> Result<Vec<DayEntry>, AdminError> {
        let Some((from, until)) = self.clinic.zone.day(date) else { return Ok(Vec::new()) };
        Ok(self.appointments.list_between(from, until, doctor)?)
    }

    /// Records what became of an appointment: completed, no-show, or cancelled by the
    /// clinic (the patient is told, with `reason` if given: at most 160 characters).
    pub fn set_status(
        &self,
        id: AppointmentId,
        wanted: AppointmentStatus,
        reason: Option<&str>,
    ) -> Result<Appointment, AdminError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > REASON_MAX_CHARS) {
            let mut errors = FieldErrors::new();
            errors.add("reason", format!("must be at most {REASON_MAX_CHARS} characters"));
            return Err(AdminError::Invalid(errors));
        }
        let cancellation = Cancellation { by: CancelledBy::Clinic, reason: reason.map(str::to_owned) };
        move_to(&*self.appointments, &*self.clock, id, wanted, Some(cancellation), |_| true).map_err(|e| {
            match e {
                ChangeError::NotFound => AdminError::AppointmentNotFound,
                ChangeError::Refused(refused) => AdminError::StatusChange(refused),
                ChangeError::Store(error) => AdminError::Store(error),
                ChangeError::SlotTaken | ChangeError::Closed => {
                    AdminError::Store(StoreError::failed("a status change took a slot"))
                }
            }
        })
    }

    /// Marks the patient of a booked visit arrived, on the visit's clinic-local day (early
    /// is fine); marking again keeps the first time. The visit stays booked; nobody is
    /// texted. The appointment, and when its patient arrived.
    pub fn mark_arrived(&self, id: AppointmentId) -> Result<(Appointment, OffsetDateTime), AdminError> {
        let appointment = self.appointments.find(id)?.ok_or(AdminError::AppointmentNotFound)?;
        let now = self.clock.now();
        let refused = |status| Err(AdminError::StatusChange(StatusChangeRefused::Closed(status)));
        if appointment.status != AppointmentStatus::Booked {
            return refused(appointment.status);
        }
        let zone = &self.clinic.zone;
        if zone.local_date(appointment.scheduled_start) != zone.local_date(now) {
            return Err(AdminError::StatusChange(StatusChangeRefused::NotToday));
        }
        match self.appointments.mark_arrived(id, now)? {
            Some(at) => Ok((appointment, at)),
            // Cancelled or finished since it was read.
            None => match self.appointments.find(id)? {
                Some(changed) => refused(changed.status),
                None => Err(AdminError::AppointmentNotFound),
            },
        }
    }

    /// Outbox rows, newest first.
    pub fn notifications(&self, filter: NotificationFilter) -> Result<Vec<Notification>, AdminError> {
        Ok(self.notifications.list(filter)?)
    }
}

#[cfg(test)]
mod tests;
