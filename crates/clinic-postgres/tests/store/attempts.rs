//! Attempts on record before any send; outcomes recorded once, on the batch's own
//! connection or, when that was lost, on another; rows that cannot be read set aside.

use clinic_domain::delivery::{DeliveryOutcome, Recorded};
use clinic_domain::ids::NotificationId;
use clinic_domain::ports::NotificationRepository;
use clinic_postgres::testing::TestDatabase;
use diesel::RunQueryDsl;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use time::Duration;

use crate::fixtures::{NOW, count, outbox};
use crate::outbox::{EVERYTHING, delivery, pending_confirmations};

/// The attempts on record for one message, as another connection sees them.
fn attempts_of(db: &TestDatabase, id: NotificationId) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM send_attempts WHERE notification_id = $1")
        .bind::<SqlUuid, _>(id.as_uuid())
        .get_result::<Count>(&mut db.connection())
        .unwrap()
        .n
}

fn sid_of(db: &TestDatabase, id: NotificationId) -> Option<String> {
    #[derive(diesel::QueryableByName)]
    struct Sid {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        provider_sid: Option<String>,
    }
    diesel::sql_query("SELECT provider_sid FROM notifications WHERE id = $1")
        .bind::<SqlUuid, _>(id.as_uuid())
        .get_result::<Sid>(&mut db.connection())
        .unwrap()
        .provider_sid
}

#[test]
fn a_claim_right_after_the_connections_are_cut_is_made_on_a_live_connection() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    assert!(db.cut_connections() > 0);
    let batch = store.claim_due(EVERYTHING, NOW, 10).expect("claimed on a validated connection");
    assert_eq!(batch.notifications().len(), 1);
}

#[test]
fn claiming_commits_each_rows_attempt_before_anything_is_sent() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 2);
    let batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    for row in batch.notifications() {
        assert_eq!(attempts_of(&db, row.id), 1, "committed while the batch still holds the row");
        assert_eq!(row.unresolved_since, None, "no earlier attempt");
    }
}

#[test]
fn a_batch_dropped_unfinished_leaves_its_attempts_to_be_asked_about() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    drop(store.claim_due(EVERYTHING, NOW, 10).unwrap());
    let later = NOW + Duration::minutes(3);
    let batch = store.claim_due(EVERYTHING, later, 10).unwrap();
    let row = &batch.notifications()[0];
    assert_eq!(row.unresolved_since, Some(NOW), "the earliest attempt without an outcome");
    assert_eq!(row.attempts, 0, "attempts count recorded outcomes");
    assert_eq!(attempts_of(&db, row.id), 2);
}

#[test]
fn a_settled_outcome_clears_the_attempts_an_unknown_one_keeps_them_an_unreached_row_releases_its_own() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 3);
    // An earlier run died holding all three.
    drop(store.claim_due(EVERYTHING, NOW, 10).unwrap());
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let due = batch.notifications().to_vec();
    let unknown = DeliveryOutcome::Unknown { at: NOW + Duration::minutes(1), message: "no answer".into() };
    batch
        .finish(&[
            delivery(&due[0], DeliveryOutcome::Adopted { provider_sid: "SM1".into() }),
            delivery(&due[1], unknown),
        ])
        .unwrap();
    assert_eq!(attempts_of(&db, due[0].id), 0, "settled");
    assert_eq!(attempts_of(&db, due[1].id), 2, "still unknown: both attempts kept");
    assert_eq!(attempts_of(&db, due[2].id), 1, "never reached: only the earlier attempt stays");
    assert_eq!(sid_of(&db, due[0].id).as_deref(), Some("SM1"));
}

#[test]
fn outcomes_are_recorded_on_another_connection_when_the_batchs_own_is_cut() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let row = batch.notifications()[0].clone();
    db.cut_connections();
    let sent = [delivery(&row, DeliveryOutcome::Sent { provider_sid: "SM1".into() })];
    assert!(batch.finish(&sent).is_err(), "the batch's transaction is gone");
    assert_eq!(batch.finish(&sent).unwrap(), Recorded::default());
    assert_eq!(outbox(&mut db.connection())[0].status, "sent");
    assert_eq!(sid_of(&db, row.id).as_deref(), Some("SM1"));
    assert_eq!(attempts_of(&db, row.id), 0);
}

#[test]
fn a_late_record_changes_nothing_another_worker_recorded_meanwhile() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    let mut first = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let row = first.notifications()[0].clone();
    db.cut_connections();
    let late = [delivery(&row, DeliveryOutcome::Sent { provider_sid: "SM-late".into() })];
    assert!(first.finish(&late).is_err());
    // The next worker asks Twilio, adopts the message, and records it first.
    let mut second = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let again = second.notifications()[0].clone();
    second
        .finish(&[delivery(&again, DeliveryOutcome::Adopted { provider_sid: "SM-adopted".into() })])
        .unwrap();
    first.finish(&late).unwrap();
    assert_eq!(sid_of(&db, row.id).as_deref(), Some("SM-adopted"));
}

#[test]
fn a_sid_twilio_gave_two_messages_is_recorded_for_both_and_reported() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 3);
    let mut batch = store.claim_due(EVERYTHING, NOW, 1).unwrap();
    let first = batch.notifications()[0].clone();
    batch.finish(&[delivery(&first, DeliveryOutcome::Sent { provider_sid: "SMdup".into() })]).unwrap();
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let due = batch.notifications().to_vec();
    let recorded = batch
        .finish(&[
            delivery(&due[0], DeliveryOutcome::Sent { provider_sid: "SMdup".into() }),
            delivery(&due[1], DeliveryOutcome::Sent { provider_sid: "SMown".into() }),
        ])
        .unwrap();
    assert_eq!(recorded.shared_sids, vec![(due[0].id, "SMdup".to_owned())]);
    assert!(outbox(&mut db.connection()).iter().all(|row| row.status == "sent"));
}

#[test]
fn a_row_that_cannot_be_read_is_set_aside_and_the_rest_are_claimed() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 3);
    let mut conn = db.connection();
    // Written outside the API: a start beyond what the service can represent.
    diesel::sql_query(
        "UPDATE appointments SET scheduled_start = '10000-01-01T00:00:00Z', scheduled_end = '10000-01-01T00:30:00Z' \
         WHERE id = (SELECT appointment_id FROM notifications ORDER BY created_at, id LIMIT 1)",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("UPDATE notifications SET to_phone = 'not a phone' WHERE id = (SELECT id FROM notifications ORDER BY created_at DESC, id DESC LIMIT 1)")
        .execute(&mut conn)
        .unwrap();
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    assert_eq!(batch.notifications().len(), 1, "the readable one");
    batch.finish(&[]).unwrap();
    let rows = outbox(&mut conn);
    let failed: Vec<_> = rows.iter().filter(|r| r.status == "failed").collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed.iter().all(|r| r.error_message.as_deref().unwrap().starts_with("unreadable row: ")),
        "{failed:?}"
    );
    assert_eq!(count(&mut conn, "send_attempts"), 0, "the readable row was released untouched");
}

#[test]
fn a_batch_knows_when_its_connection_is_gone() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 1);
    let batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    assert!(batch.still_held());
    db.cut_connections();
    assert!(!batch.still_held());
}

#[test]
fn an_unrecorded_attempt_is_found_abandoned_once_and_a_recorded_unknown_one_is_not() {
    let db = TestDatabase::new();
    let store = db.store();
    pending_confirmations(&store, 2);
    drop(store.claim_due(EVERYTHING, NOW, 10).unwrap()); // a batch that never recorded
    let later = NOW + Duration::seconds(30);
    let mut second = store.claim_due(EVERYTHING, later, 10).unwrap();
    let due = second.notifications().to_vec();
    assert!(due.iter().all(|row| row.lost_since == Some(later)), "found gone now");
    let unknown = DeliveryOutcome::Unknown { at: later, message: "no answer".into() };
    second.finish(&[delivery(&due[0], unknown)]).unwrap();
    let third = store.claim_due(EVERYTHING, later + Duration::minutes(5), 10).unwrap();
    for row in third.notifications() {
        assert_eq!(row.lost_since, Some(later), "still from when it was first found gone: {row:?}");
    }
}
