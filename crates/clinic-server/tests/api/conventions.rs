//! HTTP conventions: HEAD wherever GET, and CORS for the origins configured.

use serde_json::json;

use crate::support::{Settings, TestApp, spawn_app, spawn_app_with};

const FRONT_END: &str = "https://app.example.com";

/// Status and the headers of a raw request (ureq reads no body for HEAD).
fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, ureq::http::HeaderMap, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = ureq::http::Request::builder().method(method).uri(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = agent.run(request.body(()).unwrap()).unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), response.headers().clone(), body)
}

fn header<'a>(headers: &'a ureq::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn head_answers_wherever_get_does_with_the_headers_and_no_body() {
    let app = spawn_app();
    let patient = app.patient();
    let staff = app.staff();
    let doctor = app.doctor("Dr Tan");
    let bearer = |token: &str| format!("Bearer {token}");
    let (patient_auth, staff_auth) = (bearer(&patient.token), bearer(&staff.token));
    let cases = [
        ("/healthz", None),
        ("/readyz", None),
        ("/api/openapi.json", None),
        ("/api/clinic", None),
        ("/api/doctors", None),
        (&format!("/api/doctors/{doctor}/slots?date=2026-11-25") as &str, None),
        ("/api/me/profile", Some(&patient_auth)),
        ("/api/appointments", Some(&patient_auth)),
        ("/api/admin/appointments?date=2026-11-25", Some(&staff_auth)),
        ("/api/admin/notifications", Some(&staff_auth)),
    ];
    for (path, auth) in cases {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let (get_status, get_headers, get_body) = raw(&app, "GET", path, &headers);
        let (status, headers, body) = raw(&app, "HEAD", path, &headers);
        assert_eq!((get_status, status), (200, 200), "{path}");
        assert_eq!(body, "", "{path}: HEAD has no body");
        assert!(!get_body.is_empty(), "{path}: GET has one");
        assert_eq!(header(&headers, "content-type"), header(&get_headers, "content-type"), "{path}");
    }
    let (status, _, body) = raw(&app, "HEAD", "/api/me/profile", &[]);
    assert_eq!((status, body.as_str()), (401, ""), "HEAD is checked as GET is");
}

#[test]
fn cors_is_off_by_default() {
    let app = spawn_app();
    let (status, headers, _) = raw(&app, "GET", "/api/clinic", &[("Origin", FRONT_END)]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    let (status, headers, _) = raw(&app, "OPTIONS", "/api/appointments/book", &preflight(FRONT_END));
    assert_eq!(status, 405, "no preflight is answered");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}

fn preflight(origin: &str) -> [(&str, &str); 3] {
    [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "authorization,content-type,idempotency-key"),
    ]
}

fn app_with_cors() -> TestApp {
    let mut settings = Settings::default();
    settings.vars.push(("CORS_ALLOWED_ORIGINS", format!("{FRONT_END}, http://localhost:3000")));
    spawn_app_with(settings)
}

#[test]
fn an_allowed_origin_gets_the_cors_headers_and_another_does_not() {
    let app = app_with_cors();
    let (status, headers, _) = raw(&app, "GET", "/api/clinic", &[("Origin", FRONT_END)]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(FRONT_END));
    let exposed = header(&headers, "access-control-expose-headers").unwrap_or_default();
    assert!(exposed.to_ascii_lowercase().contains("idempotent-replayed"), "{exposed}");
    let (_, headers, _) = raw(&app, "GET", "/api/clinic", &[("Origin", "http://localhost:3000")]);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("http://localhost:3000"));

    let (status, headers, _) = raw(&app, "GET", "/api/clinic", &[("Origin", "https://evil.example.com")]);
    assert_eq!(status, 200, "a non-browser client still gets its answer");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);

    let answer = app.request("GET", "/api/clinic", None, None);
    assert_eq!(answer.body, json!({"name": "Gabriel Family Clinic", "timezone": "Asia/Singapore"}));
}

#[test]
fn a_preflight_from_an_allowed_origin_is_answered_and_one_from_another_is_refused() {
    let app = app_with_cors();
    let (status, headers, _) = raw(&app, "OPTIONS", "/api/appointments/book", &preflight(FRONT_END));
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(FRONT_END));
    assert!(header(&headers, "access-control-allow-methods").unwrap_or_default().contains("POST"));
    let allowed = header(&headers, "access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    for wanted in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed.contains(wanted), "{wanted} in {allowed}");
    }
    assert_eq!(header(&headers, "access-control-max-age"), Some("3600"));

    let (status, headers, _) =
        raw(&app, "OPTIONS", "/api/appointments/book", &preflight("https://evil.example.com"));
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}
