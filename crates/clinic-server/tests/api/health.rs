use std::time::{Duration, Instant};

use clinic_postgres::PgStore;
use clinic_postgres::cluster::{ClusterOptions, LocalCluster};

use crate::support::{Settings, TestApp, spawn_app, spawn_app_with};

/// A Kubernetes probe gives up after 1 s by default; the margin keeps the test steady.
const PROMPTLY: Duration = Duration::from_millis(1500);

#[test]
fn healthz_answers_while_the_process_runs() {
    let app = spawn_app();
    let answer = app.get("/healthz", None);
    assert_eq!((answer.status, answer.body["status"].as_str()), (200, Some("ok")));
}

#[test]
fn readyz_answers_when_the_database_does() {
    let app = spawn_app();
    let answer = app.get("/readyz", None);
    assert_eq!((answer.status, answer.body["status"].as_str()), (200, Some("ready")));
}

/// `/readyz` and a data route answer 503 `database_unavailable` within a probe's timeout,
/// and say nothing of where the database is.
fn assert_unavailable_promptly(app: &TestApp, hidden: &str) {
    for path in ["/readyz", "/api/doctors"] {
        let asked = Instant::now();
        let answer = app.get(path, None);
        let took = asked.elapsed();
        assert_eq!((answer.status, answer.code()), (503, "database_unavailable"), "{path}");
        assert!(took < PROMPTLY, "{path} took {took:?}");
        assert!(!answer.body["error"].as_str().unwrap().contains(hidden), "no connection details leak");
    }
}

#[test]
fn a_database_that_is_down_is_a_503_not_a_500() {
    // The production pool settings: only the URL points nowhere.
    let down = PgStore::connect("host=/nonexistent user=postgres dbname=clinic", 2);
    let app = spawn_app_with(Settings { store: Some(down), ..Settings::default() });
    assert_eq!(app.get("/healthz", None).status, 200, "the process itself is fine");
    assert_unavailable_promptly(&app, "nonexistent");
}

#[test]
fn a_request_right_after_the_database_connections_are_cut_is_answered() {
    let app = spawn_app();
    assert_eq!(app.get("/api/doctors", None).status, 200);
    assert!(app.db.cut_connections() > 0, "the service's connections among them");
    let answer = app.get("/api/doctors", None);
    assert_eq!(answer.status, 200, "the dead connection replaced, not a 503: {answer:?}");
}

#[test]
fn a_stopped_database_is_a_prompt_503_and_requests_recover_when_it_returns() {
    let dir = std::env::temp_dir().join(format!("clinic-restart-{}", uuid::Uuid::new_v4().simple()));
    let options = ClusterOptions { dir: dir.clone(), durable: false, max_connections: 20 };
    let mut cluster = LocalCluster::start(&options).unwrap();
    clinic_postgres::create_database(&cluster.database_url("postgres"), "clinic").unwrap();
    let store = PgStore::connect(&cluster.database_url("clinic"), 4);
    store.migrate().unwrap();
    let app = spawn_app_with(Settings { store: Some(store), ..Settings::default() });
    for path in ["/readyz", "/api/doctors"] {
        assert_eq!(app.get(path, None).status, 200, "{path}");
    }

    cluster.stop().unwrap();
    assert_unavailable_promptly(&app, &dir.to_string_lossy());

    let restarted = LocalCluster::start(&options).unwrap();
    for path in ["/readyz", "/api/doctors"] {
        assert_eq!(app.get(path, None).status, 200, "{path}: the pool replaced its dead connections");
    }
    drop((app, restarted));
    let _ = std::fs::remove_dir_all(&dir);
}
