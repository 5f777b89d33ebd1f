//! Booking: what a patient may book, and the bookings they hold.

use std::sync::Arc;

use thiserror::Error;
use time::{Date, OffsetDateTime};

use crate::appointment::{Appointment, AppointmentStatus, Cancellation, CancelledBy, StatusChangeRefused};
use crate::appointment_moves::{ChangeError, Decision, change, move_to};
use crate::booking_record::{
    BookingKey, BookingStored, IDEMPOTENCY_KEY_LIFETIME, IdempotencyKey, NewBooking,
};
use crate::clinic::Clinic;
use crate::doctor::Doctor;
use crate::ids::{AppointmentId, DoctorId, PatientId};
use crate::notification::{NewNotification, NotificationKind};
use crate::patient::PatientLogin;
use crate::ports::{AppointmentRepository, Clock, DoctorRepository, StoreError};
use crate::schedule::{NotASlot, Slot};

/// What a patient asks to book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingRequest {
    pub doctor_id: DoctorId,
    pub scheduled_start: OffsetDateTime,
}

/// Where an appointment is to move: a new start, with its doctor or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub scheduled_start: OffsetDateTime,
    pub doctor_id: Option<DoctorId>,
}

/// Who asks for a change: a patient, who sees only their own appointments, or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Patient(PatientId),
    Staff,
}

impl Requester {
    fn may_see(self, appointment: &Appointment) -> bool {
        match self {
            Self::Patient(patient) => appointment.patient_id == patient,
            Self::Staff => true,
        }
    }
}

/// A failed change, in booking's terms; `refused` says what the change's own refusal is.
fn changed<E>(error: ChangeError<E>, refused: impl FnOnce(E) -> BookingError) -> BookingError {
    match error {
        ChangeError::NotFound => BookingError::AppointmentNotFound,
        ChangeError::SlotTaken => BookingError::SlotTaken,
        ChangeError::Closed => BookingError::NotBookable(NotBookable::Closed),
        ChangeError::Refused(reason) => refused(reason),
        ChangeError::Store(error) => BookingError::Store(error),
    }
}

/// The answer to a booking: the same for the first request and for a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingReceipt {
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub doctor_id: DoctorId,
    pub scheduled_start: OffsetDateTime,
    /// False when an earlier request with the same key made this booking.
    pub created: bool,
}

/// Why an instant cannot be booked (`details.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotBookable {
    InThePast,
    OutsideSchedule,
    NotOnSlotBoundary,
    /// A closure (the doctor's leave, the clinic's holiday) covers the slot.
    Closed,
}

impl NotBookable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InThePast => "in_the_past",
            Self::OutsideSchedule => "outside_schedule",
            Self::NotOnSlotBoundary => "not_on_slot_boundary",
            Self::Closed => "closed",
        }
    }
}

impl From<NotASlot> for NotBookable {
    fn from(reason: NotASlot) -> Self {
        match reason {
            NotASlot::OutsideSchedule => Self::OutsideSchedule,
            NotASlot::NotOnSlotBoundary => Self::NotOnSlotBoundary,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BookingError {
    #[error("create your patient profile before booking")]
    PatientProfileNotFound,
    /// Staff booked for a patient id the clinic does not know.
    #[error("no such patient")]
    PatientNotFound,
    #[error("no such doctor")]
    DoctorNotFound,
    #[error("that time cannot be booked ({})", .0.as_str())]
    NotBookable(NotBookable),
    #[error("that slot is already booked")]
    SlotTaken,
    #[error("this Idempotency-Key was used for a different booking")]
    IdempotencyKeyReused,
    #[error("no such appointment")]
    AppointmentNotFound,
    #[error("the appointment cannot be cancelled: {0}")]
    NotCancellable(StatusChangeRefused),
    #[error("the appointment cannot be moved: {0}")]
    NotMovable(StatusChangeRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who asks for a booking: one rule set, with one allowance for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Booker {
    Patient,
    /// At the desk or on the phone, for a patient; may book a slot that started earlier
    /// today, for a walk-in seen at once.
    Staff,
}

/// The patient-facing side of the clinic.
pub struct Booking {
    clinic: Clinic,
    doctors: Arc<dyn DoctorRepository>,
    appointments: Arc<dyn AppointmentRepository>,
    clock: Arc<dyn Clock>,
}

impl Booking {
    pub fn new(
        clinic: Clinic,
        doctors: Arc<dyn DoctorRepository>,
        appointments: Arc<dyn AppointmentRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { clinic, doctors, appointments, clock }
    }

    pub fn clinic(&self) -> &Clinic {
        &self.clinic
    }

    pub fn doctors(&self) -> Result<Vec<Doctor>, BookingError> {
        Ok(self.doctors.list_active()?)
    }

    /// The free slots of a clinic-local day that have not started yet and no closure covers.
    pub fn free_slots(&self, doctor_id: DoctorId, date: Date) -> Result<Vec<Slot>, BookingError> {
        let zone = &self.clinic.zone;
        let Some((day_start, day_end)) = zone.day(date) else {
            // A day outside the calendar has no slots, but an unknown doctor is still one.
            self.active_doctor(doctor_id)?;
            return Ok(Vec::new());
        };
        let day = self.doctors.day_of(doctor_id, day_start, day_end)?;
        let day = day.filter(|day| day.doctor.active).ok_or(BookingError::DoctorNotFound)?;
        Ok(day.free_slots(date, zone, self.clock.now()))
    }

    /// Books a slot. With a key, a repeat of the same request replays the first answer
    /// and books nothing; the same key for another request is refused.
    pub fn book(
        &self,
        login: &PatientLogin,
        request: BookingRequest,
        key: Option<IdempotencyKey>,
    ) -> Result<BookingReceipt, BookingError> {
        self.book_as(Booker::Patient, login, request, key)
    }

    /// Books for a patient, as staff: the rules of [`Booking::book`] (keys are the
    /// patient's), and a slot that started earlier today (clinic-local) may be booked
    /// too. The confirmation goes to the patient's own phone.
    pub fn book_for(
        &self,
        patient: PatientId,
        request: BookingRequest,
        key: Option<IdempotencyKey>,
    ) -> Result<BookingReceipt, BookingError> {
        self.book_as(Booker::Staff, &PatientLogin { id: patient, phone: None }, request, key)
    }

    fn book_as(
        &self,
        booker: Booker,
        login: &PatientLogin,
        request: BookingRequest,
        key: Option<IdempotencyKey>,
    ) -> Result<BookingReceipt, BookingError> {
        let now = self.clock.now();
        let keys_used_since = now - IDEMPOTENCY_KEY_LIFETIME;
        let read = self.appointments.find_for_booking(login.id, key.clone(), keys_used_since)?;
        if let Some(earlier) = read.earlier {
            return replay(&earlier, request);
        }
        let missing = match booker {
            Booker::Patient => BookingError::PatientProfileNotFound,
            Booker::Staff => BookingError::PatientNotFound,
        };
        let profile = read.profile.ok_or(missing)?;
        let doctor = self.active_doctor(request.doctor_id)?;
        let slot = if self.walk_in(booker, request.scheduled_start, now) {
            self.slot_at(&doctor, request.scheduled_start)?
        } else {
            self.bookable_slot(&doctor, request.scheduled_start, now)?
        };
        let appointment = Appointment::book(profile.id, doctor.id, slot, now);
        let to_phone = login.contact_phone(profile.phone.as_ref());
        let confirmation =
            NewNotification::confirmation(&self.clinic, &doctor.name, &profile, to_phone, &appointment);
        let key = key.map(|key| BookingKey {
            patient_id: login.id,
            key,
            doctor_id: doctor.id,
            scheduled_start: appointment.scheduled_start,
            appointment_id: appointment.id,
            created_at: now,
        });
        let receipt = receipt(&appointment, true);
        // Closures are checked by the store, inside the booking's unit of work: one that
        // commits while this booking is on its way still refuses it.
        match self.appointments.book(&NewBooking { appointment, confirmation, key, keys_used_since })? {
            BookingStored::Booked => Ok(receipt),
            BookingStored::SlotTaken => Err(BookingError::SlotTaken),
            BookingStored::KeyAlreadyUsed(earlier) => replay(&earlier, request),
            BookingStored::Closed => Err(BookingError::NotBookable(NotBookable::Closed)),
        }
    }

    /// Forgets the idempotency keys that no longer replay anything; how many.
    pub fn forget_expired_keys(&self) -> Result<u64, BookingError> {
        Ok(self.appointments.forget_booking_keys(self.clock.now() - IDEMPOTENCY_KEY_LIFETIME)?)
    }

    /// The patient's appointments, by start.
    pub fn appointments_of(&self, patient: PatientId) -> Result<Vec<Appointment>, BookingError> {
        Ok(self.appointments.list_for_patient(patient)?)
    }

    /// One of the patient's appointments; another patient's is as good as missing.
    pub fn appointment_of(&self, patient: PatientId, id: AppointmentId) -> Result<Appointment, BookingError> {
        self.appointments
            .find(id)?
            .filter(|appointment| appointment.patient_id == patient)
            .ok_or(BookingError::AppointmentNotFound)
    }

    /// Cancels one of the patient's appointments (they get a short acknowledgement);
    /// cancelling twice is fine.
    pub fn cancel(&self, patient: PatientId, id: AppointmentId) -> Result<Appointment, BookingError> {
        let mine = |appointment: &Appointment| appointment.patient_id == patient;
        let cancellation = Cancellation { by: CancelledBy::Patient, reason: None };
        move_to(&*self.appointments, &*self.clock, id, AppointmentStatus::Cancelled, Some(cancellation), mine)
            .map_err(|e| changed(e, BookingError::NotCancellable))
    }

    /// Moves a booked appointment to another slot (of its doctor, or of `to.doctor_id`),
    /// keeping its id: the new slot is held and the old one freed in one unit of work, by
    /// the booking rules; the patient is told. Moving to where it is changes nothing.
    pub fn reschedule(
        &self,
        who: Requester,
        id: AppointmentId,
        to: Move,
    ) -> Result<Appointment, BookingError> {
        let decide = |before: &Appointment, now: OffsetDateTime| -> Result<Decision, BookingError> {
            let doctor = self.active_doctor(to.doctor_id.unwrap_or(before.doctor_id))?;
            let slot = self.bookable_slot(&doctor, to.scheduled_start, now)?;
            if before.is_at(doctor.id, &slot) && before.status == AppointmentStatus::Booked {
                return Ok(None);
            }
            let after = before.moved(doctor.id, slot, now).map_err(BookingError::NotMovable)?;
            Ok(Some((after, Some(NotificationKind::Rescheduled))))
        };
        change(&*self.appointments, &*self.clock, id, |a| who.may_see(a), decide)
            .map_err(|e| changed(e, |refusal| refusal))
    }

    /// The doctor's slot starting at `start`, if it may be booked at `now`.
    fn bookable_slot(
        &self,
        doctor: &Doctor,
        start: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Slot, BookingError> {
        if start <= now {
            return Err(BookingError::NotBookable(NotBookable::InThePast));
        }
        self.slot_at(doctor, start)
    }

    /// The doctor's slot starting at `start`, whenever that is.
    fn slot_at(&self, doctor: &Doctor, start: OffsetDateTime) -> Result<Slot, BookingError> {
        doctor
            .schedule
            .slot_starting_at(start, &self.clinic.zone)
            .map_err(|reason| BookingError::NotBookable(reason.into()))
    }

    /// Whether a start may be booked even if it passed: by staff, on the clinic's current day.
    fn walk_in(&self, booker: Booker, start: OffsetDateTime, now: OffsetDateTime) -> bool {
        let zone = &self.clinic.zone;
        booker == Booker::Staff && zone.local_date(start) == zone.local_date(now)
    }

    fn active_doctor(&self, id: DoctorId) -> Result<Doctor, BookingError> {
        self.doctors.find(id)?.filter(|doctor| doctor.active).ok_or(BookingError::DoctorNotFound)
    }
}

fn receipt(appointment: &Appointment, created: bool) -> BookingReceipt {
    BookingReceipt {
        appointment_id: appointment.id,
        patient_id: appointment.patient_id,
        doctor_id: appointment.doctor_id,
        scheduled_start: appointment.scheduled_start,
        created,
    }
}

fn replay(earlier: &BookingKey, request: BookingRequest) -> Result<BookingReceipt, BookingError> {
    if earlier.doctor_id != request.doctor_id || earlier.scheduled_start != request.scheduled_start {
        return Err(BookingError::IdempotencyKeyReused);
    }
    Ok(BookingReceipt {
        appointment_id: earlier.appointment_id,
        patient_id: earlier.patient_id,
        doctor_id: earlier.doctor_id,
        scheduled_start: earlier.scheduled_start,
        created: false,
    })
}

#[cfg(test)]
mod tests;
