use clinic_postgres::testing::TestDatabase;
use clinic_postgres::unit_of_work;

#[test]
fn a_connection_just_returned_is_handed_out_again_without_a_ping() {
    let db = TestDatabase::new();
    let (store, statements) = db.counted_store();
    store.ping().unwrap();
    statements.reset();
    store.ping().unwrap();
    store.ping().unwrap();
    assert_eq!(statements.count(), 2, "the two pings of ours, no checkout ping");
}

#[test]
fn a_unit_of_work_shares_one_checkout_per_pool_and_returns_it_when_done() {
    let db = TestDatabase::new();
    let (store, other) = (db.store(), db.counted_store().0);
    unit_of_work(|| {
        for _ in 0..3 {
            store.ping().unwrap();
            assert_eq!(store.pool_state().in_use, 1, "kept by the unit between calls");
        }
        other.ping().unwrap();
        assert_eq!(other.pool_state().in_use, 1, "another pool: a connection of its own");
    });
    assert_eq!((store.pool_state().in_use, other.pool_state().in_use), (0, 0), "returned at the end");
}

#[test]
fn another_thread_inside_a_unit_checks_out_its_own_connection() {
    let db = TestDatabase::new();
    let store = db.store();
    unit_of_work(|| {
        std::thread::scope(|s| s.spawn(|| store.ping().unwrap()).join().unwrap());
        assert_eq!(store.pool_state().in_use, 0, "returned to the pool, not kept by this unit");
    });
}
