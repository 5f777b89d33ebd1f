//! `GET /api/openapi.json`: generated from the code, and holding every route the app serves.

use std::collections::BTreeSet;

use clinic_server::openapi::{document, operations};
use clinic_server::routes;

use crate::support::spawn_app;

const NIL: &str = "00000000-0000-0000-0000-000000000000";

#[test]
fn the_document_is_served_as_openapi_3_1_json_with_every_path_of_the_api() {
    let app = spawn_app();
    let answer = app.get("/api/openapi.json", None);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.body["openapi"], "3.1.0");
    let paths: BTreeSet<&str> =
        answer.body["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for path in [
        "/healthz",
        "/readyz",
        "/api/clinic",
        "/api/doctors",
        "/api/doctors/{id}/slots",
        "/api/me/profile",
        "/api/appointments/book",
        "/api/appointments",
        "/api/appointments/{id}",
        "/api/appointments/{id}/cancel",
        "/api/admin/doctors",
        "/api/admin/doctors/{id}",
        "/api/admin/doctors/{id}/schedule",
        "/api/admin/appointments",
        "/api/admin/appointments/{id}/status",
        "/api/admin/notifications",
        "/api/webhooks/twilio/status",
        "/api/webhooks/twilio/inbound",
        "/api/cron/reminders",
        "/api/openapi.json",
    ] {
        assert!(paths.contains(path), "{path} is missing from {paths:?}");
    }
    let book = &answer.body["paths"]["/api/appointments/book"]["post"];
    for status in ["201", "400", "401", "404", "409", "413", "415", "422", "503"] {
        assert!(book["responses"][status].is_object(), "booking documents {status}");
    }
    assert!(book["responses"]["409"]["description"].as_str().unwrap().contains("slot_taken"));
    assert!(answer.body["components"]["schemas"]["ErrorBody"]["required"].as_array().unwrap().len() == 2);
    assert!(answer.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[test]
fn every_route_the_app_serves_is_in_the_document_and_nothing_else() {
    let mut served: BTreeSet<(String, String)> = BTreeSet::new();
    for route in routes::table() {
        if route.method == "GET" {
            served.insert(("HEAD".into(), route.path.into()));
        }
        served.insert((route.method.to_string(), route.path.into()));
    }
    let documented: BTreeSet<(String, String)> =
        operations(document()).into_iter().map(|(method, path)| (method.into(), path)).collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
    let not_served: Vec<_> = documented.difference(&served).collect();
    assert!(not_served.is_empty(), "documented but not served: {not_served:?}");
}

#[test]
fn every_documented_operation_is_answered_and_other_methods_are_405() {
    let app = spawn_app();
    // A staff token passes the staff scope's check, so routing decides the answer.
    let staff = app.staff();
    let documented = operations(document());
    // HEAD has its own test (conventions.rs), on a client of its own.
    for (method, path) in documented.iter().filter(|(method, _)| *method != "HEAD") {
        let url = path.replace("{id}", NIL);
        let answer = app.request(method, &url, Some(&staff), None);
        assert_ne!(answer.status, 405, "{method} {path}: {answer:?}");
        assert_ne!(answer.code(), "not_found", "{method} {path}: {answer:?}");
        for other in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if !documented.iter().any(|(m, p)| *m == other && p == path) {
                let answer = app.request(other, &url, Some(&staff), None);
                assert_eq!(answer.status, 405, "{other} {path} is not documented: {answer:?}");
            }
        }
    }
}
