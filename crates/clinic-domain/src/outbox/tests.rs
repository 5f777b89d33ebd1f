use std::sync::atomic::AtomicUsize;

use time::macros::datetime;

use super::*;
use crate::appointment::{AppointmentStatus, Cancellation, CancelledBy};
use crate::clinic::ClinicZone;
use crate::gateway::{LookupError, MockSmsGateway};
use crate::ids::{AppointmentId, PatientId};
use crate::patient::Channel;
use crate::phone::PhoneNumber;
use crate::ports::{ManualClock, MockNotificationRepository};
use crate::queue::{TicketNow, TicketStatus};

pub(super) const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

/// A claimed batch that remembers what it was finished with.
pub(super) struct TestBatch {
    pub(super) rows: Vec<DueNotification>,
    pub(super) finished: Arc<Mutex<Option<Vec<Delivery>>>>,
}

impl ClaimedBatch for TestBatch {
    fn notifications(&self) -> &[DueNotification] {
        &self.rows
    }

    fn finish(&mut self, deliveries: &[Delivery]) -> Result<Recorded, StoreError> {
        *self.finished.lock().unwrap() = Some(deliveries.to_vec());
        Ok(Recorded::default())
    }
}

pub(super) fn due(kind: NotificationKind) -> DueNotification {
    DueNotification {
        id: NotificationId::generate(),
        appointment_id: Some(AppointmentId::generate()),
        patient_id: PatientId::generate(),
        kind,
        channel: Channel::Sms,
        to_phone: Some(PhoneNumber::parse("+6591234567").unwrap()),
        message: Some("Gabriel Family Clinic: appointment confirmed.".into()),
        attempts: 0,
        unresolved_since: None,
        lost_since: None,
        appointment_status: AppointmentStatus::Booked,
        scheduled_start: datetime!(2026-11-25 01:30 UTC),
        doctor_name: "Dr Tan".into(),
        about_version: 1,
        appointment_version: 1,
        cancellation: None,
        patient_told: false,
        patient_sms_opt_in: true,
        ticket: None,
    }
}

pub(super) struct Run {
    pub(super) report: DeliveryReport,
    pub(super) deliveries: Vec<Delivery>,
}

pub(super) fn run(rows: Vec<DueNotification>, gateway: MockSmsGateway) -> Run {
    run_until(rows, gateway, None, false)
}

pub(super) fn run_until(
    rows: Vec<DueNotification>,
    gateway: MockSmsGateway,
    deadline: Option<OffsetDateTime>,
    stop: bool,
) -> Run {
    let finished = Arc::new(Mutex::new(None));
    let mut repository = MockNotificationRepository::new();
    let mut batches = vec![TestBatch { rows, finished: finished.clone() }];
    repository.expect_claim_due().times(..=1).returning(move |scope, now, limit| {
        let handoff = NOW - REMINDER_HANDOFF;
        assert_eq!((scope, now, limit), (Scope::Everything { reminders_created_before: handoff }, NOW, 50));
        Ok(Box::new(batches.pop().unwrap()))
    });
    let outbox = outbox(repository, gateway);
    let stop = AtomicBool::new(stop);
    let report = outbox.deliver_due(&Until { deadline, stop: &stop }).unwrap();
    let deliveries = finished.lock().unwrap().take().unwrap_or_default();
    Run { report, deliveries }
}

/// No status callback arrived before any batch committed.
pub(super) fn no_early_reports(repository: &mut MockNotificationRepository) {
    repository.expect_take_early_reports().returning(|_, _| Ok(Vec::new()));
}

pub(super) fn outbox(mut repository: MockNotificationRepository, gateway: MockSmsGateway) -> Outbox {
    no_early_reports(&mut repository);
    outbox_on(repository, Arc::new(gateway), Arc::new(ManualClock::new(NOW)), DeliverySettings::default())
}

/// The test clinic's outbox over `repository` and `gateway`, on `clock`, as `settings` say.
pub(super) fn outbox_on(
    repository: MockNotificationRepository,
    gateway: Arc<dyn SmsGateway>,
    clock: Arc<ManualClock>,
    settings: DeliverySettings,
) -> Outbox {
    let clinic =
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
    Outbox::new(clinic, Arc::new(repository), gateway, clock, settings)
}

pub(super) fn gateway_answering(result: Result<String, SendError>) -> MockSmsGateway {
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().times(1).returning(move |_| result.clone());
    gateway
}

#[test]
fn a_due_message_is_sent_once_and_recorded_with_the_providers_id() {
    let row = due(NotificationKind::Confirmation);
    let mut gateway = MockSmsGateway::new();
    let expected = "Gabriel Family Clinic: appointment confirmed with Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out.";
    gateway
        .expect_send()
        .withf(move |m| m.to.as_str() == "+6591234567" && m.body == expected && m.channel == Channel::Sms)
        .times(1)
        .returning(|_| Ok("SM123".into()));
    let run = run(vec![row.clone()], gateway);
    assert_eq!(run.report, DeliveryReport { processed: 1, sent: 1, ..DeliveryReport::default() });
    let delivery = &run.deliveries[0];
    assert_eq!(delivery.id, row.id);
    assert_eq!(delivery.attempts, 1);
    assert_eq!(delivery.outcome, DeliveryOutcome::Sent { provider_sid: "SM123".into() });
    assert!(!delivery.patient_opted_out);
}

#[test]
fn nothing_is_sent_about_a_cancelled_or_started_appointment_or_to_an_opted_out_patient() {
    let cancelled = DueNotification {
        appointment_status: AppointmentStatus::Cancelled,
        ..due(NotificationKind::Reminder)
    };
    let opted_out = DueNotification { patient_sms_opt_in: false, ..due(NotificationKind::Confirmation) };
    let phoneless = DueNotification { to_phone: None, ..due(NotificationKind::Confirmation) };
    let late = DueNotification { scheduled_start: NOW, ..due(NotificationKind::Reminder) };
    let run = run(vec![cancelled, opted_out, phoneless, late], MockSmsGateway::new());
    assert_eq!(run.report, DeliveryReport { processed: 4, skipped: 4, ..DeliveryReport::default() });
    let mut reasons: Vec<_> = run.deliveries.iter().map(|d| d.outcome.clone()).collect();
    reasons.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(
        reasons,
        vec![
            DeliveryOutcome::Skipped(SkipReason::AppointmentCancelled),
            DeliveryOutcome::Skipped(SkipReason::AppointmentPassed),
            DeliveryOutcome::Skipped(SkipReason::NoPhone),
            DeliveryOutcome::Skipped(SkipReason::OptedOut),
        ]
    );
    assert!(run.deliveries.iter().all(|d| d.attempts == 0));
}

#[test]
fn without_a_configured_gateway_a_message_is_skipped_with_the_reason() {
    let run = run(
        vec![due(NotificationKind::Confirmation)],
        gateway_answering(Err(SendError::NotConfigured("sms not configured".into()))),
    );
    assert_eq!(run.report.skipped, 1);
    assert_eq!(
        run.deliveries[0].outcome,
        DeliveryOutcome::Skipped(SkipReason::NotConfigured("sms not configured".into()))
    );
    assert_eq!(run.deliveries[0].attempts, 0);
}

#[test]
fn a_permanent_error_fails_the_message_without_retry() {
    let error = SendError::Permanent { code: Some("21211".into()), message: "invalid To".into() };
    let run = run(vec![due(NotificationKind::Confirmation)], gateway_answering(Err(error)));
    assert_eq!(run.report, DeliveryReport { processed: 1, failed: 1, ..DeliveryReport::default() });
    assert_eq!(
        run.deliveries[0].outcome,
        DeliveryOutcome::Failed { code: Some("21211".into()), message: "invalid To".into() }
    );
}

#[test]
fn a_provider_opt_out_fails_the_message_and_opts_the_patient_out() {
    let error = SendError::OptedOut { code: Some("21610".into()), message: "unsubscribed".into() };
    let run = run(vec![due(NotificationKind::Confirmation)], gateway_answering(Err(error)));
    assert!(matches!(run.deliveries[0].outcome, DeliveryOutcome::Failed { .. }));
    assert!(run.deliveries[0].patient_opted_out);
}

#[test]
fn a_retryable_error_schedules_a_retry_no_sooner_than_retry_after() {
    let error = SendError::Retryable {
        code: Some("20429".into()),
        message: "too many requests".into(),
        retry_after: Some(Duration::from_secs(120)),
    };
    let run = run(vec![due(NotificationKind::Confirmation)], gateway_answering(Err(error)));
    assert_eq!(run.report.failed, 1, "a retry counts as not sent");
    let DeliveryOutcome::Retry { at, code, .. } = &run.deliveries[0].outcome else {
        panic!("{:?}", run.deliveries)
    };
    assert!(*at >= NOW + time::Duration::seconds(120), "{at}");
    assert_eq!(code.as_deref(), Some("20429"));
    assert_eq!(run.deliveries[0].attempts, 1);
}

#[test]
fn the_fifth_failed_attempt_gives_up() {
    let row = DueNotification { attempts: MAX_ATTEMPTS - 1, ..due(NotificationKind::Confirmation) };
    let error = SendError::Retryable { code: None, message: "timed out".into(), retry_after: None };
    let run = run(vec![row], gateway_answering(Err(error)));
    let DeliveryOutcome::Failed { message, .. } = &run.deliveries[0].outcome else {
        panic!("{:?}", run.deliveries)
    };
    assert!(message.contains("gave up after 5 attempts"), "{message}");
    assert_eq!(run.deliveries[0].attempts, MAX_ATTEMPTS);
}

#[test]
fn a_reminder_is_composed_when_it_is_first_sent() {
    let row = DueNotification { message: None, ..due(NotificationKind::Reminder) };
    let mut gateway = MockSmsGateway::new();
    gateway
        .expect_send()
        .withf(|m| m.body == "Gabriel Family Clinic: reminder, you see Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out.")
        .times(1)
        .returning(|_| Ok("SM1".into()));
    let run = run(vec![row], gateway);
    assert!(run.deliveries[0].message.starts_with("Gabriel Family Clinic: reminder"));
    assert_eq!(run.deliveries[0].segments, 1);
}

#[test]
fn rows_not_reached_by_the_deadline_are_left_pending() {
    struct SlowGateway(Arc<ManualClock>);
    impl SmsGateway for SlowGateway {
        fn send(&self, _: &OutgoingMessage) -> Result<String, SendError> {
            self.0.advance(time::Duration::seconds(30));
            Ok("SM".into())
        }
        fn find_sent(&self, _: &OutgoingMessage, _: OffsetDateTime) -> Result<Option<String>, LookupError> {
            unreachable!("no earlier attempt to ask about")
        }
    }
    let clock = Arc::new(ManualClock::new(NOW));
    let finished = Arc::new(Mutex::new(None));
    let mut batch = Some(TestBatch {
        rows: (0..3).map(|_| due(NotificationKind::Reminder)).collect(),
        finished: finished.clone(),
    });
    let mut repository = MockNotificationRepository::new();
    repository.expect_claim_due().times(1).returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    no_early_reports(&mut repository);
    let settings = DeliverySettings { concurrency: 1, ..DeliverySettings::default() };
    let outbox = outbox_on(repository, Arc::new(SlowGateway(clock.clone())), clock, settings);
    let stop = AtomicBool::new(false);
    let until = Until { deadline: Some(NOW + time::Duration::seconds(10)), stop: &stop };
    let report = outbox.deliver_reminders(&until).unwrap();
    assert_eq!(report, DeliveryReport { processed: 1, sent: 1, left: 2, ..DeliveryReport::default() });
    assert_eq!(finished.lock().unwrap().as_ref().unwrap().len(), 1, "only the sent row is recorded");
}

#[test]
fn past_the_deadline_nothing_is_claimed() {
    let run = run_until(vec![due(NotificationKind::Reminder)], MockSmsGateway::new(), Some(NOW), false);
    assert_eq!(run.report, DeliveryReport::default());
    assert!(run.deliveries.is_empty());
}

#[test]
fn a_stop_claims_nothing() {
    let run = run_until(vec![due(NotificationKind::Reminder)], MockSmsGateway::new(), None, true);
    assert_eq!(run.report, DeliveryReport::default());
}

#[test]
fn sends_run_in_parallel_but_never_more_than_the_concurrency() {
    /// Holds each send until three are in flight at once (or a generous bound passes,
    /// so that sends run one at a time fail the assertion rather than hang).
    struct Counting {
        in_flight: Mutex<usize>,
        changed: std::sync::Condvar,
        most: AtomicUsize,
    }
    impl SmsGateway for Counting {
        fn send(&self, _: &OutgoingMessage) -> Result<String, SendError> {
            let mut in_flight = self.in_flight.lock().unwrap();
            *in_flight += 1;
            self.most.fetch_max(*in_flight, Ordering::SeqCst);
            self.changed.notify_all();
            let bound = Duration::from_secs(5);
            let (mut in_flight, _) = self
                .changed
                .wait_timeout_while(in_flight, bound, |n| self.most.load(Ordering::SeqCst) < 3 && *n < 3)
                .unwrap();
            *in_flight -= 1;
            Ok("SM".into())
        }
        fn find_sent(&self, _: &OutgoingMessage, _: OffsetDateTime) -> Result<Option<String>, LookupError> {
            unreachable!("no earlier attempt to ask about")
        }
    }
    let gateway = Arc::new(Counting {
        in_flight: Mutex::new(0),
        changed: std::sync::Condvar::new(),
        most: AtomicUsize::new(0),
    });
    let finished = Arc::new(Mutex::new(None));
    let rows: Vec<_> = (0..40).map(|_| due(NotificationKind::Reminder)).collect();
    let mut repository = MockNotificationRepository::new();
    let mut batch = Some(TestBatch { rows, finished: finished.clone() });
    repository.expect_claim_due().returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    no_early_reports(&mut repository);
    let settings = DeliverySettings { concurrency: 3, ..DeliverySettings::default() };
    let outbox = outbox_on(repository, gateway.clone(), Arc::new(ManualClock::new(NOW)), settings);
    let stop = AtomicBool::new(false);
    let report = outbox.deliver_due(&Until { deadline: None, stop: &stop }).unwrap();
    assert_eq!(report.sent, 40);
    assert_eq!(gateway.most.load(Ordering::SeqCst), 3, "three sends at once, never more");
    assert_eq!(finished.lock().unwrap().as_ref().unwrap().len(), 40);
}

#[test]
fn delivery_goes_on_batch_after_batch_until_one_is_short() {
    let mut repository = MockNotificationRepository::new();
    let finished = Arc::new(Mutex::new(None));
    let mut sizes = vec![3, 50];
    let batches = finished.clone();
    repository.expect_claim_due().times(2).returning(move |_, _, _| {
        let rows = (0..sizes.pop().unwrap()).map(|_| due(NotificationKind::Reminder)).collect();
        Ok(Box::new(TestBatch { rows, finished: batches.clone() }))
    });
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().times(53).returning(|_| Ok("SM".into()));
    let stop = AtomicBool::new(false);
    let report = outbox(repository, gateway).deliver_due(&Until { deadline: None, stop: &stop }).unwrap();
    assert_eq!((report.processed, report.sent), (53, 53));
}

#[test]
fn backoff_doubles_with_jitter_up_to_a_cap() {
    let id = NotificationId::generate();
    for (attempts, full) in [(1, 30), (2, 60), (3, 120), (4, 240), (10, 900)] {
        let delay = retry_delay(id, attempts, None);
        let full = time::Duration::seconds(full);
        assert!(delay >= full / 2 && delay <= full, "attempt {attempts}: {delay}");
    }
    assert_eq!(retry_delay(id, 1, Some(Duration::from_secs(3600))), time::Duration::hours(1));
    let spread: std::collections::HashSet<_> =
        (0..20).map(|_| retry_delay(NotificationId::generate(), 3, None)).collect();
    assert!(spread.len() > 1, "messages failing together retry apart");
}

#[test]
fn a_status_callback_that_beat_the_commit_is_applied_once_the_send_is_recorded() {
    let row = due(NotificationKind::Confirmation);
    let finished = Arc::new(Mutex::new(None));
    let mut batch = Some(TestBatch { rows: vec![row], finished });
    let mut repository = MockNotificationRepository::new();
    repository.expect_claim_due().returning(move |_, _, _| Ok(Box::new(batch.take().unwrap())));
    repository
        .expect_take_early_reports()
        .withf(|sids, before| sids == ["SM9"] && *before == NOW - time::Duration::DAY)
        .times(1)
        .returning(|_, _| {
            let report = |sid: &str| crate::notification::StatusReport {
                sid: sid.into(),
                status: "delivered".into(),
                error_code: None,
                at: NOW,
            };
            // A stale report for someone else's SID is forgotten, not applied.
            Ok(vec![report("SM9"), report("SMstale")])
        });
    repository.expect_delivery_status().withf(|sid| sid == "SM9").returning(|_| Ok(Some(None)));
    repository
        .expect_record_delivery_status()
        .withf(|sid, current, status, _, _| sid == "SM9" && current.is_none() && status == "delivered")
        .times(1)
        .returning(|_, _, _, _, _| Ok(true));
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().returning(|_| Ok("SM9".into()));
    let outbox = outbox_on(
        repository,
        Arc::new(gateway),
        Arc::new(ManualClock::new(NOW)),
        DeliverySettings::default(),
    );
    let stop = AtomicBool::new(false);
    assert_eq!(outbox.deliver_due(&Until { deadline: None, stop: &stop }).unwrap().sent, 1);
}

/// The body a message of `kind` is sent with, for the row as `row` says.
fn sent_body(row: DueNotification) -> Option<String> {
    let seen = Arc::new(Mutex::new(None));
    let mut gateway = MockSmsGateway::new();
    let record = seen.clone();
    gateway.expect_send().returning(move |m| {
        *record.lock().unwrap() = Some(m.body.clone());
        Ok("SM".into())
    });
    run(vec![row], gateway);
    seen.lock().unwrap().take()
}

#[test]
fn every_text_is_composed_when_sent_from_the_appointment_as_it_then_is() {
    let later = datetime!(2026-11-26 02:00 UTC);
    let stale_text = DueNotification {
        scheduled_start: later,
        message: Some("appointment confirmed ... Wed 25 Nov 2026, 09:30".into()),
        ..due(NotificationKind::Confirmation)
    };
    assert_eq!(
        sent_body(stale_text).as_deref(),
        Some(
            "Gabriel Family Clinic: appointment confirmed with Dr Tan on Thu 26 Nov 2026, 10:00. Reply STOP to opt out."
        )
    );
    let moved = DueNotification {
        scheduled_start: later,
        about_version: 2,
        appointment_version: 2,
        patient_told: true,
        ..due(NotificationKind::Rescheduled)
    };
    assert_eq!(
        sent_body(moved.clone()).as_deref(),
        Some(
            "Gabriel Family Clinic: your appointment is moved to Thu 26 Nov 2026, 10:00 with Dr Tan. Reply STOP to opt out."
        )
    );
    let never_told = DueNotification { patient_told: false, ..moved };
    assert!(
        sent_body(never_told)
            .unwrap()
            .contains("appointment confirmed with Dr Tan on Thu 26 Nov 2026, 10:00")
    );
}

#[test]
fn a_cancellation_acknowledges_the_patient_or_gives_the_clinics_reason() {
    let cancelled = |by, reason: Option<&str>| DueNotification {
        appointment_status: AppointmentStatus::Cancelled,
        about_version: 2,
        appointment_version: 2,
        cancellation: Some(Cancellation { by, reason: reason.map(str::to_owned) }),
        ..due(NotificationKind::Cancellation)
    };
    assert_eq!(
        sent_body(cancelled(CancelledBy::Patient, None)).as_deref(),
        Some(
            "Gabriel Family Clinic: your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled, as you asked. Reply STOP to opt out."
        )
    );
    assert_eq!(
        sent_body(cancelled(CancelledBy::Clinic, Some("Doctor unwell"))).as_deref(),
        Some(
            "Gabriel Family Clinic: sorry, your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled (Doctor unwell). Please call us to book again. Reply STOP to opt out."
        )
    );
}

#[test]
fn a_message_about_an_older_version_of_a_booked_appointment_is_skipped_as_rescheduled() {
    let stale =
        DueNotification { about_version: 1, appointment_version: 2, ..due(NotificationKind::Reminder) };
    let run = run(vec![stale], MockSmsGateway::new());
    assert_eq!(run.deliveries[0].outcome, DeliveryOutcome::Skipped(SkipReason::Rescheduled));
    assert_eq!(SkipReason::Rescheduled.describe(), "rescheduled");
    let confirmation_of_cancelled = DueNotification {
        appointment_status: AppointmentStatus::Cancelled,
        appointment_version: 2,
        ..due(NotificationKind::Confirmation)
    };
    let run = super::tests::run(vec![confirmation_of_cancelled], MockSmsGateway::new());
    assert_eq!(run.deliveries[0].outcome, DeliveryOutcome::Skipped(SkipReason::AppointmentCancelled));
}

fn queue_alert(status: TicketStatus, calls: u32, call: u32) -> DueNotification {
    DueNotification {
        appointment_id: None,
        message: Some("Gabriel Family Clinic: ticket A012, please come to Room 3 now.".into()),
        ticket: Some(TicketNow { status, calls, call }),
        ..due(NotificationKind::QueueAlert)
    }
}

#[test]
fn a_queue_alert_goes_as_composed_while_still_true_and_never_about_a_ticket_moved_on() {
    let mut gateway = MockSmsGateway::new();
    gateway
        .expect_send()
        .withf(|m| {
            m.body == "Gabriel Family Clinic: ticket A012, please come to Room 3 now."
                && m.valid_for.is_none()
        })
        .times(2)
        .returning(|_| Ok("SM1".into()));
    let called = queue_alert(TicketStatus::Called, 1, 1);
    let near_front = queue_alert(TicketStatus::Waiting, 0, 0);
    let served = queue_alert(TicketStatus::Served, 1, 1);
    let called_again = queue_alert(TicketStatus::Called, 2, 1);
    let gone = queue_alert(TicketStatus::Left, 0, 0);
    let called_since = queue_alert(TicketStatus::Called, 1, 0);
    let run = run(vec![called, near_front, served, called_again, gone, called_since], gateway);
    assert_eq!(run.report, DeliveryReport { processed: 6, sent: 2, skipped: 4, ..DeliveryReport::default() });
    let skipped =
        run.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Skipped(SkipReason::TicketMovedOn));
    assert_eq!(skipped.count(), 4);
}
