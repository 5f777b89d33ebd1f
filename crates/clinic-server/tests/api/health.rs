use std::time::Duration;

use clinic_postgres::PgStore;

use crate::support::{Settings, spawn_app, spawn_app_with};

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

#[test]
fn a_database_that_is_down_is_a_503_not_a_500() {
    let down = PgStore::connect_with_timeout(
        "host=/nonexistent user=postgres dbname=clinic",
        2,
        Duration::from_millis(300),
    );
    let app = spawn_app_with(Settings { store: Some(down), ..Settings::default() });
    assert_eq!(app.get("/healthz", None).status, 200, "the process itself is fine");
    for path in ["/readyz", "/api/doctors"] {
        let answer = app.get(path, None);
        assert_eq!((answer.status, answer.code()), (503, "database_unavailable"), "{path}");
        assert!(
            !answer.body["error"].as_str().unwrap().contains("nonexistent"),
            "no connection details leak"
        );
    }
}
