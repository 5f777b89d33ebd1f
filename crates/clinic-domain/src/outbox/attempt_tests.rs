//! Never a second text: earlier attempts are asked about, unknown outcomes are never
//! resent blindly, recording is retried as a record, and reminders expire.

use std::sync::atomic::AtomicU32;

use super::tests::{NOW, TestBatch, due, gateway_answering, no_early_reports, outbox_on, run};
use super::*;
use crate::gateway::{LookupError, MockSmsGateway};
use crate::phone::PhoneNumber;
use crate::ports::{ManualClock, MockNotificationRepository};

const EARLIER: OffsetDateTime = time::macros::datetime!(2026-11-24 07:55 UTC);

fn unresolved() -> DueNotification {
    DueNotification { attempts: 1, unresolved_since: Some(EARLIER), ..due(NotificationKind::Confirmation) }
}

#[test]
fn a_message_an_earlier_attempt_left_with_the_provider_is_adopted_not_sent_again() {
    let row = unresolved();
    let mut gateway = MockSmsGateway::new();
    let body = row.message.clone().unwrap();
    gateway
        .expect_find_sent()
        .withf(move |m, since| m.body == body && *since == EARLIER - CLOCK_SKEW)
        .times(1)
        .returning(|_, _| Ok(Some("SM-earlier".into())));
    gateway.expect_send().never();
    let run = run(vec![row], gateway);
    assert_eq!(run.report, DeliveryReport { processed: 1, sent: 1, adopted: 1, ..DeliveryReport::default() });
    assert_eq!(run.deliveries[0].outcome, DeliveryOutcome::Adopted { provider_sid: "SM-earlier".into() });
    assert_eq!(run.deliveries[0].attempts, 2);
}

#[test]
fn a_message_the_provider_never_got_is_sent_after_asking() {
    let mut gateway = MockSmsGateway::new();
    let mut order = mockall::Sequence::new();
    gateway.expect_find_sent().times(1).in_sequence(&mut order).returning(|_, _| Ok(None));
    gateway.expect_send().times(1).in_sequence(&mut order).returning(|_| Ok("SM-new".into()));
    let run = run(vec![unresolved()], gateway);
    assert_eq!(run.deliveries[0].outcome, DeliveryOutcome::Sent { provider_sid: "SM-new".into() });
}

#[test]
fn when_the_provider_cannot_be_asked_nothing_is_sent_and_the_attempt_stays_unknown() {
    let mut gateway = MockSmsGateway::new();
    gateway.expect_find_sent().times(1).returning(|_, _| Err(LookupError("Twilio unreachable".into())));
    gateway.expect_send().never();
    let run = run(vec![unresolved()], gateway);
    let DeliveryOutcome::Unknown { at, message } = &run.deliveries[0].outcome else {
        panic!("{:?}", run.deliveries)
    };
    assert!(*at > NOW && message.contains("Twilio unreachable"), "{at} {message}");
    assert!(!run.deliveries[0].outcome.settles_attempts());
    assert_eq!(run.report.failed, 1);
}

#[test]
fn a_message_without_an_unresolved_attempt_is_sent_without_asking() {
    let mut gateway = gateway_answering(Ok("SM1".into()));
    gateway.expect_find_sent().never();
    assert_eq!(run(vec![due(NotificationKind::Confirmation)], gateway).report.sent, 1);
}

#[test]
fn an_ambiguous_send_is_kept_unknown_and_given_up_on_at_the_fifth_attempt() {
    let unknown = || Err(SendError::Unknown { message: "no answer from Twilio".into() });
    let first = run(vec![due(NotificationKind::Confirmation)], gateway_answering(unknown()));
    assert!(matches!(first.deliveries[0].outcome, DeliveryOutcome::Unknown { .. }));
    assert_eq!(first.deliveries[0].attempts, 1);

    let last = DueNotification { attempts: MAX_ATTEMPTS - 1, ..due(NotificationKind::Confirmation) };
    let given_up = run(vec![last], gateway_answering(unknown()));
    let DeliveryOutcome::Failed { message, .. } = &given_up.deliveries[0].outcome else {
        panic!("{:?}", given_up.deliveries)
    };
    assert!(message.starts_with("gave up after 5 attempts"), "{message}");
}

#[test]
fn a_reminder_expires_with_its_visit_and_a_confirmation_does_not() {
    let soon = DueNotification {
        scheduled_start: NOW + time::Duration::minutes(90),
        ..due(NotificationKind::Reminder)
    };
    let far =
        DueNotification { scheduled_start: NOW + time::Duration::days(2), ..due(NotificationKind::Reminder) };
    let valid_for = |row: DueNotification| {
        let seen = Arc::new(Mutex::new(None));
        let mut gateway = MockSmsGateway::new();
        let record = seen.clone();
        gateway.expect_send().times(1).returning(move |m| {
            *record.lock().unwrap() = Some(m.valid_for);
            Ok("SM".into())
        });
        run(vec![row], gateway);
        seen.lock().unwrap().take().unwrap()
    };
    assert_eq!(valid_for(soon), Some(Duration::from_secs(90 * 60)));
    assert_eq!(valid_for(far), Some(Duration::from_secs(36_000)), "Twilio's longest");
    assert_eq!(valid_for(due(NotificationKind::Confirmation)), None);
}

/// A batch whose recording fails `failures` times with `error`, then succeeds.
struct FlakyBatch {
    rows: Vec<DueNotification>,
    failures: u32,
    error: StoreError,
    tries: Arc<AtomicU32>,
}

impl ClaimedBatch for FlakyBatch {
    fn notifications(&self) -> &[DueNotification] {
        &self.rows
    }

    fn finish(&mut self, _: &[Delivery]) -> Result<Recorded, StoreError> {
        let tries = self.tries.fetch_add(1, Ordering::SeqCst) + 1;
        if tries <= self.failures { Err(self.error.clone()) } else { Ok(Recorded::default()) }
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl OutboxObserver for Events {
    fn observe(&self, event: OutboxEvent<'_>) {
        let line = match event {
            OutboxEvent::Delivered { kind, .. } => format!("delivered {kind}"),
            OutboxEvent::RecordFailed { retry_in, .. } => {
                format!("record failed, retry {}", retry_in.is_some())
            }
            OutboxEvent::SharedSid { sid, .. } => format!("shared {sid}"),
            OutboxEvent::Panicked { cause, .. } => format!("panicked {cause}"),
        };
        self.0.lock().unwrap().push(line);
    }
}

fn record_with(failures: u32, error: StoreError) -> (Result<DeliveryReport, StoreError>, u32, Vec<String>) {
    let tries = Arc::new(AtomicU32::new(0));
    let mut batch = Some(FlakyBatch {
        rows: vec![due(NotificationKind::Confirmation)],
        failures,
        error,
        tries: tries.clone(),
    });
    let mut repository = MockNotificationRepository::new();
    repository.expect_claim_due().times(1).returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    no_early_reports(&mut repository);
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().times(1).returning(|_| Ok("SM1".into()));
    let events = Arc::new(Events::default());
    let settings =
        DeliverySettings { record_backoff: Duration::from_millis(1), ..DeliverySettings::default() };
    let outbox = outbox_on(repository, Arc::new(gateway), Arc::new(ManualClock::new(NOW)), settings)
        .observed_by(events.clone());
    let stop = AtomicBool::new(false);
    let report = outbox.deliver_due(&Until { deadline: None, stop: &stop });
    let events = events.0.lock().unwrap().clone();
    (report, tries.load(Ordering::SeqCst), events)
}

#[test]
fn recording_that_fails_is_retried_as_a_record_never_as_a_send() {
    let (report, tries, events) = record_with(2, StoreError::unavailable("connection lost"));
    assert_eq!(report.unwrap(), DeliveryReport { processed: 1, sent: 1, ..DeliveryReport::default() });
    assert_eq!(tries, 3);
    assert_eq!(
        events,
        ["delivered confirmation", "record failed, retry true", "record failed, retry true"],
        "the gateway mock allows one send only"
    );
}

#[test]
fn a_batch_that_can_never_be_recorded_is_counted_not_a_failure_of_the_run() {
    let (report, tries, events) = record_with(u32::MAX, StoreError::failed("constraint"));
    assert_eq!(
        report.unwrap(),
        DeliveryReport { processed: 1, sent: 1, unrecorded: 1, ..DeliveryReport::default() }
    );
    assert_eq!(tries, DeliverySettings::default().record_tries);
    assert_eq!(events.last().map(String::as_str), Some("record failed, retry false"));
}

#[test]
fn a_database_that_stays_away_ends_the_run_as_unavailable() {
    let (report, _, _) = record_with(u32::MAX, StoreError::unavailable("down"));
    assert!(matches!(report, Err(StoreError::Unavailable(_))), "{report:?}");
}

/// Panics on one number, as a bug in a send would; sends to every other.
struct PanicsOn(&'static str);

impl SmsGateway for PanicsOn {
    fn send(&self, message: &OutgoingMessage) -> Result<String, SendError> {
        assert_ne!(message.to.as_str(), self.0, "a bug in a send");
        Ok("SM".into())
    }

    fn find_sent(&self, _: &OutgoingMessage, _: OffsetDateTime) -> Result<Option<String>, LookupError> {
        Ok(None)
    }
}

#[test]
fn a_panicking_send_leaves_its_message_unknown_and_the_rest_of_the_batch_delivered() {
    let mut rows: Vec<_> = (0..3).map(|_| due(NotificationKind::Confirmation)).collect();
    rows[1].to_phone = Some(PhoneNumber::parse("+6580000000").unwrap());
    let finished = Arc::new(Mutex::new(None));
    let mut batch = Some(TestBatch { rows, finished: finished.clone() });
    let mut repository = MockNotificationRepository::new();
    repository.expect_claim_due().returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    no_early_reports(&mut repository);
    let events = Arc::new(Events::default());
    let clock = Arc::new(ManualClock::new(NOW));
    let outbox = outbox_on(repository, Arc::new(PanicsOn("+6580000000")), clock, DeliverySettings::default())
        .observed_by(events.clone());
    let stop = AtomicBool::new(false);
    let report = outbox.deliver_due(&Until { deadline: None, stop: &stop }).unwrap();
    assert_eq!((report.processed, report.sent, report.failed), (3, 2, 1));
    let deliveries = finished.lock().unwrap().take().unwrap();
    let unknown: Vec<_> =
        deliveries.iter().filter(|d| matches!(d.outcome, DeliveryOutcome::Unknown { .. })).collect();
    assert_eq!(unknown.len(), 1, "{deliveries:?}");
    assert_eq!(unknown[0].attempts, 1);
    assert!(
        events.0.lock().unwrap().iter().any(|e| e.starts_with("panicked") && e.contains("a bug in a send"))
    );
}

#[test]
fn an_attempt_that_left_no_text_on_record_is_asked_about_with_the_text_composed_now() {
    let row = DueNotification { message: Some(String::new()), ..unresolved() };
    let mut gateway = MockSmsGateway::new();
    gateway
        .expect_find_sent()
        .withf(|m, _| m.body.starts_with("Gabriel Family Clinic: appointment confirmed"))
        .times(1)
        .returning(|_, _| Ok(None));
    gateway.expect_send().withf(|m| !m.body.is_empty()).times(1).returning(|_| Ok("SM1".into()));
    assert_eq!(run(vec![row], gateway).report.sent, 1);
}

#[test]
fn a_message_a_lost_batch_may_still_be_sending_waits_its_grace() {
    let grace = DeliverySettings::default().lost_batch_grace;
    let fresh =
        DueNotification { lost_since: Some(NOW - grace + time::Duration::seconds(1)), ..unresolved() };
    let waiting = run(vec![fresh], MockSmsGateway::new());
    assert_eq!(waiting.report, DeliveryReport { left: 1, ..DeliveryReport::default() });
    let old = DueNotification { lost_since: Some(NOW - grace), ..unresolved() };
    let mut gateway = MockSmsGateway::new();
    gateway.expect_find_sent().times(1).returning(|_, _| Ok(Some("SM-earlier".into())));
    assert_eq!(run(vec![old], gateway).report.adopted, 1);
}

/// A batch that loses its hold on its rows after `holds_for` checks.
struct LosingBatch {
    rows: Vec<DueNotification>,
    holds_for: AtomicU32,
    finished: Arc<Mutex<Option<Vec<Delivery>>>>,
}

impl ClaimedBatch for LosingBatch {
    fn notifications(&self) -> &[DueNotification] {
        &self.rows
    }

    fn still_held(&self) -> bool {
        self.holds_for.fetch_sub(1, Ordering::SeqCst) > 0
    }

    fn finish(&mut self, deliveries: &[Delivery]) -> Result<Recorded, StoreError> {
        *self.finished.lock().unwrap() = Some(deliveries.to_vec());
        Ok(Recorded::default())
    }
}

#[test]
fn a_batch_that_lost_its_rows_sends_no_more() {
    let finished = Arc::new(Mutex::new(None));
    let rows = (0..5).map(|_| due(NotificationKind::Confirmation)).collect();
    let mut batch = Some(LosingBatch { rows, holds_for: AtomicU32::new(2), finished: finished.clone() });
    let mut repository = MockNotificationRepository::new();
    repository.expect_claim_due().times(1).returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    no_early_reports(&mut repository);
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().times(2).returning(|_| Ok("SM".into()));
    let settings =
        DeliverySettings { concurrency: 1, held_check: Duration::ZERO, ..DeliverySettings::default() };
    let outbox = outbox_on(repository, Arc::new(gateway), Arc::new(ManualClock::new(NOW)), settings);
    let stop = AtomicBool::new(false);
    let report = outbox.deliver_due(&Until { deadline: None, stop: &stop }).unwrap();
    assert_eq!((report.sent, report.left), (2, 3), "checked before each send; lost at the third");
    assert_eq!(finished.lock().unwrap().as_ref().unwrap().len(), 2);
}
