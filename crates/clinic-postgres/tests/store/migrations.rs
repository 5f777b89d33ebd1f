use clinic_postgres::testing::TestDatabase;

#[test]
fn migrating_an_up_to_date_database_applies_nothing() {
    let db = TestDatabase::new();
    assert_eq!(db.store().migrate().unwrap(), Vec::<String>::new());
}

#[test]
fn instances_starting_together_migrate_one_at_a_time() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public",
    )
    .unwrap();
    let applied: Vec<Vec<String>> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..4).map(|_| s.spawn(|| db.store().migrate().unwrap())).collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let total: usize = applied.iter().map(Vec::len).sum();
    assert_eq!(total, clinic_postgres_migration_count(), "each migration ran exactly once: {applied:?}");
}

fn clinic_postgres_migration_count() -> usize {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::pg::Pg>::migrations(&clinic_postgres::MIGRATIONS).unwrap().len()
}
