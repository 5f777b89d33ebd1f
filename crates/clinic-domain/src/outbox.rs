//! Delivering the outbox: claim due messages, send each once, record what happened.
//!
//! Rows are claimed with their context (is the appointment still on? has the patient
//! opted out?) so that the decision to send is made at sending time, not at booking.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::appointment::{AppointmentStatus, Cancellation, CancelledBy};
use crate::clinic::Clinic;
use crate::delivery::{Delivery, DeliveryOutcome, DueNotification, REMINDER_HANDOFF, Recorded, Scope};
use crate::events::apply_report;
use crate::gateway::{OutgoingMessage, SendError, SmsGateway};
use crate::ids::NotificationId;
use crate::message;
use crate::notification::EARLY_REPORT_LIFETIME;
use crate::notification::{NotificationKind, SkipReason};
use crate::ports::{ClaimedBatch, Clock, NotificationRepository, StoreError};

/// A message gives up after this many tries.
pub const MAX_ATTEMPTS: u32 = 5;

/// How far the provider's clock may be behind ours when it stamps a message's creation.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(2);

/// Twilio's bounds on how long it may hold a message before dropping it.
const VALIDITY: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(36_000));

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

/// What one delivery run did: the cron summary's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Rows this run handled (claimed and given an outcome).
    pub processed: u32,
    /// Accepted by the provider, adopted ones included.
    pub sent: u32,
    /// Of those sent, found at the provider from an earlier attempt rather than sent now.
    pub adopted: u32,
    /// Failed for good, or left for a retry.
    pub failed: u32,
    pub skipped: u32,
    /// Rows claimed but not reached before the deadline or a stop: still pending.
    pub left: u32,
    /// Rows whose outcome could not be recorded: the next attempt asks the provider
    /// before sending, so none is sent twice.
    pub unrecorded: u32,
}

impl DeliveryReport {
    fn add(&mut self, delivery: &Delivery) {
        self.processed += 1;
        match delivery.outcome {
            DeliveryOutcome::Sent { .. } => self.sent += 1,
            DeliveryOutcome::Adopted { .. } => {
                self.sent += 1;
                self.adopted += 1;
            }
            DeliveryOutcome::Failed { .. }
            | DeliveryOutcome::Retry { .. }
            | DeliveryOutcome::Unknown { .. } => self.failed += 1,
            DeliveryOutcome::Skipped(_) => self.skipped += 1,
        }
    }

    pub fn merge(&mut self, other: Self) {
        self.processed += other.processed;
        self.sent += other.sent;
        self.adopted += other.adopted;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.left += other.left;
        self.unrecorded += other.unrecorded;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Rows claimed at a time.
    pub batch_size: u32,
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Recording a batch's outcomes is tried this many times...
    pub record_tries: u32,
    /// ...waiting this long after the first failure, twice as long after each next.
    pub record_backoff: Duration,
    /// How long a batch that lost its database connection may go on with a send it had
    /// started: a check of the connection (at most a second apart) and one send's time.
    pub lost_batch_grace: time::Duration,
    /// How often a batch checks, before a send, that it still holds its rows.
    pub held_check: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            batch_size: 50,
            concurrency: 4,
            record_tries: 6,
            record_backoff: Duration::from_millis(200),
            lost_batch_grace: time::Duration::seconds(12),
            held_check: Duration::from_secs(1),
        }
    }
}

/// When a run must stop starting new sends.
pub struct Until<'a> {
    /// The run's time budget, by the domain's clock.
    pub deadline: Option<OffsetDateTime>,
    /// Set on shutdown.
    pub stop: &'a AtomicBool,
}

/// What the outbox tells whoever runs it, as it happens: the server logs and counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxEvent<'a> {
    /// One message's outcome, as it is about to be recorded.
    Delivered { id: NotificationId, kind: NotificationKind, outcome: &'a DeliveryOutcome },
    /// Recording a batch failed; tried again after `retry_in`, or given up (`None`).
    RecordFailed { error: &'a StoreError, retry_in: Option<Duration> },
    /// The provider gave this message an id another message has too.
    SharedSid { id: NotificationId, sid: &'a str },
    /// Delivering this message panicked; it is asked about before any new send.
    Panicked { id: NotificationId, cause: &'a str },
}

pub trait OutboxObserver: Send + Sync {
    fn observe(&self, event: OutboxEvent<'_>);
}

/// Tells nobody.
pub struct Unobserved;

impl OutboxObserver for Unobserved {
    fn observe(&self, _: OutboxEvent<'_>) {}
}

pub struct Outbox {
    clinic: Clinic,
    notifications: Arc<dyn NotificationRepository>,
    gateway: Arc<dyn SmsGateway>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
    observer: Arc<dyn OutboxObserver>,
    /// Reminders invite a reply (C or X) when set.
    replies: bool,
}

impl Outbox {
    pub fn new(
        clinic: Clinic,
        notifications: Arc<dyn NotificationRepository>,
        gateway: Arc<dyn SmsGateway>,
        clock: Arc<dyn Clock>,
        settings: DeliverySettings,
    ) -> Self {
        Self {
            clinic,
            notifications,
            gateway,
            clock,
            settings,
            observer: Arc::new(Unobserved),
            replies: false,
        }
    }

    /// The same outbox; with `replies`, reminders end inviting a reply (`REPLIES`).
    pub fn inviting_replies(self, replies: bool) -> Self {
        Self { replies, ..self }
    }

    /// The same outbox, telling `observer` what happens.
    pub fn observed_by(self, observer: Arc<dyn OutboxObserver>) -> Self {
        Self { observer, ..self }
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
            // A batch that could not be recorded comes back, to be asked about, once
            // its rows are free: not in this run.
            if claimed < self.settings.batch_size || batch.left > 0 || batch.unrecorded > 0 {
                return Ok(report);
            }
        }
    }

    /// Claims one batch, delivers it with bounded concurrency, and records it.
    fn deliver_batch(&self, run: Run, until: &Until<'_>) -> Result<DeliveryReport, StoreError> {
        if self.must_stop(until) {
            return Ok(DeliveryReport::default());
        }
        let now = self.clock.now();
        let mut batch = self.notifications.claim_due(run.scope(now), now, self.settings.batch_size)?;
        // One span per batch: every line its sends and its record log carries it.
        let span = tracing::info_span!("outbox_batch", messages = batch.notifications().len());
        let _batch = span.enter();
        let deliveries = self.deliver_all(&*batch, until);
        let mut report = DeliveryReport {
            left: (batch.notifications().len() - deliveries.len()) as u32,
            ..DeliveryReport::default()
        };
        deliveries.iter().for_each(|d| report.add(d));
        for d in &deliveries {
            self.observer.observe(OutboxEvent::Delivered { id: d.id, kind: d.kind, outcome: &d.outcome });
        }
        match self.record(&mut *batch, &deliveries) {
            Ok(recorded) => {
                for (id, sid) in &recorded.shared_sids {
                    self.observer.observe(OutboxEvent::SharedSid { id: *id, sid });
                }
                self.apply_early_reports(&deliveries)?;
            }
            Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
            Err(StoreError::Failed(_)) => report.unrecorded = deliveries.len() as u32,
        }
        Ok(report)
    }

    /// Sends the batch's messages, `concurrency` at a time, until done, told to stop, or
    /// the batch no longer holds its rows. A message an earlier, lost batch may still be
    /// sending is left for after the grace.
    fn deliver_all(&self, batch: &dyn ClaimedBatch, until: &Until<'_>) -> Vec<Delivery> {
        let now = self.clock.now();
        let due = batch.notifications();
        let grace = self.settings.lost_batch_grace;
        let next = Mutex::new(due.iter().filter(|row| row.lost_since.is_none_or(|lost| lost + grace <= now)));
        let held = Held {
            every: self.settings.held_check,
            checked: Mutex::new(Instant::now()),
            lost: AtomicBool::new(false),
        };
        let deliveries = Mutex::new(Vec::with_capacity(due.len()));
        // The senders log inside the caller's span: its request id, or its worker run.
        let span = tracing::Span::current();
        std::thread::scope(|s| {
            for _ in 0..self.settings.concurrency.clamp(1, due.len().max(1)) {
                s.spawn(|| {
                    let _span = span.enter();
                    while !self.must_stop(until) && held.confirmed(batch) {
                        let Some(row) = next.lock().unwrap_or_else(PoisonError::into_inner).next() else {
                            break;
                        };
                        let delivery = self.deliver_guarded(row);
                        deliveries.lock().unwrap_or_else(PoisonError::into_inner).push(delivery);
                    }
                });
            }
        });
        deliveries.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the batch, retrying the record (never the sends) while the database
    /// fails; the last error when it never succeeds.
    fn record(&self, batch: &mut dyn ClaimedBatch, deliveries: &[Delivery]) -> Result<Recorded, StoreError> {
        let (mut tries, mut wait) = (1, self.settings.record_backoff);
        loop {
            let error = match batch.finish(deliveries) {
                Ok(recorded) => return Ok(recorded),
                Err(error) => error,
            };
            let retry_in = (tries < self.settings.record_tries).then_some(wait);
            self.observer.observe(OutboxEvent::RecordFailed { error: &error, retry_in });
            let Some(pause) = retry_in else { return Err(error) };
            std::thread::sleep(pause);
            (tries, wait) = (tries + 1, wait.saturating_mul(2));
        }
    }

    /// Status callbacks can beat the batch's commit; those kept meanwhile apply now.
    fn apply_early_reports(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let sids: Vec<String> =
            deliveries.iter().filter_map(|d| d.outcome.provider_sid()).map(str::to_owned).collect();
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

    /// One message, with a panic turned into an outcome: the send may have happened, so
    /// the message is asked about before it is sent again.
    fn deliver_guarded(&self, row: &DueNotification) -> Delivery {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.deliver_one(row))) {
            Ok(delivery) => delivery,
            Err(panic) => {
                let cause = panic_message(&*panic);
                self.observer.observe(OutboxEvent::Panicked { id: row.id, cause: &cause });
                let message = row.message.clone().unwrap_or_default();
                let at = self.clock.now();
                Delivery {
                    id: row.id,
                    patient_id: row.patient_id,
                    kind: row.kind,
                    segments: message::sms_segments(&message),
                    message,
                    attempts: row.attempts + 1,
                    outcome: DeliveryOutcome::Unknown {
                        at: at + retry_delay(row.id, row.attempts + 1, None),
                        message: format!("delivery panicked: {cause}"),
                    },
                    patient_opted_out: false,
                    at,
                }
            }
        }
    }

    /// Decides, composes and sends one message; or adopts the one an earlier attempt
    /// left with the provider.
    fn deliver_one(&self, row: &DueNotification) -> Delivery {
        // Composed from the appointment as it is now, so no text states what is no
        // longer true; an attempt whose fate is unknown is asked about as it was sent.
        let message = match (&row.message, row.unresolved_since) {
            (Some(sent), Some(_)) if !sent.is_empty() => sent.clone(),
            _ => self.compose(row),
        };
        let segments = message::sms_segments(&message);
        let delivery = |outcome, attempts, patient_opted_out, at| Delivery {
            id: row.id,
            patient_id: row.patient_id,
            kind: row.kind,
            message: message.clone(),
            segments,
            attempts,
            outcome,
            patient_opted_out,
            at,
        };
        let now = self.clock.now();
        let recipient = if let Some(ticket) = &row.ticket {
            ticket.recipient(row.to_phone.as_ref(), row.patient_sms_opt_in)
        } else if row.about_version < row.appointment_version
            && row.appointment_status == AppointmentStatus::Booked
        {
            Err(SkipReason::Rescheduled)
        } else {
            SkipReason::recipient(
                row.kind,
                row.to_phone.as_ref(),
                row.patient_sms_opt_in,
                row.appointment_status,
                row.scheduled_start,
                now,
            )
        };
        let to = match recipient {
            Ok(to) => to.clone(),
            Err(reason) => return delivery(DeliveryOutcome::Skipped(reason), row.attempts, false, now),
        };
        let outgoing = OutgoingMessage {
            channel: row.channel,
            to,
            body: message.clone(),
            valid_for: self.validity(row, now),
        };
        let attempts = row.attempts + 1;
        let result = match row.unresolved_since {
            Some(since) => match self.gateway.find_sent(&outgoing, since - CLOCK_SKEW) {
                Ok(Some(provider_sid)) => {
                    return delivery(DeliveryOutcome::Adopted { provider_sid }, attempts, false, now);
                }
                Ok(None) => self.gateway.send(&outgoing),
                Err(e) => Err(SendError::Unknown {
                    message: format!("could not ask the provider about an earlier attempt: {e}"),
                }),
            },
            None => self.gateway.send(&outgoing),
        };
        let at = self.clock.now();
        let (outcome, opted_out) = self.outcome(row, attempts, at, result);
        let attempts = if matches!(outcome, DeliveryOutcome::Skipped(_)) { row.attempts } else { attempts };
        delivery(outcome, attempts, opted_out, at)
    }

    /// What a send's result means for the message, and whether the patient opted out.
    fn outcome(
        &self,
        row: &DueNotification,
        attempts: u32,
        at: OffsetDateTime,
        result: Result<String, SendError>,
    ) -> (DeliveryOutcome, bool) {
        let gave_up = |message: String| format!("gave up after {MAX_ATTEMPTS} attempts: {message}");
        match result {
            Ok(provider_sid) => (DeliveryOutcome::Sent { provider_sid }, false),
            Err(SendError::NotConfigured(what)) => {
                (DeliveryOutcome::Skipped(SkipReason::NotConfigured(what)), false)
            }
            Err(SendError::Permanent { code, message }) => (DeliveryOutcome::Failed { code, message }, false),
            Err(SendError::OptedOut { code, message }) => (DeliveryOutcome::Failed { code, message }, true),
            Err(SendError::Retryable { code, message, .. }) if attempts >= MAX_ATTEMPTS => {
                (DeliveryOutcome::Failed { code, message: gave_up(message) }, false)
            }
            Err(SendError::Unknown { message }) if attempts >= MAX_ATTEMPTS => {
                (DeliveryOutcome::Failed { code: None, message: gave_up(message) }, false)
            }
            Err(SendError::Retryable { code, message, retry_after }) => {
                let at = at + retry_delay(row.id, attempts, retry_after);
                (DeliveryOutcome::Retry { at, code, message }, false)
            }
            Err(SendError::Unknown { message }) => {
                (DeliveryOutcome::Unknown { at: at + retry_delay(row.id, attempts, None), message }, false)
            }
        }
    }

    /// Reminders expire with their visit; other messages stay valid as long as the
    /// provider keeps them.
    fn validity(&self, row: &DueNotification, now: OffsetDateTime) -> Option<Duration> {
        if row.kind != NotificationKind::Reminder {
            return None;
        }
        let until_visit = Duration::try_from(row.scheduled_start - now).unwrap_or(VALIDITY.0);
        Some(until_visit.clamp(VALIDITY.0, VALIDITY.1))
    }

    /// The text of a message of its kind, from the appointment as it is now. A patient who
    /// was never told the old time (its confirmation had not gone out) is told of a move as
    /// a confirmation of the new one.
    fn compose(&self, row: &DueNotification) -> String {
        let (clinic, doctor, start) = (&self.clinic, row.doctor_name.as_str(), row.scheduled_start);
        match row.kind {
            NotificationKind::Reminder if self.replies => {
                message::inviting_replies(&message::reminder(clinic, doctor, start))
            }
            NotificationKind::Reminder => message::reminder(clinic, doctor, start),
            NotificationKind::Rescheduled if row.patient_told => message::rescheduled(clinic, doctor, start),
            NotificationKind::Cancellation => match &row.cancellation {
                Some(Cancellation { by: CancelledBy::Patient, .. }) => {
                    message::cancelled_as_asked(clinic, doctor, start)
                }
                cancellation => message::cancelled_by_clinic(
                    clinic,
                    doctor,
                    start,
                    cancellation.as_ref().and_then(|c| c.reason.as_deref()),
                ),
            },
            // Composed when the ticket was called or came near the front.
            NotificationKind::QueueAlert => row.message.clone().unwrap_or_default(),
            NotificationKind::Confirmation | NotificationKind::Rescheduled => {
                message::confirmation(clinic, doctor, start)
            }
        }
    }
}

/// A batch's hold on its rows, checked before a send at most `every` so often.
struct Held {
    every: Duration,
    checked: Mutex<Instant>,
    lost: AtomicBool,
}

impl Held {
    fn confirmed(&self, batch: &dyn ClaimedBatch) -> bool {
        let mut checked = self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.lost.load(Ordering::SeqCst) && checked.elapsed() >= self.every {
            self.lost.store(!batch.still_held(), Ordering::SeqCst);
            *checked = Instant::now();
        }
        !self.lost.load(Ordering::SeqCst)
    }
}

/// What a panic said, when it said it as text.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
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

#[cfg(test)]
mod attempt_tests;
