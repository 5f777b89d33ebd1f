//! The desk marks a patient arrived: on the visit's day, a booked visit only, once.

use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::support::{SLOT, spawn_app};

#[test]
fn a_patient_arrives_on_the_visits_day_once_and_the_day_list_says_when() {
    let app = spawn_app();
    let (tan, siti, staff) = (app.doctor("Dr Tan"), app.patient(), app.staff());
    let id = app.booked(&siti, tan, SLOT);
    let path = format!("/api/admin/appointments/{id}/arrived");

    let day_before = app.request("POST", &path, Some(&staff), None);
    assert_eq!((day_before.status, day_before.code()), (409, "status_change_refused"));
    assert_eq!(day_before.body["details"]["reason"], "not_today");

    app.clock.advance(Duration::hours(17)); // Wednesday 09:00, before the 09:30 visit
    let arrived = app.request("POST", &path, Some(&staff), None);
    assert_eq!(arrived.status, 200, "{arrived:?}");
    assert_eq!(arrived.body["arrived_at"], "2026-11-25T01:00:00Z");
    assert_eq!(arrived.body["appointment"]["status"], "booked");
    app.clock.advance(Duration::minutes(5));
    let again = app.request("POST", &path, Some(&staff), None);
    assert_eq!(again.body["arrived_at"], "2026-11-25T01:00:00Z", "the first arrival counts");
    let day = app.get("/api/admin/appointments?date=2026-11-25", Some(&staff)).body;
    assert_eq!(day["appointments"][0]["arrived_at"], "2026-11-25T01:00:00Z");

    let moved = app.post(
        &format!("/api/admin/appointments/{id}/reschedule"),
        Some(&staff),
        &json!({"scheduled_start": "2026-11-25T03:00:00Z"}),
    );
    assert_eq!(moved.status, 200, "{moved:?}");
    let day = app.get("/api/admin/appointments?date=2026-11-25", Some(&staff)).body;
    assert_eq!(day["appointments"][0]["arrived_at"], json!(null), "arrived for the old time only");

    let cancel = json!({"status": "cancelled"});
    assert_eq!(app.post(&format!("/api/admin/appointments/{id}/status"), Some(&staff), &cancel).status, 200);
    let cancelled = app.request("POST", &path, Some(&staff), None);
    assert_eq!((cancelled.status, &cancelled.body["details"]["reason"]), (409, &json!("closed")));

    let unknown = app.request(
        "POST",
        &format!("/api/admin/appointments/{}/arrived", Uuid::new_v4()),
        Some(&staff),
        None,
    );
    assert_eq!((unknown.status, unknown.code()), (404, "appointment_not_found"));
    assert_eq!(app.request("POST", &path, Some(&siti), None).status, 403);
    assert_eq!(app.request("POST", &path, None, None).status, 401);
}
