//! Messages on their way: what a delivery run claims, and what became of each.

use time::OffsetDateTime;

use crate::appointment::{AppointmentStatus, Cancellation};
use crate::ids::{AppointmentId, NotificationId, PatientId};
use crate::notification::{NotificationKind, SkipReason};
use crate::patient::Channel;
use crate::phone::PhoneNumber;
use crate::queue::TicketNow;

/// A pending message that is due, with what deciding and composing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotification {
    pub id: NotificationId,
    /// `None` for a queue alert, which is about a ticket.
    pub appointment_id: Option<AppointmentId>,
    pub patient_id: PatientId,
    pub kind: NotificationKind,
    pub channel: Channel,
    pub to_phone: Option<PhoneNumber>,
    /// The text as an earlier attempt composed it, if any: asked about as it was sent.
    pub message: Option<String>,
    /// Attempts recorded before this one.
    pub attempts: u32,
    /// When the earliest earlier attempt whose outcome was never recorded started (the
    /// process died, the database went away, the provider did not answer): the provider
    /// may hold that message, so it is asked before anything is sent.
    pub unresolved_since: Option<OffsetDateTime>,
    /// When an earlier batch that never recorded its attempt was first found gone (its
    /// lock free). That batch may have lost only its database connection and still be
    /// sending for a while: the message waits a grace from then before it is asked about.
    pub lost_since: Option<OffsetDateTime>,
    /// For a queue alert, its ticket as it is now; the text was composed when the alert
    /// was made, and the appointment fields below are not read.
    pub ticket: Option<TicketNow>,
    /// The appointment as it is now (messages are composed from it when sent).
    pub appointment_status: AppointmentStatus,
    pub scheduled_start: OffsetDateTime,
    pub doctor_name: String,
    /// The version of the appointment the message is about, and its version now.
    pub about_version: u32,
    pub appointment_version: u32,
    pub cancellation: Option<Cancellation>,
    /// Whether any message about this appointment has reached the patient already.
    pub patient_told: bool,
    pub patient_sms_opt_in: bool,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent {
        provider_sid: String,
    },
    /// An earlier attempt had reached the provider after all: that message is this one.
    Adopted {
        provider_sid: String,
    },
    Failed {
        code: Option<String>,
        message: String,
    },
    /// Not sent; back to pending until `at`.
    Retry {
        at: OffsetDateTime,
        code: Option<String>,
        message: String,
    },
    /// The provider may hold the message; pending until `at`, when it is asked first.
    Unknown {
        at: OffsetDateTime,
        message: String,
    },
    Skipped(SkipReason),
}

impl DeliveryOutcome {
    /// Whether every earlier attempt's fate is now known, so none needs asking about.
    pub fn settles_attempts(&self) -> bool {
        !matches!(self, Self::Unknown { .. })
    }

    /// The outcome's name, for counting: `sent`, `adopted`, `failed`, `retry`,
    /// `unknown` or `skipped`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sent { .. } => "sent",
            Self::Adopted { .. } => "adopted",
            Self::Failed { .. } => "failed",
            Self::Retry { .. } => "retry",
            Self::Unknown { .. } => "unknown",
            Self::Skipped(_) => "skipped",
        }
    }

    /// The provider's id of the message, when it has one.
    pub fn provider_sid(&self) -> Option<&str> {
        match self {
            Self::Sent { provider_sid } | Self::Adopted { provider_sid } => Some(provider_sid),
            _ => None,
        }
    }
}

/// One message's outcome, as the batch records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: NotificationId,
    pub patient_id: PatientId,
    pub kind: NotificationKind,
    pub message: String,
    pub segments: u32,
    /// Attempts including this one (unchanged for a skip).
    pub attempts: u32,
    pub outcome: DeliveryOutcome,
    /// The provider says the patient opted out: stop texting them.
    pub patient_opted_out: bool,
    pub at: OffsetDateTime,
}

/// Which due rows a delivery run takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The outbox worker's share: everything, except reminders created after this
    /// instant, which the reminders run that created them is sending (so its summary
    /// counts them); the worker takes over whatever that run leaves.
    Everything {
        reminders_created_before: OffsetDateTime,
    },
    Reminders,
}

/// How long a reminders run keeps the reminders it created to itself: its budget, and
/// a margin for the run's own start.
pub const REMINDER_HANDOFF: time::Duration = time::Duration::seconds(60);

/// What recording a batch noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Messages whose provider id another message has too (a provider's mistake):
    /// recorded as sent all the same.
    pub shared_sids: Vec<(NotificationId, String)>,
}
