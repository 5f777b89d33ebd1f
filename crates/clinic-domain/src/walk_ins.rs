//! The desk's walk-in queue: tickets issued, called to a room, served or gone; and the
//! texts that go with it, through the outbox, each once.

use std::sync::Arc;

use thiserror::Error;
use time::Date;

use crate::clinic::Clinic;
use crate::ids::{DoctorId, NotificationId, PatientId, TicketId};
use crate::message;
use crate::patient::{PatientProfile, ProfileInput, Registered};
use crate::patient_search::fold_name;
use crate::ports::{
    Clock, DoctorRepository, PatientRecordRepository, PatientRepository, QueueRepository, StoreError,
};
use crate::queue::{
    NewTicket, PlacedTicket, QueueAlert, SERVE_TIMES_KEPT, Ticket, TicketStatus, estimated_wait_minutes,
    is_status_token, positions, serve_time, status_token,
};
use crate::validation::FieldErrors;

/// The longest room name a call may give.
pub const ROOM_MAX_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueueError {
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error("no such patient")]
    PatientNotFound,
    /// The phone is another patient's: the desk should pick them, or correct the number.
    #[error("a patient with that phone exists")]
    PatientExists(PatientId),
    #[error("no such doctor")]
    DoctorNotFound,
    #[error("no such ticket")]
    NotFound,
    /// Tickets are called and finished on their own day only.
    #[error("the ticket is of another day")]
    OtherDay,
    #[error("the ticket is served or gone")]
    Finished,
    /// Another desk called the same ticket at the same moment.
    #[error("the ticket changed meanwhile")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who the ticket is for: a patient on record, or a visitor by name and phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    Patient(PatientId),
    WalkIn { name: String, phone: String },
}

pub struct WalkIns {
    clinic: Clinic,
    queue: Arc<dyn QueueRepository>,
    patients: Arc<dyn PatientRepository>,
    records: Arc<dyn PatientRecordRepository>,
    doctors: Arc<dyn DoctorRepository>,
    clock: Arc<dyn Clock>,
    /// `QUEUE_ALERT_AHEAD`: the place in line that is texted.
    alert_ahead: u32,
}

impl WalkIns {
    pub fn new(
        clinic: Clinic,
        queue: Arc<dyn QueueRepository>,
        patients: Arc<dyn PatientRepository>,
        records: Arc<dyn PatientRecordRepository>,
        doctors: Arc<dyn DoctorRepository>,
        clock: Arc<dyn Clock>,
        alert_ahead: u32,
    ) -> Self {
        Self { clinic, queue, patients, records, doctors, clock, alert_ahead }
    }

    /// A ticket for today. A visitor by name and phone becomes a patient without a login
    /// (or is the patient that phone already is), so their consent and STOP hold as for
    /// anyone.
    pub fn issue(&self, visitor: Visitor, doctor: Option<DoctorId>) -> Result<PlacedTicket, QueueError> {
        if let Some(id) = doctor {
            self.doctors.find(id)?.filter(|d| d.active).ok_or(QueueError::DoctorNotFound)?;
        }
        let patient_id = self.patient(visitor)?;
        let now = self.clock.now();
        let new = NewTicket {
            id: TicketId::generate(),
            day: self.clinic.zone.local_date(now),
            patient_id,
            doctor_id: doctor,
            status_token: status_token(),
            issued_at: now,
        };
        let issued = self.queue.issue(&new)?;
        self.placed_after_change(&issued)
    }

    /// The day's tickets, by number, with places and waits; today's owed alerts are
    /// queued on the way.
    pub fn day(&self, day: Date) -> Result<Vec<PlacedTicket>, QueueError> {
        let today = self.clinic.zone.local_date(self.clock.now());
        Ok(self.place(self.queue.day(day)?, day == today)?)
    }

    /// Calls the ticket to `room` (again, if it was called already); the patient is
    /// texted the room.
    pub fn call(&self, id: TicketId, room: &str) -> Result<PlacedTicket, QueueError> {
        let room = room.trim();
        if room.is_empty() || room.chars().count() > ROOM_MAX_CHARS || room.chars().any(char::is_control) {
            let mut errors = FieldErrors::new();
            errors.add("room", format!("must be one line of 1 to {ROOM_MAX_CHARS} characters"));
            return Err(QueueError::Invalid(errors));
        }
        let before = self.open_ticket(id)?;
        let now = self.clock.now();
        let text = message::queue_called(&self.clinic, &before.label(), room);
        let alert = alert(before.id, before.calls + 1, text, now);
        let called = self.queue.call(&before, room, &alert, now)?.ok_or(QueueError::Changed)?;
        self.placed_after_change(&called)
    }

    /// Marks the ticket `served` or `left`.
    pub fn finish(&self, id: TicketId, status: TicketStatus) -> Result<PlacedTicket, QueueError> {
        if !status.is_finished() {
            let mut errors = FieldErrors::new();
            errors.add("status", "must be one of served, left");
            return Err(QueueError::Invalid(errors));
        }
        self.open_ticket(id)?;
        let finished = self.queue.finish(id, status, self.clock.now())?.ok_or(QueueError::Finished)?;
        self.placed_after_change(&finished)
    }

    /// What the public status page shows; no alert is queued by a visitor looking.
    pub fn status(&self, token: &str) -> Result<PlacedTicket, QueueError> {
        if !is_status_token(token) {
            return Err(QueueError::NotFound);
        }
        let ticket = self.queue.find_by_token(token)?.ok_or(QueueError::NotFound)?;
        let placed = self.place(self.queue.day(ticket.day)?, false)?;
        placed.into_iter().find(|p| p.ticket.id == ticket.id).ok_or(QueueError::NotFound)
    }

    fn patient(&self, visitor: Visitor) -> Result<PatientId, QueueError> {
        match visitor {
            Visitor::Patient(id) => Ok(self.patients.find(id)?.ok_or(QueueError::PatientNotFound)?.id),
            Visitor::WalkIn { name, phone } => {
                let input = ProfileInput { full_name: name, phone: Some(phone), ..ProfileInput::default() };
                let profile = PatientProfile::register(&input).map_err(QueueError::Invalid)?;
                match self.records.register(&profile, self.clock.now())? {
                    Registered::Created => Ok(profile.id),
                    // The same visitor again; a different name is someone else's phone.
                    Registered::PhoneTaken(existing) => match self.patients.find(existing)? {
                        Some(known) if fold_name(&known.full_name) == fold_name(&profile.full_name) => {
                            Ok(existing)
                        }
                        _ => Err(QueueError::PatientExists(existing)),
                    },
                }
            }
        }
    }

    /// A ticket of today that is not finished.
    fn open_ticket(&self, id: TicketId) -> Result<Ticket, QueueError> {
        let ticket = self.queue.find(id)?.ok_or(QueueError::NotFound)?;
        if ticket.day != self.clinic.zone.local_date(self.clock.now()) {
            Err(QueueError::OtherDay)
        } else if ticket.status.is_finished() {
            Err(QueueError::Finished)
        } else {
            Ok(ticket)
        }
    }

    /// The ticket placed among its day's, once the change has moved the line.
    fn placed_after_change(&self, changed: &Ticket) -> Result<PlacedTicket, QueueError> {
        let placed = self.place(self.queue.day(changed.day)?, true)?;
        placed.into_iter().find(|p| p.ticket.id == changed.id).ok_or(QueueError::NotFound)
    }

    /// Places and waits for a day's tickets; with `alert`, the N-th-in-line alerts owed
    /// are queued (the store keeps one per ticket, however often this runs).
    fn place(&self, tickets: Vec<Ticket>, alert: bool) -> Result<Vec<PlacedTicket>, StoreError> {
        let places = positions(&tickets);
        let mut serve_times: Vec<(Option<DoctorId>, time::Duration)> = Vec::new();
        let mut placed = Vec::with_capacity(tickets.len());
        for (ticket, position) in tickets.into_iter().zip(places) {
            let estimated_wait_minutes = match position {
                None => None,
                Some(p) => {
                    Some(estimated_wait_minutes(p, self.serve_time(ticket.doctor_id, &mut serve_times)?))
                }
            };
            placed.push(PlacedTicket { ticket, position, estimated_wait_minutes });
        }
        if alert {
            let alerts: Vec<QueueAlert> = placed
                .iter()
                .filter(|p| p.ticket.owed_ahead_alert(p.position, self.alert_ahead))
                .map(|p| self.ahead_alert(p))
                .collect();
            if !alerts.is_empty() {
                self.queue.enqueue_alerts(&alerts)?;
            }
        }
        Ok(placed)
    }

    /// The median of the doctor's recent serve times, else the clinic's; asked once per
    /// line.
    fn serve_time(
        &self,
        doctor: Option<DoctorId>,
        known: &mut Vec<(Option<DoctorId>, time::Duration)>,
    ) -> Result<time::Duration, StoreError> {
        if let Some((_, time)) = known.iter().find(|(d, _)| *d == doctor) {
            return Ok(*time);
        }
        let mut recent = self.queue.serve_times(doctor, SERVE_TIMES_KEPT)?;
        if recent.is_empty() && doctor.is_some() {
            recent = self.queue.serve_times(None, SERVE_TIMES_KEPT)?;
        }
        let time = serve_time(&recent);
        known.push((doctor, time));
        Ok(time)
    }

    fn ahead_alert(&self, placed: &PlacedTicket) -> QueueAlert {
        let text = message::queue_ahead(
            &self.clinic,
            &placed.ticket.label(),
            placed.position.unwrap_or_default(),
            placed.estimated_wait_minutes.unwrap_or_default(),
        );
        alert(placed.ticket.id, 0, text, self.clock.now())
    }
}

fn alert(ticket: TicketId, call: u32, message: String, at: time::OffsetDateTime) -> QueueAlert {
    QueueAlert {
        id: NotificationId::generate(),
        ticket_id: ticket,
        call,
        segments: message::sms_segments(&message),
        message,
        created_at: at,
    }
}

#[cfg(test)]
mod tests;
