//! The service as it runs in production: the release binary, on a PostgreSQL cluster with
//! durable commits, configured through its environment.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clinic_domain::doctor::Doctor;
use clinic_domain::ports::DoctorRepository;
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput, WeeklySchedule};
use clinic_postgres::PgStore;
use clinic_postgres::cluster::{ClusterOptions, LocalCluster};
use clinic_server::auth::TokenKeys;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::support::{Answer, send};

pub const SECRET: &str = "bench-secret-for-the-clinic-service-0123456789";
pub const CRON_SECRET: &str = "bench-cron-secret";

/// A durable cluster (fsync and synchronous_commit on) with the clinic's database.
pub struct Database {
    pub cluster: LocalCluster,
    pub url: String,
    pub store: PgStore,
    dir: PathBuf,
}

impl Database {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("clinic-bench-{}", std::process::id()));
        let options = ClusterOptions { dir: dir.clone(), durable: true, max_connections: 300 };
        let cluster = LocalCluster::start(&options).expect("start a durable PostgreSQL cluster");
        clinic_postgres::create_database(&cluster.database_url("postgres"), "clinic").unwrap();
        let url = cluster.database_url("clinic");
        let store = PgStore::connect(&url, 4);
        store.migrate().unwrap();
        Self { cluster, url, store, dir }
    }

    /// Runs `sql` (statements separated by `;`) as the superuser.
    pub fn execute(&self, sql: &str) {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        let mut conn = diesel::PgConnection::establish(&self.url).unwrap();
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One number from a query.
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&self.url).unwrap();
        diesel::sql_query(sql).get_result::<Count>(&mut conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
    }

    /// `count` doctors seen every day from 00:00 to 23:55 in 5-minute slots (287 a day).
    pub fn doctors(&self, count: usize) -> Vec<Uuid> {
        let weekly =
            (1..=7).map(|weekday| OpeningHoursInput { weekday, start: "00:00".into(), end: "23:55".into() });
        let schedule =
            WeeklySchedule::parse(&ScheduleInput { slot_minutes: 5, weekly: weekly.collect() }).unwrap();
        (0..count)
            .map(|i| {
                let doctor = Doctor {
                    schedule: schedule.clone(),
                    ..Doctor::new(&format!("Dr Bench {i}"), "Family medicine").unwrap()
                };
                self.store.insert(&doctor, OffsetDateTime::now_utc()).unwrap();
                doctor.id.as_uuid()
            })
            .collect()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.cluster.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `clinic` binary serving on a free port of 127.0.0.1.
pub struct Service {
    child: Child,
    pub base: String,
    agent: ureq::Agent,
}

impl Service {
    pub fn start(db: &Database, extra: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_clinic"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("AUTH_JWT_SECRET", SECRET)
            .env("CRON_SECRET", CRON_SECRET)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("CLINIC_TIMEZONE", "UTC")
            .env("RUST_LOG", "warn")
            // Messages go to the log (no Twilio), as fast as it takes them.
            .env("SMS_MAX_PER_SECOND", "10000")
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the clinic binary");
        let service = Self { child, base: format!("http://127.0.0.1:{port}"), agent: agent() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while service.ready() != Some(200) {
            assert!(Instant::now() < deadline, "the service did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        service
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
        let body = body.map(Value::to_string);
        send(&self.agent, method, &self.url(path), token, &[], body.as_deref())
    }

    /// `/readyz`'s status, once the service listens.
    fn ready(&self) -> Option<u16> {
        let answer = self.agent.get(format!("{}/readyz", self.base)).call().ok()?;
        Some(answer.status().as_u16())
    }

    /// Resident memory now and at its peak, in MiB (`VmRSS`, `VmHWM`).
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(f64::NAN, |kib| kib / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// `count` patients with a profile and a phone, each with a token of their own.
    pub fn patients(&self, count: usize) -> Vec<(Uuid, String)> {
        let keys = TokenKeys::new(SECRET.as_bytes());
        (0..count)
            .map(|i| {
                let id = Uuid::new_v4();
                let token = keys.issue(id, false, Duration::from_secs(24 * 3600)).unwrap();
                let profile = json!({"full_name": format!("Patient {i}"), "phone": "+6591234567"});
                let saved = self.call("PUT", "/api/me/profile", Some(&token), Some(&profile));
                assert_eq!(saved.status, 200, "{saved:?}");
                (id, token)
            })
            .collect()
    }

    /// Runs `work` with the service stopped (SIGSTOP), so that it takes no CPU meanwhile.
    pub fn paused<T>(&self, work: impl FnOnce() -> T) -> T {
        let signal = |name: &str| {
            let status = Command::new("kill").args([name, &self.child.id().to_string()]).status();
            assert!(status.is_ok_and(|s| s.success()), "kill {name}");
        };
        signal("-STOP");
        let done = work();
        signal("-CONT");
        done
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that keeps its one connection alive.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(1)
        .build()
        .into()
}
