//! Test support: one database per test, cloned from a template that has the
//! migrations applied, on a private cluster this process starts (fsync off, socket
//! only) or on the server `TEST_DATABASE_URL` names.

#![allow(clippy::expect_used)] // a test that cannot get its database should fail loudly

use std::path::PathBuf;
use std::sync::OnceLock;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl, sql_query};
use uuid::Uuid;

use crate::cluster::{ClusterOptions, LocalCluster};
pub use crate::pool::StatementCounter;
use crate::store::{PgStore, create_database_on, migrate};

const TEMPLATE: &str = concat!("clinic_template_", env!("CLINIC_MIGRATIONS_FINGERPRINT"));
/// Serialises template creation across test processes sharing one server.
const TEMPLATE_LOCK: i64 = 0x636c_696e_6974; // "clinit"

/// A fresh, migrated database of its own for one test; dropped with it.
pub struct TestDatabase {
    store: PgStore,
    name: String,
    url: String,
}

impl TestDatabase {
    pub fn new() -> Self {
        let server = server();
        let name = format!("test_{}", Uuid::new_v4().simple());
        let mut admin = server.admin();
        sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            .execute(&mut admin)
            .expect("create a test database from the template");
        let url = server.url_for(&name);
        let store = PgStore::connect(&url, 8);
        Self { store, name, url }
    }

    /// The adapter under test.
    pub fn store(&self) -> PgStore {
        self.store.clone()
    }

    /// A connection string for the service under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The adapter, counting every statement its connections send.
    pub fn counted_store(&self) -> (PgStore, StatementCounter) {
        let counter = StatementCounter::default();
        (PgStore::connect_counted(&self.url, 8, counter.clone()), counter)
    }

    /// A connection of the test's own, to arrange or check rows directly.
    pub fn connection(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }

    /// Ends every connection to the database but a fresh one of the test's own: a
    /// failover, a restart, a network blip, as the service sees it. How many it ended.
    pub fn cut_connections(&self) -> usize {
        sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut self.connection())
        .expect("end the test database's connections")
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = sql_query(drop).execute(&mut server().admin()) {
            log::warn!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Runs `call(0..calls)` on as many threads, released together, and gathers the
/// results in call order: the tests' way of racing requests against each other.
pub fn concurrently<T: Send>(calls: usize, call: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = std::sync::Barrier::new(calls);
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..calls)
            .map(|i| {
                let (call, start) = (&call, &start);
                s.spawn(move || {
                    start.wait();
                    call(i)
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().expect("a concurrent call panicked")).collect()
    })
}

/// The server test databases live on, set up once per test process.
struct Server {
    admin_url: String,
    /// Kept running for the life of the process; its watchdog stops it when we exit.
    _cluster: Option<LocalCluster>,
}

impl Server {
    fn admin(&self) -> PgConnection {
        PgConnection::establish(&self.admin_url).expect("connect to the test server")
    }

    fn url_for(&self, database: &str) -> String {
        with_database(&self.admin_url, database)
    }
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Server { admin_url: url, _cluster: None },
            _ => {
                let cluster = LocalCluster::start(&ClusterOptions {
                    dir: private_cluster_dir(),
                    durable: false,
                    max_connections: 300,
                })
                .expect("start a private PostgreSQL cluster for the tests");
                Server { admin_url: cluster.database_url("postgres"), _cluster: Some(cluster) }
            }
        };
        create_template(&server);
        server
    })
}

/// `<tmp>/clinic-test-<pid>`; clusters left by test processes that are gone are removed.
fn private_cluster_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("clinic-test-")) else {
                continue;
            };
            if !PathBuf::from("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    tmp.join(format!("clinic-test-{}", std::process::id()))
}

fn create_template(server: &Server) {
    let mut admin = server.admin();
    let lock = |conn: &mut PgConnection, sql: &str| {
        sql_query(sql)
            .bind::<diesel::sql_types::BigInt, _>(TEMPLATE_LOCK)
            .execute(conn)
            .expect("template advisory lock");
    };
    lock(&mut admin, "SELECT pg_advisory_lock($1)");
    if create_database_on(&mut admin, TEMPLATE).expect("create the template database") {
        let mut template =
            PgConnection::establish(&server.url_for(TEMPLATE)).expect("connect to the template database");
        migrate(&mut template).expect("migrate the template database");
    }
    lock(&mut admin, "SELECT pg_advisory_unlock($1)");
}

/// The same server, another database: URLs get a new path, keyword strings a `dbname`.
fn with_database(url: &str, database: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (location, query) = rest.split_once('?').map_or((rest, None), |(l, q)| (l, Some(q)));
            let authority = location.split_once('/').map_or(location, |(a, _)| a);
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            return format!("{scheme}{authority}/{database}{query}");
        }
    }
    format!("{url} dbname='{database}'")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn another_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://u:p@db:5432/postgres?sslmode=require", "t1"),
            "postgres://u:p@db:5432/t1?sslmode=require"
        );
        assert_eq!(with_database("postgresql://db", "t1"), "postgresql://db/t1");
        assert_eq!(
            with_database("host='/tmp/x' user='postgres'", "t1"),
            "host='/tmp/x' user='postgres' dbname='t1'"
        );
    }
}
