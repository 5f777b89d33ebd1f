//! What Twilio tells us after sending: how delivery went, and what patients text back.

use std::sync::Arc;

use crate::clinic::Clinic;
use crate::message;
use crate::notification::StatusReport;
use crate::phone::PhoneNumber;
use crate::ports::{Clock, NotificationRepository, PatientRepository, StoreError};
use crate::replies::{Handled, Replies};

/// How far along a delivery status is. Callbacks arrive late, twice, or out of order;
/// a status only replaces one that is earlier. The final states (`delivered`,
/// `undelivered`, `failed`, `canceled`) are never replaced by another final or earlier
/// one; only WhatsApp's `read` comes after them.
fn progress(status: &str) -> u8 {
    match status {
        "accepted" | "scheduled" => 1,
        "queued" => 2,
        "sending" => 3,
        "sent" => 4,
        "delivered" | "undelivered" | "failed" | "canceled" => 5,
        "read" => 6,
        _ => 0,
    }
}

/// Whether `new` may replace `current` as a message's delivery status.
pub fn supersedes(new: &str, current: Option<&str>) -> bool {
    current.is_none_or(|current| progress(new) > progress(current))
}

/// A keyword an incoming text may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

impl Keyword {
    /// The keyword of a text, in any case and with surrounding spaces; Twilio's
    /// `OptOutType` (Advanced Opt-Out), when present, is authoritative.
    pub fn of(body: &str, opt_out_type: Option<&str>) -> Option<Self> {
        let word = opt_out_type.filter(|t| !t.trim().is_empty()).unwrap_or(body).trim().to_ascii_uppercase();
        match word.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some(Self::OptOut),
            "START" | "YES" | "UNSTOP" => Some(Self::OptIn),
            "HELP" | "INFO" => Some(Self::Help),
            _ => None,
        }
    }
}

/// What to text back to an incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Nothing,
    Text(String),
}

/// What an incoming text changed, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The sender's number, when it is one.
    pub from: Option<PhoneNumber>,
    pub keyword: Option<Keyword>,
    /// Profiles whose consent changed.
    pub profiles: u64,
    pub answer: Answer,
    /// What a text that is no keyword did, when replies are answered.
    pub reply: Option<Handled>,
}

/// Applies a report to the message with its SID, if it moves the status forward;
/// whether there is such a message. Concurrent reports: the update is conditional on
/// what was read, and decided again if it missed.
pub(crate) fn apply_report(
    notifications: &dyn NotificationRepository,
    report: &StatusReport,
) -> Result<bool, StoreError> {
    for _ in 0..3 {
        let Some(current) = notifications.delivery_status(&report.sid)? else { return Ok(false) };
        if !supersedes(&report.status, current.as_deref()) {
            return Ok(true);
        }
        let StatusReport { sid, status, error_code, at } = report;
        if notifications.record_delivery_status(sid, current, status, error_code.clone(), *at)? {
            return Ok(true);
        }
    }
    Err(StoreError::failed(format!("delivery status of {} kept changing", report.sid)))
}

pub struct MessageEvents {
    clinic: Clinic,
    patients: Arc<dyn PatientRepository>,
    notifications: Arc<dyn NotificationRepository>,
    clock: Arc<dyn Clock>,
    /// Answers texts that are no keyword; without it they are not stored.
    replies: Option<Arc<Replies>>,
}

impl MessageEvents {
    pub fn new(
        clinic: Clinic,
        patients: Arc<dyn PatientRepository>,
        notifications: Arc<dyn NotificationRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { clinic, patients, notifications, clock, replies: None }
    }

    /// The same events, answering texts that are no keyword through `replies`.
    pub fn answering(self, replies: Arc<Replies>) -> Self {
        Self { replies: Some(replies), ..self }
    }

    /// Records a status callback; whether the message is known. A status earlier than
    /// the one recorded changes nothing. A report for a SID not recorded yet (its batch
    /// has not committed) is kept, and applied when the send is recorded.
    pub fn delivery_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Result<bool, StoreError> {
        let report = StatusReport {
            sid: sid.to_owned(),
            status: status.to_owned(),
            error_code: error_code.map(str::to_owned),
            at: self.clock.now(),
        };
        if apply_report(&*self.notifications, &report)? {
            return Ok(true);
        }
        self.notifications.keep_early_report(&report)?;
        // The batch may have committed between our two looks, before looking for reports.
        apply_report(&*self.notifications, &report)
    }

    /// Handles a text from `from` (`+E164`, or `whatsapp:+E164`): STOP and its synonyms
    /// opt every profile with that phone out, START opts back in, HELP is answered.
    /// Other texts go to [`Replies`], when answering them.
    pub fn received(
        &self,
        from: &str,
        body: &str,
        opt_out_type: Option<&str>,
    ) -> Result<Received, StoreError> {
        let keyword = Keyword::of(body, opt_out_type);
        let from = PhoneNumber::parse(from.trim().trim_start_matches("whatsapp:")).ok();
        let consent = match keyword {
            Some(Keyword::OptOut) => Some(false),
            Some(Keyword::OptIn) => Some(true),
            Some(Keyword::Help) | None => None,
        };
        let profiles = match (consent, &from) {
            (Some(opt_in), Some(phone)) => self.patients.set_sms_opt_in(phone, opt_in, self.clock.now())?,
            _ => 0,
        };
        let (answer, reply) = match (keyword, &self.replies) {
            (Some(Keyword::Help), _) => (Answer::Text(message::help(&self.clinic)), None),
            (None, Some(replies)) => {
                let answered = replies.answer(from.as_ref(), body)?;
                (Answer::Text(answered.text), Some(answered.handled))
            }
            (Some(_), _) | (None, None) => (Answer::Nothing, None),
        };
        Ok(Received { from, keyword, profiles, answer, reply })
    }
}

#[cfg(test)]
mod tests;
