//! The walk-in queue: tickets numbered per clinic-local day, their places in line, the
//! wait they can expect, and which of them are owed a text.

use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::ids::{DoctorId, NotificationId, PatientId, TicketId};
use crate::notification::SkipReason;
use crate::phone::PhoneNumber;

named_enum!(
    /// Where a ticket is in its day.
    TicketStatus {
        Waiting = "waiting",
        /// Sent to a room; may be called again.
        Called = "called",
        Served = "served",
        /// Went home unseen.
        Left = "left",
    }
);

impl TicketStatus {
    /// Served or left: nothing more happens to the ticket.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Served | Self::Left)
    }
}

/// The wait per patient when no ticket has been served yet.
pub const DEFAULT_SERVE_TIME: Duration = Duration::minutes(10);

/// How many recent serve times the estimate takes the median of.
pub const SERVE_TIMES_KEPT: u32 = 20;

/// The N-th place in line that is texted, unless `QUEUE_ALERT_AHEAD` says otherwise.
pub const DEFAULT_ALERT_AHEAD: u32 = 3;

/// A ticket as the desk issues it; the store gives it its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub id: TicketId,
    pub day: Date,
    pub patient_id: PatientId,
    pub doctor_id: Option<DoctorId>,
    pub status_token: String,
    pub issued_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    /// The clinic-local day it was issued on.
    pub day: Date,
    pub number: u32,
    pub patient_id: PatientId,
    /// The patient's name and phone as their profile says now, for the desk only.
    pub patient_name: String,
    pub patient_phone: Option<PhoneNumber>,
    /// `None`: whichever doctor is free.
    pub doctor_id: Option<DoctorId>,
    pub status: TicketStatus,
    pub status_token: String,
    /// The room the last call named.
    pub room: Option<String>,
    pub calls: u32,
    /// Its place in line when issued.
    pub issued_position: u32,
    pub issued_at: OffsetDateTime,
}

impl Ticket {
    /// `A001`, `A002`, ...
    pub fn label(&self) -> String {
        format!("A{:03}", self.number)
    }

    /// Whether the ticket is owed the N-th-in-line text at `position`: it is waiting at
    /// or ahead of the `ahead`-th place, and was issued behind it (a visitor issued near
    /// the front is still at the desk). Once per ticket is the store's to keep.
    pub fn owed_ahead_alert(&self, position: Option<u32>, ahead: u32) -> bool {
        self.status == TicketStatus::Waiting
            && position.is_some_and(|p| p <= ahead)
            && self.issued_position > ahead
    }
}

/// A fresh public status token: two random (v4) UUIDs, 244 random bits, as 64 hex digits.
pub fn status_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Whether `token` has the shape [`status_token`] gives: anything else names no ticket,
/// and is not worth asking the database about.
pub fn is_status_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A ticket with its place in line (waiting tickets only) and the wait it can expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedTicket {
    pub ticket: Ticket,
    pub position: Option<u32>,
    pub estimated_wait_minutes: Option<u32>,
}

/// Places in line, one per ticket of a day (given by number): a doctor's tickets form
/// that doctor's line, tickets for any doctor one line of their own; only waiting
/// tickets have a place.
pub fn positions(tickets: &[Ticket]) -> Vec<Option<u32>> {
    tickets
        .iter()
        .map(|ticket| {
            (ticket.status == TicketStatus::Waiting).then(|| {
                let ahead = tickets.iter().filter(|other| {
                    other.status == TicketStatus::Waiting
                        && other.doctor_id == ticket.doctor_id
                        && other.number < ticket.number
                });
                u32::try_from(ahead.count()).unwrap_or(u32::MAX).saturating_add(1)
            })
        })
        .collect()
}

/// The median of recent serve times, or [`DEFAULT_SERVE_TIME`] when there are none.
pub fn serve_time(recent: &[Duration]) -> Duration {
    let mut sorted = recent.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => DEFAULT_SERVE_TIME,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// The expected wait at `position`: the position times the serve time, in whole
/// minutes, rounded up.
pub fn estimated_wait_minutes(position: u32, serve_time: Duration) -> u32 {
    let seconds = serve_time.whole_seconds().max(0).saturating_mul(i64::from(position));
    u32::try_from(seconds.div_euclid(60) + i64::from(seconds.rem_euclid(60) > 0)).unwrap_or(u32::MAX)
}

/// A `queue_alert` as it enters the outbox; the store addresses it to the ticket's
/// patient as their profile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAlert {
    pub id: NotificationId,
    pub ticket_id: TicketId,
    /// 0: the N-th-in-line alert; k: the ticket's k-th call. One of each per ticket.
    pub call: u32,
    pub message: String,
    pub segments: u32,
    pub created_at: OffsetDateTime,
}

/// What deciding to send a queue alert needs: the ticket as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketNow {
    pub status: TicketStatus,
    pub calls: u32,
    /// The alert's own call (0 for the N-th-in-line alert).
    pub call: u32,
}

impl TicketNow {
    /// The number to text, or why nothing may be: the place-in-line alert only while the
    /// ticket waits, a call only while it is the latest call of a ticket not yet served.
    pub fn recipient<'a>(
        &self,
        phone: Option<&'a PhoneNumber>,
        sms_opt_in: bool,
    ) -> Result<&'a PhoneNumber, SkipReason> {
        let still_true = match self.call {
            0 => self.status == TicketStatus::Waiting,
            call => self.status == TicketStatus::Called && self.calls == call,
        };
        if !still_true {
            Err(SkipReason::TicketMovedOn)
        } else if !sms_opt_in {
            Err(SkipReason::OptedOut)
        } else {
            phone.ok_or(SkipReason::NoPhone)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
