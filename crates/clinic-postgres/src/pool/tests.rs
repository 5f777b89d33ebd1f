//! The pool's shortcuts against a real PostgreSQL, through the store's crate-private calls.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{RunQueryDsl, sql_query};

use super::unit_of_work;
use crate::testing::TestDatabase;

#[test]
fn a_connection_left_in_a_failed_transaction_goes_back_to_the_pool_not_to_the_units_next_call() {
    let db = TestDatabase::new();
    let store = db.store();
    unit_of_work(|| {
        let mut conn = store.connection().unwrap();
        AnsiTransactionManager::begin_transaction(&mut *conn).unwrap();
        assert!(sql_query("SELECT 1/0").execute(&mut *conn).is_err(), "the transaction aborted");
        drop(conn);
        store.ping().expect("a healthy connection for the unit's next call");
        assert_eq!(store.pool_state().in_use, 1, "that one kept by the unit");
    });
}

#[test]
fn a_call_that_lost_its_connection_after_the_first_statement_is_not_run_again() {
    let db = TestDatabase::new();
    let store = db.store();
    store.ping().unwrap();
    let mut runs = 0;
    let ran = store.run(|conn| {
        runs += 1;
        sql_query("SELECT 1").execute(conn)?;
        db.cut_connections();
        sql_query("SELECT 1").execute(conn)
    });
    assert!(ran.is_err(), "the second statement found the connection gone");
    assert_eq!(runs, 1, "its first statement may have written something");
}

#[test]
fn a_transaction_that_lost_its_connection_at_commit_is_not_run_again() {
    let db = TestDatabase::new();
    let store = db.store();
    store.ping().unwrap();
    let mut runs = 0;
    let committed = store.transaction(|_| {
        runs += 1;
        db.cut_connections();
        Ok(())
    });
    assert!(committed.is_err(), "COMMIT found the connection gone");
    assert_eq!(runs, 1, "whether it committed is unknown");
}
