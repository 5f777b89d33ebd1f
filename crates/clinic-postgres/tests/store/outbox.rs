use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::delivery::{Delivery, DeliveryOutcome, DueNotification, Scope};
use clinic_domain::notification::{NotificationKind, SkipReason};
use clinic_domain::ports::{AppointmentRepository, NotificationRepository, PatientRepository};
use clinic_postgres::PgStore;
use clinic_postgres::testing::TestDatabase;
use time::Duration;

use crate::fixtures::{NOW, SLOT, booking_of, doctor, outbox, patient};

/// The worker's scope, with no reminders held back.
pub const EVERYTHING: Scope =
    Scope::Everything { reminders_created_before: time::macros::datetime!(9999-12-31 0:00 UTC) };

/// Books `n` appointments whose confirmations are pending.
pub fn pending_confirmations(store: &PgStore, n: i64) {
    let tan = doctor(store, "Dr Tan");
    for i in 0..n {
        let siti = patient(store, Some("+6591234567"));
        store.book(&booking_of(&siti, &tan, SLOT + Duration::minutes(30 * i))).unwrap();
    }
}

pub fn delivery(due: &DueNotification, outcome: DeliveryOutcome) -> Delivery {
    Delivery {
        id: due.id,
        patient_id: due.patient_id,
        kind: due.kind,
        message: "text".into(),
        segments: 1,
        attempts: due.attempts + 1,
        outcome,
        patient_opted_out: false,
        at: NOW + Duration::minutes(1),
    }
}

#[test]
fn due_rows_are_claimed_with_what_deciding_and_composing_needs() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let siti = patient(&store, Some("+6591234567"));
    let booking = booking_of(&siti, &tan, SLOT);
    store.book(&booking).unwrap();
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let due = batch.notifications().to_vec();
    assert_eq!(due.len(), 1);
    let row = &due[0];
    assert_eq!((row.id, row.appointment_id), (booking.confirmation.id, Some(booking.appointment.id)));
    assert_eq!(row.kind, NotificationKind::Confirmation);
    assert_eq!(row.to_phone.as_ref().unwrap().as_str(), "+6591234567");
    assert_eq!(row.message.as_deref(), Some(booking.confirmation.message.as_str()));
    assert_eq!((row.appointment_status, row.scheduled_start), (AppointmentStatus::Booked, SLOT));
    assert_eq!((row.doctor_name.as_str(), row.patient_sms_opt_in, row.attempts), ("Dr Tan", true, 0));
    batch.finish(&[]).unwrap();
}

#[test]
fn rows_not_yet_due_not_pending_or_outside_the_scope_are_not_claimed() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    assert!(store.claim_due(EVERYTHING, NOW - Duration::seconds(1), 10).unwrap().notifications().is_empty());
    assert!(store.claim_due(Scope::Reminders, NOW, 10).unwrap().notifications().is_empty());
    let skipped = booking_of(&patient(&store, None), &doctor(&store, "Dr Lee"), SLOT);
    store.book(&skipped).unwrap();
    assert_eq!(
        store.claim_due(EVERYTHING, NOW, 10).unwrap().notifications().len(),
        1,
        "the skipped row is not due"
    );
}

#[test]
fn concurrent_claims_never_share_a_row() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 5);
    let first = store.claim_due(EVERYTHING, NOW, 3).unwrap();
    let second = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let third = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    assert_eq!((first.notifications().len(), second.notifications().len()), (3, 2));
    assert!(third.notifications().is_empty());
    let ids = |batch: &dyn clinic_domain::ports::ClaimedBatch| -> Vec<_> {
        batch.notifications().iter().map(|n| n.id).collect()
    };
    assert!(ids(first.as_ref()).iter().all(|id| !ids(second.as_ref()).contains(id)));
}

#[test]
fn an_unfinished_batch_releases_its_rows_untouched() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 2);
    let claimed: Vec<_> = {
        let batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
        batch.notifications().iter().map(|n| n.id).collect()
    };
    let again = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let mut reclaimed: Vec<_> = again.notifications().iter().map(|n| n.id).collect();
    reclaimed.sort();
    let mut claimed = claimed;
    claimed.sort();
    assert_eq!(reclaimed, claimed);
    assert!(again.notifications().iter().all(|n| n.attempts == 0));
}

#[test]
fn finishing_records_every_outcome_in_its_columns() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 4);
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let due = batch.notifications().to_vec();
    let retry_at = NOW + Duration::minutes(5);
    let mut opted_out =
        delivery(&due[1], DeliveryOutcome::Failed { code: Some("21610".into()), message: "stop".into() });
    opted_out.patient_opted_out = true;
    let deliveries = [
        delivery(&due[0], DeliveryOutcome::Sent { provider_sid: "SM1".into() }),
        opted_out,
        delivery(
            &due[2],
            DeliveryOutcome::Retry { at: retry_at, code: Some("20429".into()), message: "busy".into() },
        ),
        Delivery {
            attempts: 0,
            ..delivery(
                &due[3],
                DeliveryOutcome::Skipped(SkipReason::NotConfigured("sms not configured".into())),
            )
        },
    ];
    batch.finish(&deliveries).unwrap();

    let rows = outbox(&mut db.connection());
    let status_of = |id: clinic_domain::ids::NotificationId| {
        let notes = store
            .list(clinic_domain::notification::NotificationFilter { status: None, kind: None, limit: 50 })
            .unwrap();
        notes.into_iter().find(|n| n.id == id).unwrap()
    };
    assert_eq!(rows.len(), 4);
    let sent = status_of(due[0].id);
    assert_eq!((sent.status.as_str(), sent.provider_sid.as_deref(), sent.attempts), ("sent", Some("SM1"), 1));
    assert_eq!(
        (sent.sent_at, sent.message.as_deref(), sent.segments),
        (Some(NOW + Duration::minutes(1)), Some("text"), Some(1))
    );
    let failed = status_of(due[1].id);
    assert_eq!((failed.status.as_str(), failed.error_code.as_deref()), ("failed", Some("21610")));
    assert!(
        !PatientRepository::find(&store, due[1].patient_id).unwrap().unwrap().sms_opt_in,
        "the opted-out patient is marked"
    );
    assert!(
        PatientRepository::find(&store, due[0].patient_id).unwrap().unwrap().sms_opt_in,
        "others are not"
    );
    let retry = status_of(due[2].id);
    assert_eq!(
        (retry.status.as_str(), retry.attempts, retry.error_message.as_deref()),
        ("pending", 1, Some("busy"))
    );
    let skipped = status_of(due[3].id);
    assert_eq!(
        (skipped.status.as_str(), skipped.error_message.as_deref(), skipped.attempts),
        ("skipped", Some("sms not configured"), 0)
    );

    assert!(
        store.claim_due(EVERYTHING, retry_at - Duration::seconds(1), 10).unwrap().notifications().is_empty()
    );
    let later = store.claim_due(EVERYTHING, retry_at, 10).unwrap();
    assert_eq!(later.notifications().iter().map(|n| n.id).collect::<Vec<_>>(), vec![due[2].id]);
}

#[test]
fn early_status_reports_wait_for_their_send_and_stale_ones_are_forgotten() {
    let db = TestDatabase::new();
    let store = db.store();
    let report = |sid: &str, at| clinic_domain::notification::StatusReport {
        sid: sid.into(),
        status: "delivered".into(),
        error_code: Some("0".into()),
        at,
    };
    store.keep_early_report(&report("SM1", NOW)).unwrap();
    store.keep_early_report(&report("SMold", NOW - Duration::days(2))).unwrap();
    store.keep_early_report(&report("SMother", NOW)).unwrap();
    let taken = store.take_early_reports(&["SM1".into()], NOW - Duration::days(1)).unwrap();
    let mut sids: Vec<_> = taken.iter().map(|r| r.sid.as_str()).collect();
    sids.sort();
    assert_eq!(sids, ["SM1", "SMold"], "its own, and the stale one to forget");
    assert_eq!(taken.iter().find(|r| r.sid == "SM1").unwrap(), &report("SM1", NOW));
    let later = store.take_early_reports(&["SMother".into()], NOW - Duration::days(1)).unwrap();
    assert_eq!(later.len(), 1, "taken once");
    assert!(store.take_early_reports(&["SM1".into()], NOW - Duration::days(1)).unwrap().is_empty());
}

#[test]
fn a_batch_outlives_a_servers_idle_in_transaction_timeout() {
    let db = TestDatabase::new();
    let mut admin = db.connection();
    let database: String = diesel::RunQueryDsl::get_result(
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_database()")),
        &mut admin,
    )
    .unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut admin,
        &format!("ALTER DATABASE {database} SET idle_in_transaction_session_timeout = '200ms'"),
    )
    .unwrap();
    // A store connecting after the setting: its sessions get the server's default first.
    let store = PgStore::connect(db.url(), 2);
    pending_confirmations(&store, 1);
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    // A send that takes longer than the server allows a transaction to sit idle.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let due = batch.notifications()[0].clone();
    batch.finish(&[delivery(&due, DeliveryOutcome::Sent { provider_sid: "SM1".into() })]).unwrap();
    assert_eq!(outbox(&mut db.connection())[0].status, "sent");
}
