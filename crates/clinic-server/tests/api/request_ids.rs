//! `X-Request-Id` on every answer: the client's when sane, a new one otherwise.

use uuid::Uuid;

use crate::support::{Answer, TestApp, spawn_app};

fn with_id(app: &TestApp, method: &str, path: &str, id: &str) -> Answer {
    app.send(method, path, None, &[("X-Request-Id", id)], None)
}

fn generated(answer: &Answer) -> bool {
    answer.request_id.as_deref().is_some_and(|id| Uuid::parse_str(id).is_ok())
}

#[test]
fn every_answer_carries_a_request_id_errors_included() {
    let app = spawn_app();
    let answers = [
        app.get("/healthz", None),
        app.get("/no/such/thing", None),
        app.request("DELETE", "/api/clinic", None, None),
        app.get("/api/me/profile", None),
        app.get("/api/admin/notifications", Some(&app.login())),
        app.send("POST", "/api/appointments/book", Some(&app.login()), &[], Some("{not json")),
    ];
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 404, 405, 401, 403, 400]);
    for answer in &answers {
        assert!(generated(answer), "{answer:?}");
    }
    assert_ne!(answers[0].request_id, answers[1].request_id, "one id per request");
}

#[test]
fn a_clients_sane_id_is_echoed_and_anything_else_replaced() {
    let app = spawn_app();
    let echoed = with_id(&app, "GET", "/api/clinic", "front-desk-42.7");
    assert_eq!(echoed.request_id.as_deref(), Some("front-desk-42.7"));
    let refused = with_id(&app, "GET", "/api/me/profile", "retry-2");
    assert_eq!((refused.status, refused.request_id.as_deref()), (401, Some("retry-2")));

    let too_long = "a".repeat(129);
    for odd in [too_long.as_str(), "two words", ""] {
        let answer = with_id(&app, "GET", "/api/clinic", odd);
        assert!(generated(&answer), "{odd:?}: {answer:?}");
    }
}
