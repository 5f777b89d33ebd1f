//! `GET /metrics`: Prometheus text, counted by route pattern, read from the database at
//! scrape time, and behind `METRICS_TOKEN` when it is set.

use serde_json::json;
use uuid::Uuid;

use crate::support::{SLOT, Settings, TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "metrics-token-for-the-tests";

pub fn scrape(app: &TestApp) -> String {
    let answer = app.get("/metrics", None);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.content_type.as_deref(), Some("text/plain; version=0.0.4; charset=utf-8"));
    answer.body.as_str().unwrap().to_owned()
}

/// The value of the sample that starts with `series ` (labels included).
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn requests_are_counted_by_route_pattern_never_by_raw_path() {
    let app = spawn_app();
    let patient = app.login();
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(app.get(&format!("/api/appointments/{first}"), Some(&patient)).status, 404);
    assert_eq!(app.get(&format!("/api/appointments/{second}"), Some(&patient)).status, 404);
    assert_eq!(app.get(&format!("/no/such/{first}"), None).status, 404);
    assert_eq!(app.request("DELETE", "/api/clinic", None, None).status, 405);

    let text = scrape(&app);
    let by_id = r#"route="/api/appointments/{id}",method="GET",status="404""#;
    assert_eq!(sample(&text, &format!("clinic_http_requests_total{{{by_id}}}")), Some(2.0), "{text}");
    let unmatched = r#"route="unmatched",method="GET",status="404""#;
    assert_eq!(sample(&text, &format!("clinic_http_requests_total{{{unmatched}}}")), Some(1.0), "{text}");
    let refused = r#"route="/api/clinic",method="DELETE",status="405""#;
    assert_eq!(sample(&text, &format!("clinic_http_requests_total{{{refused}}}")), Some(1.0), "{text}");
    let latency = r#"clinic_http_request_duration_seconds_count{route="/api/appointments/{id}"}"#;
    assert_eq!(sample(&text, latency), Some(2.0), "{text}");
    assert!(!text.contains(&first.to_string()), "an id in a label: {text}");
}

#[test]
fn bookings_count_once_however_often_they_are_replayed() {
    let app = spawn_app();
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let body = json!({"doctor_id": doctor, "scheduled_start": SLOT}).to_string();
    let key = [("Idempotency-Key", "metrics-7f3a")];
    for _ in 0..2 {
        let answer = app.send("POST", "/api/appointments/book", Some(&patient), &key, Some(&body));
        assert_eq!(answer.status, 201, "{answer:?}");
    }
    assert_eq!(app.book(&patient, doctor, SLOT).status, 409, "taken: not a booking");
    assert_eq!(sample(&scrape(&app), "clinic_bookings_created_total"), Some(1.0));
}

#[test]
fn the_outbox_backlog_and_the_pool_are_read_at_scrape_time() {
    let app = spawn_app();
    let text = scrape(&app);
    assert_eq!(sample(&text, "clinic_outbox_pending"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "clinic_db_pool_max_connections"), Some(8.0), "{text}");
    assert!(sample(&text, "clinic_db_pool_in_use_connections").is_some(), "{text}");
    assert!(sample(&text, "clinic_db_pool_idle_connections").is_some(), "{text}");

    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    app.clock.advance(time::Duration::seconds(90));
    let text = scrape(&app);
    assert_eq!(sample(&text, "clinic_outbox_pending"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "clinic_outbox_oldest_pending_age_seconds"), Some(90.0), "{text}");

    // Delivered (to the log: Twilio is not configured), nothing is pending or late.
    app.deliver();
    let text = scrape(&app);
    assert_eq!(sample(&text, "clinic_outbox_pending"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "clinic_outbox_oldest_pending_age_seconds"), Some(0.0), "{text}");
}

#[test]
fn with_metrics_token_set_only_its_bearer_may_scrape() {
    let mut settings = Settings::default();
    settings.vars.push(("METRICS_TOKEN", TOKEN.into()));
    let app = spawn_app_with(settings);
    let with =
        |authorization: &str| app.send("GET", "/metrics", None, &[("Authorization", authorization)], None);

    assert_eq!(app.get("/metrics", None).status, 401);
    let wrong = with("Bearer not-the-token");
    assert_eq!((wrong.status, wrong.code()), (401, "unauthorized"));
    assert_eq!(with(&format!("Bearer {}", crate::support::CRON_SECRET)).status, 401);
    let right = with(&format!("Bearer {TOKEN}"));
    assert_eq!(right.status, 200);
    assert!(right.body.as_str().unwrap().contains("clinic_http_requests_total"));
}
