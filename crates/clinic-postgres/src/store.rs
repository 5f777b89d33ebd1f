//! The connection pool, migrations, and the mapping of diesel's errors into the domain's.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use clinic_domain::ports::{Cause, StoreError};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::Pool;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{Connection, QueryResult, QueryableByName, RunQueryDsl, sql_query};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use uuid::Uuid;

#[cfg(feature = "test-support")]
use crate::pool::StatementCounter;
use crate::pool::{Manager, PoolId, next_pool_id};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// How long a call waits for a pooled connection before the database counts as
/// unavailable: well under a Kubernetes probe's 1 s default, so `/readyz` and data routes
/// answer 503 in time when PostgreSQL is down. A pool that busy is overloaded anyway.
const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(750);

/// Held while migrating, so that instances starting together migrate one at a time.
const MIGRATION_LOCK: i64 = 0x636c_696e_6963; // "clinic"

type PgPool = Pool<Manager>;
pub(crate) use crate::pool::PgPooled;

/// The clinic's PostgreSQL database: fills every repository port.
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    id: PoolId,
    /// The pool's lost connections ([`Manager::losses`]).
    losses: Arc<AtomicU64>,
}

impl PgStore {
    /// A pool of up to `size` connections, opened as they are needed: a database that
    /// is down at start-up, or goes down later, makes calls fail `Unavailable` after
    /// 0.75 s (`CHECKOUT_TIMEOUT`) instead of failing here.
    pub fn connect(url: &str, size: u32) -> Self {
        Self::connect_with_timeout(url, size, CHECKOUT_TIMEOUT)
    }

    /// As [`PgStore::connect`], waiting at most `timeout` for a connection.
    pub fn connect_with_timeout(url: &str, size: u32, timeout: Duration) -> Self {
        Self::with_pool(size, timeout, Manager::new(url, None))
    }

    /// As [`PgStore::connect`], counting the statements its connections send (tests).
    #[cfg(feature = "test-support")]
    pub(crate) fn connect_counted(url: &str, size: u32, counter: StatementCounter) -> Self {
        Self::with_pool(size, CHECKOUT_TIMEOUT, Manager::new(url, Some(counter)))
    }

    fn with_pool(size: u32, timeout: Duration, manager: Manager) -> Self {
        let losses = manager.losses();
        Self { pool: pool_builder(size, timeout).build_unchecked(manager), id: next_pool_id(), losses }
    }

    /// Applies pending migrations under an advisory lock; the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        migrate(&mut *self.connection()?)
    }

    /// One round trip to the database, for readiness checks.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| sql_query("SELECT 1").execute(conn))?;
        Ok(())
    }

    /// The unit of work's connection (see [`crate::unit_of_work`]), or one from the pool.
    pub(crate) fn connection(&self) -> Result<PgPooled, StoreError> {
        PgPooled::get(self.id, &self.losses, || {
            self.pool.get().map_err(|e| StoreError::unavailable(Cause::new(e)))
        })
    }

    /// Runs `call` on [`PgStore::connection`], and once more on a freshly validated one
    /// when that connection, handed out without a ping, was found gone by `call`'s first
    /// statement: what r2d2's checkout ping did before the pool skipped it. Nothing of the
    /// call can have been committed then; a call failing later (a `COMMIT` whose outcome
    /// is unknown) is never run twice.
    pub(crate) fn with_connection<T, E: From<StoreError>>(
        &self,
        call: impl FnMut(&mut PgConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.holding(call).map(|(_, value)| value)
    }

    /// As [`PgStore::with_connection`], keeping the connection (an outbox batch holds its
    /// transaction open on it).
    pub(crate) fn holding<T, E: From<StoreError>>(
        &self,
        mut call: impl FnMut(&mut PgConnection) -> Result<T, E>,
    ) -> Result<(PgPooled, T), E> {
        let mut conn = self.connection()?;
        let sent = conn.sent();
        match call(&mut conn) {
            Err(_) if conn.dead_on_arrival(sent) => {
                // Back to the pool, which drops it and pings the rest at their checkout.
                drop(conn);
                let mut conn = self.connection()?;
                let value = call(&mut conn)?;
                Ok((conn, value))
            }
            done => done.map(|value| (conn, value)),
        }
    }

    /// Runs `work` in one transaction on a pooled connection.
    pub(crate) fn transaction<T>(
        &self,
        mut work: impl FnMut(&mut PgConnection) -> Result<T, DieselError>,
    ) -> Result<T, StoreError> {
        self.with_connection(|conn| PgConnection::transaction(conn, &mut work).map_err(store_error))
    }

    /// Runs one query on a pooled connection.
    pub(crate) fn run<T>(
        &self,
        mut query: impl FnMut(&mut PgConnection) -> Result<T, DieselError>,
    ) -> Result<T, StoreError> {
        self.with_connection(|conn| query(conn).map_err(store_error))
    }
}

/// Runs `work` in a transaction begun by `begin` (`BEGIN` and statements sent with it in
/// one round trip); committed if it succeeds, rolled back otherwise.
pub(crate) fn in_transaction<T, E: From<DieselError>>(
    conn: &mut PgConnection,
    begin: &str,
    work: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E> {
    if let Err(error) = AnsiTransactionManager::begin_transaction_sql(conn, begin) {
        // `BEGIN` may have run and a statement after it failed (a lock timeout): leave no
        // transaction open on a connection diesel counts as idle.
        let _ = conn.batch_execute("ROLLBACK");
        return Err(error.into());
    }
    match work(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match AnsiTransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Connections are validated on checkout (r2d2's default), which [`Manager`] skips for
/// those that just worked: see `pool.rs`.
fn pool_builder(size: u32, timeout: Duration) -> diesel::r2d2::Builder<Manager> {
    Pool::builder().max_size(size).min_idle(Some(1)).connection_timeout(timeout)
}

/// Applies pending migrations on `conn`, holding the migration advisory lock meanwhile.
pub fn migrate(conn: &mut PgConnection) -> Result<Vec<String>, StoreError> {
    let lock = |conn: &mut PgConnection, sql: &str| {
        sql_query(sql).bind::<BigInt, _>(MIGRATION_LOCK).execute(conn).map_err(store_error)
    };
    lock(conn, "SELECT pg_advisory_lock($1)")?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| StoreError::failed(format!("migration failed: {e}")))
        .and_then(|applied| {
            crate::patients::fold_missing_search_names(conn).map_err(store_error)?;
            Ok(applied)
        });
    lock(conn, "SELECT pg_advisory_unlock($1)")?;
    applied
}

/// Creates database `name` (a plain identifier) on the server `admin_url` points at,
/// unless it exists; whether it did.
pub fn create_database(admin_url: &str, name: &str) -> Result<bool, StoreError> {
    let mut admin = PgConnection::establish(admin_url).map_err(|e| StoreError::unavailable(Cause::new(e)))?;
    create_database_on(&mut admin, name).map_err(store_error)
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

pub(crate) fn create_database_on(admin: &mut PgConnection, name: &str) -> QueryResult<bool> {
    let exists = sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<Text, _>(name)
        .get_result::<Exists>(admin)?
        .exists;
    if !exists {
        log::info!("creating database {name}");
        sql_query(format!("CREATE DATABASE {name}")).execute(admin)?;
    }
    Ok(!exists)
}

/// Lost connections are the database being unavailable; anything else is a failure.
pub(crate) fn store_error(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => StoreError::unavailable(info.message()),
        other => StoreError::failed(Cause::new(other)),
    }
}

/// Rows as far as they could be read, and the ids of those that could not, with why.
pub(crate) struct Readable<T> {
    pub rows: Vec<T>,
    pub unreadable: Vec<(Uuid, String)>,
}

impl<T> Readable<T> {
    /// The rows, the unreadable ones left out with a warning.
    pub fn logged(self, what: &str) -> Vec<T> {
        for (id, reason) in &self.unreadable {
            log::warn!("{what} {id} left out: unreadable row: {reason}");
        }
        self.rows
    }
}

/// Loads rows with `load(conn, None)`; when one of them cannot be read (written by
/// hand, or by an old version: a time beyond what the service represents), loads them
/// one at a time by id (`load(conn, Some(id))`, the ids from `ids`) and sets apart
/// those that cannot be read, so that one bad row never hides the rest.
pub(crate) fn readable<T>(
    conn: &mut PgConnection,
    load: impl Fn(&mut PgConnection, Option<Uuid>) -> QueryResult<Vec<T>>,
    ids: impl FnOnce(&mut PgConnection) -> QueryResult<Vec<Uuid>>,
) -> QueryResult<Readable<T>> {
    match load(conn, None) {
        Err(DieselError::DeserializationError(_)) => {}
        all => return all.map(|rows| Readable { rows, unreadable: Vec::new() }),
    }
    let mut read = Readable { rows: Vec::new(), unreadable: Vec::new() };
    for id in ids(conn)? {
        match load(conn, Some(id)) {
            Ok(row) => read.rows.extend(row),
            Err(DieselError::DeserializationError(e)) => read.unreadable.push((id, e.to_string())),
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

/// Whether the error is a unique violation of the named index.
pub(crate) fn violates(error: &DieselError, index: &str) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some(index)
    )
}

/// A stored value the domain does not recognise: the data breaks the schema's promise.
pub(crate) fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::failed(format!("stored {what} {value:?} is not valid"))
}
