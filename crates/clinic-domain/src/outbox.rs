//! Delivering the outbox: claim due messages, send each once, record what happened.
//!
//! Rows are claimed with their context (is the appointment still on? has the patient
//! opted out?) so that the decision to send is made at sending time, not at booking.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use crate::appointment::AppointmentStatus;
use crate::clinic::Clinic;
use crate::events::{EARLY_REPORT_LIFETIME, apply_report};
use crate::gateway::{OutgoingMessage, SendError, SmsGateway};
use crate::ids::{AppointmentId, NotificationId, PatientId};
use crate::message;
use crate::notification::{NotificationKind, SkipReason};
use crate::patient::Channel;
use crate::phone::PhoneNumber;
use crate::ports::{Clock, NotificationRepository, StoreError};

/// A message gives up after this many tries.
pub const MAX_ATTEMPTS: u32 = 5;

/// A pending message that is due, with what deciding and composing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotification {
    pub id: NotificationId,
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub kind: NotificationKind,
    pub channel: Channel,
    pub to_phone: Option<PhoneNumber>,
    /// `None` until composed (reminders are composed when first sent).
    pub message: Option<String>,
    pub attempts: u32,
    pub appointment_status: AppointmentStatus,
    pub scheduled_start: OffsetDateTime,
    pub doctor_name: String,
    pub patient_sms_opt_in: bool,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent {
        provider_sid: String,
    },
    Failed {
        code: Option<String>,
        message: String,
    },
    /// Back to pending until `at`.
    Retry {
        at: OffsetDateTime,
        code: Option<String>,
        message: String,
    },
    Skipped(SkipReason),
}

/// One message's outcome, as the batch records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: NotificationId,
    pub patient_id: PatientId,
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

/// Who is delivering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Worker,
    Reminders,
}

impl Run {
    fn scope(self, now: OffsetDateTime) -> Scope {
        match self {
            Self::Worker => Scope::Everything { reminders_created_before: now - REMINDER_HANDOFF },
            Self::Reminders => Scope::Reminders,
        }
    }
}

/// Claimed rows, locked against other workers until finished or dropped; dropping
/// without finishing releases them untouched.
pub trait ClaimedBatch: Send {
    fn notifications(&self) -> &[DueNotification];
    /// Records the outcomes (rows without one stay pending) and releases the batch.
    fn finish(&mut self, deliveries: &[Delivery]) -> Result<(), StoreError>;
}

/// What one delivery run did: the cron summary's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Rows this run handled (claimed and given an outcome).
    pub processed: u32,
    pub sent: u32,
    /// Failed for good, or left for a retry.
    pub failed: u32,
    pub skipped: u32,
    /// Rows claimed but not reached before the deadline or a stop: still pending.
    pub left: u32,
}

impl DeliveryReport {
    fn add(&mut self, delivery: &Delivery) {
        self.processed += 1;
        match delivery.outcome {
            DeliveryOutcome::Sent { .. } => self.sent += 1,
            DeliveryOutcome::Failed { .. } | DeliveryOutcome::Retry { .. } => self.failed += 1,
            DeliveryOutcome::Skipped(_) => self.skipped += 1,
        }
    }

    pub fn merge(&mut self, other: Self) {
        self.processed += other.processed;
        self.sent += other.sent;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.left += other.left;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Rows claimed at a time.
    pub batch_size: u32,
    /// Messages in flight at once.
    pub concurrency: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { batch_size: 50, concurrency: 4 }
    }
}

/// When a run must stop starting new sends.
pub struct Until<'a> {
    /// The run's time budget, by the domain's clock.
    pub deadline: Option<OffsetDateTime>,
    /// Set on shutdown.
    pub stop: &'a AtomicBool,
}

pub struct Outbox {
    clinic: Clinic,
    notifications: Arc<dyn NotificationRepository>,
    gateway: Arc<dyn SmsGateway>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
}

impl Outbox {
    pub fn new(
        clinic: Clinic,
        notifications: Arc<dyn NotificationRepository>,
        gateway: Arc<dyn SmsGateway>,
        clock: Arc<dyn Clock>,
        settings: DeliverySettings,
    ) -> Self {
        Self { clinic, notifications, gateway, clock, settings }
    }

    /// The outbox worker's run: delivers due batches until none is left, or a stop.
    pub fn deliver_due(&self, until: &Until<'_>) -> Result<DeliveryReport, StoreError> {
        self.deliver_batches(Run::Worker, until)
    }

    /// A reminders run: delivers due reminders until none is left, the deadline
    /// passes, or a stop.
    pub fn deliver_reminders(&self, until: &Until<'_>) -> Result<DeliveryReport, StoreError> {
        self.deliver_batches(Run::Reminders, until)
    }

    fn deliver_batches(&self, run: Run, until: &Until<'_>) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        loop {
            let batch = self.deliver_batch(run, until)?;
            report.merge(batch);
            let claimed = batch.processed + batch.left;
            if claimed < self.settings.batch_size || batch.left > 0 {
                return Ok(report);
            }
        }
    }

    /// Claims one batch and delivers it with bounded concurrency.
    fn deliver_batch(&self, run: Run, until: &Until<'_>) -> Result<DeliveryReport, StoreError> {
        if self.must_stop(until) {
            return Ok(DeliveryReport::default());
        }
        let now = self.clock.now();
        let mut batch = self.notifications.claim_due(run.scope(now), now, self.settings.batch_size)?;
        let due = batch.notifications();
        let next = Mutex::new(due.iter());
        let deliveries = Mutex::new(Vec::with_capacity(due.len()));
        // The senders log inside the caller's span: its request id, or its worker run.
        let span = tracing::Span::current();
        std::thread::scope(|s| {
            for _ in 0..self.settings.concurrency.clamp(1, due.len().max(1)) {
                s.spawn(|| {
                    let _span = span.enter();
                    while !self.must_stop(until) {
                        let Some(row) = next.lock().unwrap_or_else(PoisonError::into_inner).next() else {
                            break;
                        };
                        let delivery = self.deliver_one(row);
                        deliveries.lock().unwrap_or_else(PoisonError::into_inner).push(delivery);
                    }
                });
            }
        });
        let deliveries = deliveries.into_inner().unwrap_or_else(PoisonError::into_inner);
        let mut report =
            DeliveryReport { left: (due.len() - deliveries.len()) as u32, ..DeliveryReport::default() };
        deliveries.iter().for_each(|d| report.add(d));
        batch.finish(&deliveries)?;
        self.apply_early_reports(&deliveries)?;
        Ok(report)
    }

    /// Status callbacks can beat the batch's commit; those kept meanwhile apply now.
    fn apply_early_reports(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let sids: Vec<String> = deliveries
            .iter()
            .filter_map(|d| match &d.outcome {
                DeliveryOutcome::Sent { provider_sid } => Some(provider_sid.clone()),
                _ => None,
            })
            .collect();
        if sids.is_empty() {
            return Ok(());
        }
        let forget_before = self.clock.now() - EARLY_REPORT_LIFETIME;
        for report in self.notifications.take_early_reports(&sids, forget_before)? {
            if sids.contains(&report.sid) {
                apply_report(&*self.notifications, &report)?;
            }
        }
        Ok(())
    }

    fn must_stop(&self, until: &Until<'_>) -> bool {
        until.stop.load(Ordering::Relaxed)
            || until.deadline.is_some_and(|deadline| self.clock.now() >= deadline)
    }

    /// Decides, composes and sends one message.
    fn deliver_one(&self, row: &DueNotification) -> Delivery {
        let message = row.message.clone().unwrap_or_else(|| self.compose(row));
        let segments = message::sms_segments(&message);
        let delivery = |outcome, attempts, patient_opted_out, at| Delivery {
            id: row.id,
            patient_id: row.patient_id,
            message: message.clone(),
            segments,
            attempts,
            outcome,
            patient_opted_out,
            at,
        };
        let now = self.clock.now();
        let recipient = SkipReason::recipient(
            row.to_phone.as_ref(),
            row.patient_sms_opt_in,
            row.appointment_status,
            row.scheduled_start,
            now,
        );
        let to = match recipient {
            Ok(to) => to.clone(),
            Err(reason) => return delivery(DeliveryOutcome::Skipped(reason), row.attempts, false, now),
        };
        let result = self.gateway.send(&OutgoingMessage { channel: row.channel, to, body: message.clone() });
        let (at, attempts) = (self.clock.now(), row.attempts + 1);
        match result {
            Ok(provider_sid) => delivery(DeliveryOutcome::Sent { provider_sid }, attempts, false, at),
            Err(SendError::NotConfigured(what)) => {
                delivery(DeliveryOutcome::Skipped(SkipReason::NotConfigured(what)), row.attempts, false, at)
            }
            Err(SendError::Permanent { code, message }) => {
                delivery(DeliveryOutcome::Failed { code, message }, attempts, false, at)
            }
            Err(SendError::OptedOut { code, message }) => {
                delivery(DeliveryOutcome::Failed { code, message }, attempts, true, at)
            }
            Err(SendError::Retryable { code, message, .. }) if attempts >= MAX_ATTEMPTS => {
                let message = format!("gave up after {MAX_ATTEMPTS} attempts: {message}");
                delivery(DeliveryOutcome::Failed { code, message }, attempts, false, at)
            }
            Err(SendError::Retryable { code, message, retry_after }) => {
                let retry = at + retry_delay(row.id, attempts, retry_after);
                delivery(DeliveryOutcome::Retry { at: retry, code, message }, attempts, false, at)
            }
        }
    }

    fn compose(&self, row: &DueNotification) -> String {
        match row.kind {
            NotificationKind::Reminder => {
                message::reminder(&self.clinic, &row.doctor_name, row.scheduled_start)
            }
            NotificationKind::Confirmation | NotificationKind::QueueAlert => {
                message::confirmation(&self.clinic, &row.doctor_name, row.scheduled_start)
            }
        }
    }
}

/// Exponential backoff from 30 s, doubling per attempt, at most 15 min, with up to half
/// of it as jitter; never sooner than the provider's `Retry-After`. The jitter comes
/// from the message's random id, so messages failing together retry apart.
pub fn retry_delay(id: NotificationId, attempts: u32, retry_after: Option<Duration>) -> time::Duration {
    const BASE: u64 = 30;
    const CAP: u64 = 15 * 60;
    let exponential = BASE.saturating_mul(1 << attempts.saturating_sub(1).min(16)).min(CAP);
    let spread = (id.as_uuid().as_u128().rotate_left(attempts * 7) % 1000) as u64;
    let millis = exponential * 500 + exponential * 500 * spread / 1000;
    let backoff = Duration::from_millis(millis);
    let wait = retry_after.map_or(backoff, |after| after.max(backoff));
    time::Duration::try_from(wait).unwrap_or(time::Duration::MINUTE)
}

#[cfg(test)]
mod tests;
