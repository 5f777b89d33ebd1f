use clinic_domain::delivery::Scope;
use clinic_domain::ports::{AppointmentRepository, NotificationRepository};
use clinic_postgres::OutboxBacklog;
use clinic_postgres::testing::TestDatabase;
use time::Duration;

use crate::fixtures::{NOW, SLOT, booking_of, doctor, patient};

#[test]
fn the_backlog_counts_pending_rows_only_and_knows_the_earliest_due() {
    let db = TestDatabase::new();
    let store = db.store();
    assert_eq!(store.outbox_backlog().unwrap(), OutboxBacklog { pending: 0, earliest_due: None });

    let tan = doctor(&store, "Dr Tan");
    for i in 0..2 {
        let siti = patient(&store, Some("+6591234567"));
        store.book(&booking_of(&siti, &tan, SLOT + Duration::minutes(30 * i))).unwrap();
    }
    // No phone: the confirmation is stored skipped, never pending.
    store.book(&booking_of(&patient(&store, None), &tan, SLOT + Duration::hours(2))).unwrap();

    assert_eq!(store.outbox_backlog().unwrap(), OutboxBacklog { pending: 2, earliest_due: Some(NOW) });
}

#[test]
fn the_pool_state_counts_connections_in_use_and_idle() {
    let db = TestDatabase::new();
    let store = db.store();
    store.ping().unwrap();
    let before = store.pool_state();
    assert_eq!((before.in_use, before.max), (0, 8));
    assert!(before.idle >= 1, "{before:?}");

    // A claimed batch holds its connection until it finishes.
    let scope = Scope::Everything { reminders_created_before: NOW };
    let mut batch = store.claim_due(scope, NOW, 10).unwrap();
    assert_eq!(store.pool_state().in_use, 1);
    batch.finish(&[]).unwrap();
    assert_eq!(store.pool_state().in_use, 0);
}
