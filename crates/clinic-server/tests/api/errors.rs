use serde_json::json;

use crate::support::spawn_app;

#[test]
fn an_unknown_path_is_a_json_404() {
    let app = spawn_app();
    let answer = app.get("/api/nothing-here", None);
    assert_eq!((answer.status, answer.code()), (404, "not_found"));
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
}

#[test]
fn a_wrong_method_is_a_json_405() {
    let app = spawn_app();
    let patient = app.patient();
    for (method, path) in [
        ("DELETE", "/api/doctors"),
        ("GET", "/api/appointments/book"),
        ("POST", "/healthz"),
        ("PATCH", "/api/me/profile"),
        ("GET", "/api/appointments/00000000-0000-0000-0000-000000000000/cancel"),
    ] {
        let answer = app.request(method, path, Some(&patient), None);
        assert_eq!((answer.status, answer.code()), (405, "method_not_allowed"), "{method} {path}");
    }
}

#[test]
fn a_body_over_64_kib_is_a_413() {
    let app = spawn_app();
    let user = app.login();
    let body = json!({"full_name": "x".repeat(70 * 1024)});
    let answer = app.put("/api/me/profile", Some(&user), &body);
    assert_eq!((answer.status, answer.code()), (413, "payload_too_large"));
}

#[test]
fn a_body_that_is_not_json_is_a_415() {
    let app = spawn_app();
    let user = app.login();
    let answer =
        app.send("PUT", "/api/me/profile", Some(&user), &[("Content-Type", "text/plain")], Some("hello"));
    assert_eq!((answer.status, answer.code()), (415, "unsupported_media_type"));
}

#[test]
fn errors_carry_a_human_message_and_a_stable_code() {
    let app = spawn_app();
    let answer = app.get("/api/me/profile", None);
    assert!(answer.body["error"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(answer.body["code"], "unauthorized");
    assert!(answer.body.get("details").is_none());
}

#[test]
fn dates_at_the_ends_of_the_calendar_are_answered_not_crashed_on() {
    let app = crate::support::spawn_app();
    let every_day: Vec<_> = (1..=7).map(|d| (d, "00:00", "23:59")).collect();
    let doctor = app.doctor_with("Dr Tan", 60, &every_day);
    for date in ["0000-01-01", "0001-01-01", "9999-12-31"] {
        let slots = app.get(&format!("/api/doctors/{doctor}/slots?date={date}"), None);
        assert_eq!(slots.status, 200, "{date}: {slots:?}");
        let day = app.get(&format!("/api/admin/appointments?date={date}"), Some(&app.staff()));
        assert_eq!(day.status, 200, "{date}: {day:?}");
    }
    let patient = app.patient();
    for start in
        ["9999-12-31T23:00:00Z", "9999-12-31T15:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+08:00"]
    {
        let answer = app.book(&patient, doctor, start);
        assert!(answer.status < 500, "{start}: {answer:?}");
    }
}
