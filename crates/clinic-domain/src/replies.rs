//! Patients answering their reminders: C confirms the visit, X cancels it, and anything
//! else goes to the staff inbox. Every text gets an answer that says what happened.

use std::sync::Arc;

use thiserror::Error;

use crate::appointment::{Appointment, AppointmentStatus, Cancellation, CancelledBy};
use crate::appointment_moves::{ChangeError, move_to_telling};
use crate::clinic::Clinic;
use crate::ids::{AppointmentId, InboundMessageId};
use crate::inbound::{InboundMessage, InboxEntry, RemindedVisit, Reply, VisitState};
use crate::message;
use crate::phone::PhoneNumber;
use crate::ports::{AppointmentRepository, Clock, InboxRepository, StoreError};

/// The inbox lists at most this many messages.
pub const INBOX_LIMIT: u32 = 500;

/// What a text did, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Confirmed(AppointmentId),
    Cancelled(AppointmentId),
    /// Kept for staff.
    Kept(InboundMessageId),
}

/// What a text did, and the answer to text back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyAnswer {
    pub handled: Handled,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InboxError {
    #[error("no such message")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Replies {
    clinic: Clinic,
    inbox: Arc<dyn InboxRepository>,
    appointments: Arc<dyn AppointmentRepository>,
    clock: Arc<dyn Clock>,
    /// `REPLIES`; off, C and X are texts like any other.
    understood: bool,
}

impl Replies {
    pub fn new(
        clinic: Clinic,
        inbox: Arc<dyn InboxRepository>,
        appointments: Arc<dyn AppointmentRepository>,
        clock: Arc<dyn Clock>,
        understood: bool,
    ) -> Self {
        Self { clinic, inbox, appointments, clock, understood }
    }

    /// Answers a text that is no keyword (STOP, START, HELP come first): a reply acts on
    /// the visit last reminded at the sender's number while it is still as reminded;
    /// anything else is kept for staff, and the answer says truthfully why.
    pub fn answer(&self, from: Option<&PhoneNumber>, body: &str) -> Result<ReplyAnswer, StoreError> {
        let reply = Reply::of(body).filter(|_| self.understood);
        let visit = self.reminded_visit(from, None)?;
        if let (Some(reply), Some(visit)) = (reply, &visit) {
            if visit.state(self.clock.now()) == VisitState::AsReminded {
                if let Some(done) = self.act(reply, visit)? {
                    return Ok(done);
                }
                // It changed under us: answer from what it became.
                let became = self.reminded_visit(from, Some(visit.appointment.id))?;
                return self.keep(from, became.as_ref(), body, Some(reply));
            }
        }
        self.keep(from, visit.as_ref(), body, reply)
    }

    /// Kept messages, newest first.
    pub fn inbox(&self, unread_only: bool) -> Result<Vec<InboxEntry>, InboxError> {
        Ok(self.inbox.inbox(unread_only, INBOX_LIMIT)?)
    }

    pub fn mark_read(&self, id: InboundMessageId) -> Result<InboxEntry, InboxError> {
        self.inbox.mark_read(id, self.clock.now())?.ok_or(InboxError::NotFound)
    }

    fn reminded_visit(
        &self,
        from: Option<&PhoneNumber>,
        only: Option<AppointmentId>,
    ) -> Result<Option<RemindedVisit>, StoreError> {
        match from {
            Some(phone) => self.inbox.reminded_visit(phone, self.clock.now(), only),
            None => Ok(None),
        }
    }

    /// Confirms or cancels the visit if it is still as reminded; `None` if it is not.
    fn act(&self, reply: Reply, visit: &RemindedVisit) -> Result<Option<ReplyAnswer>, StoreError> {
        let a = &visit.appointment;
        let (clinic, doctor) = (&self.clinic, visit.doctor_name.as_str());
        match reply {
            Reply::Confirm => {
                Ok(self.inbox.confirm(a.id, visit.reminded_version, self.clock.now())?.then(|| ReplyAnswer {
                    handled: Handled::Confirmed(a.id),
                    text: message::reply_confirmed(clinic, doctor, a.scheduled_start),
                }))
            }
            Reply::Cancel => {
                // Only the version reminded, and only before it starts; the answer is
                // the acknowledgement, so no cancellation text follows it.
                let as_reminded = |now: &Appointment| {
                    now.version == visit.reminded_version && now.scheduled_start > self.clock.now()
                };
                let cancellation = Cancellation { by: CancelledBy::Patient, reason: None };
                let cancelled = move_to_telling(
                    &*self.appointments,
                    &*self.clock,
                    a.id,
                    AppointmentStatus::Cancelled,
                    Some(cancellation),
                    as_reminded,
                    false,
                );
                match cancelled {
                    Ok(_) => Ok(Some(ReplyAnswer {
                        handled: Handled::Cancelled(a.id),
                        text: message::cancelled_as_asked(clinic, doctor, a.scheduled_start),
                    })),
                    Err(ChangeError::Store(error)) => Err(error),
                    Err(_) => Ok(None),
                }
            }
        }
    }

    /// Keeps the text for staff; the answer says what became of the visit a reply was
    /// about, or that the clinic has the message.
    fn keep(
        &self,
        from: Option<&PhoneNumber>,
        visit: Option<&RemindedVisit>,
        body: &str,
        reply: Option<Reply>,
    ) -> Result<ReplyAnswer, StoreError> {
        let now = self.clock.now();
        let message = InboundMessage::received(from.cloned(), visit.map(|v| &v.appointment), body, now);
        self.inbox.keep(&message)?;
        let clinic = &self.clinic;
        let text = match (reply, visit) {
            (Some(_), Some(visit)) => {
                let (doctor, start) = (visit.doctor_name.as_str(), visit.appointment.scheduled_start);
                match visit.state(now) {
                    VisitState::Cancelled => message::reply_already_cancelled(clinic, doctor, start),
                    VisitState::Moved => message::reply_moved(clinic, doctor, start),
                    VisitState::AsReminded | VisitState::Started => message::reply_passed_on(clinic),
                }
            }
            _ => message::reply_passed_on(clinic),
        };
        Ok(ReplyAnswer { handled: Handled::Kept(message.id), text })
    }
}

#[cfg(test)]
mod tests;
