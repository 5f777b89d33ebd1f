use clinic_domain::ports::DoctorRepository;
use clinic_postgres::testing::{TestDatabase, concurrently};
use clinic_postgres::unit_of_work;

#[test]
fn a_connection_just_returned_is_handed_out_again_without_a_ping() {
    let db = TestDatabase::new();
    let (store, statements) = db.counted_store();
    store.ping().unwrap();
    statements.reset();
    store.ping().unwrap();
    store.ping().unwrap();
    assert_eq!((statements.count(), statements.pings()), (2, 0), "the two pings of ours, no checkout ping");
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

#[test]
fn a_connection_cut_since_its_last_call_is_replaced_and_the_next_call_succeeds() {
    let db = TestDatabase::new();
    let store = db.store();
    store.ping().unwrap();
    assert!(db.cut_connections() > 0, "the store's connection among them");
    store.ping().expect("run again on a validated connection");
    assert_eq!(store.list_active().unwrap().len(), 0);
}

#[test]
fn every_connection_of_the_pool_cut_at_once_is_replaced() {
    let db = TestDatabase::new();
    let store = db.store();
    let work = |_| store.ping().and_then(|()| store.list_active());
    assert!(concurrently(4, work).iter().all(Result::is_ok));
    assert!(db.cut_connections() > 1, "several of the pool's connections");
    for answer in concurrently(4, work) {
        answer.expect("each call on a live connection");
    }
}

#[test]
fn a_units_connection_cut_between_its_calls_is_replaced() {
    let db = TestDatabase::new();
    let store = db.store();
    unit_of_work(|| {
        store.ping().unwrap();
        assert!(db.cut_connections() > 0);
        store.ping().expect("run again on a validated connection");
        store.ping().unwrap();
    });
}

#[test]
fn another_pool_losing_its_connections_costs_this_one_no_ping() {
    let (ours, theirs) = (TestDatabase::new(), TestDatabase::new());
    let (store, statements) = ours.counted_store();
    let other = theirs.store();
    store.ping().unwrap();
    other.ping().unwrap();
    theirs.cut_connections();
    other.ping().unwrap();
    statements.reset();
    store.ping().unwrap();
    assert_eq!((statements.count(), statements.pings()), (1, 0), "no checkout ping for our connection");
}
