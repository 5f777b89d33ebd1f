use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

use crate::support::{SLOT, TestApp, User, spawn_app};

fn create_doctor(app: &TestApp, staff: &User, name: &str) -> Uuid {
    let answer =
        app.post("/api/admin/doctors", Some(staff), &json!({"name": name, "specialty": "Family medicine"}));
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.body["id"].as_str().unwrap().parse().unwrap()
}

fn weekdays(slot_minutes: i64) -> Value {
    json!({
        "slot_minutes": slot_minutes,
        "weekly": (1..=5).map(|d| json!({"weekday": d, "start": "09:00", "end": "12:00"})).collect::<Vec<_>>()
    })
}

#[test]
fn every_staff_route_refuses_patients_and_strangers() {
    let app = spawn_app();
    let (patient, id) = (app.patient(), Uuid::new_v4());
    let routes = [
        ("POST", "/api/admin/doctors".to_owned(), Some(json!({"name": "Dr X", "specialty": "GP"}))),
        ("PATCH", format!("/api/admin/doctors/{id}"), Some(json!({"active": false}))),
        ("PUT", format!("/api/admin/doctors/{id}/schedule"), Some(weekdays(15))),
        ("GET", "/api/admin/appointments?date=2026-11-25".to_owned(), None),
        ("POST", format!("/api/admin/appointments/{id}/status"), Some(json!({"status": "completed"}))),
        ("GET", "/api/admin/notifications".to_owned(), None),
    ];
    for (method, path, body) in &routes {
        let anonymous = app.request(method, path, None, body.as_ref());
        assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"), "{method} {path}");
        let refused = app.request(method, path, Some(&patient), body.as_ref());
        assert_eq!((refused.status, refused.code()), (403, "forbidden"), "{method} {path}");
    }
    assert_eq!(app.get("/api/admin/notifications", Some(&app.staff())).status, 200);
}

#[test]
fn with_only_the_api_staff_open_a_doctor_a_patient_books_and_the_visit_is_completed() {
    let app = spawn_app();
    let staff = app.staff();
    let doctor = create_doctor(&app, &staff, "Dr Tan");
    assert_eq!(
        app.put(&format!("/api/admin/doctors/{doctor}/schedule"), Some(&staff), &weekdays(30)).status,
        200
    );
    let slots = app.get(&format!("/api/doctors/{doctor}/slots?date=2026-11-25"), None);
    assert_eq!(slots.body["slots"].as_array().unwrap().len(), 6);
    let first = slots.body["slots"][0]["start"].as_str().unwrap().to_owned();

    let patient = app.patient();
    let appointment = app.booked(&patient, doctor, &first);
    let day = app.get("/api/admin/appointments?date=2026-11-25", Some(&staff));
    assert_eq!(
        day.body,
        json!({"appointments": [{
            "id": appointment, "doctor_id": doctor, "patient_id": patient.id, "patient_name": "Siti Rahman",
            "patient_phone": "+65****4567", "scheduled_start": first, "status": "booked",
            "patient_confirmed": false, "patient_confirmed_at": null, "arrived_at": null
        }]})
    );

    app.clock.advance(Duration::days(1));
    let done = app.post(
        &format!("/api/admin/appointments/{appointment}/status"),
        Some(&staff),
        &json!({"status": "completed"}),
    );
    assert_eq!((done.status, done.body["status"].as_str()), (200, Some("completed")));
    assert_eq!(
        app.get(&format!("/api/appointments/{appointment}"), Some(&patient)).body["status"],
        "completed"
    );
}

#[test]
fn a_new_doctor_is_active_and_has_no_openings() {
    let app = spawn_app();
    let answer = app.post(
        "/api/admin/doctors",
        Some(&app.staff()),
        &json!({"name": " Dr Lee ", "specialty": "Paediatrics"}),
    );
    assert_eq!(answer.status, 201);
    let id = answer.body["id"].clone();
    assert_eq!(
        answer.body,
        json!({"id": id, "name": "Dr Lee", "specialty": "Paediatrics", "active": true, "slot_minutes": 15, "weekly": []})
    );
    assert_eq!(app.get("/api/doctors", None).body["doctors"][0]["name"], "Dr Lee");
}

#[test]
fn invalid_doctors_are_400s_naming_the_field() {
    let app = spawn_app();
    let staff = app.staff();
    let empty = app.post("/api/admin/doctors", Some(&staff), &json!({"name": "", "specialty": "GP"}));
    assert_eq!((empty.status, empty.code()), (400, "invalid_input"));
    assert_eq!(empty.body["details"]["name"], "must not be empty");
    for body in [json!({"name": "Dr X"}), json!({"name": "Dr X", "specialty": "GP", "room": 4})] {
        assert_eq!(app.post("/api/admin/doctors", Some(&staff), &body).status, 400, "{body}");
    }
    let id = create_doctor(&app, &staff, "Dr Tan");
    let blank = app.request(
        "PATCH",
        &format!("/api/admin/doctors/{id}"),
        Some(&staff),
        Some(&json!({"specialty": " "})),
    );
    assert_eq!(blank.body["details"]["specialty"], "must not be empty");
}

#[test]
fn a_deactivated_doctor_is_hidden_and_unbookable_but_keeps_its_history() {
    let app = spawn_app();
    let staff = app.staff();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let kept = app.booked(&patient, doctor, SLOT);
    let patch = |body: Value| {
        app.request("PATCH", &format!("/api/admin/doctors/{doctor}"), Some(&staff), Some(&body))
    };
    let off = patch(json!({"active": false}));
    assert_eq!((off.status, off.body["active"].as_bool()), (200, Some(false)));
    assert_eq!(off.body["name"], "Dr Tan", "other fields stay");
    assert_eq!(app.get("/api/doctors", None).body, json!({"doctors": []}));
    let refused = app.book(&app.patient(), doctor, "2026-11-25T02:00:00Z");
    assert_eq!((refused.status, refused.code()), (404, "doctor_not_found"));
    assert_eq!(app.get(&format!("/api/appointments/{kept}"), Some(&patient)).body["status"], "booked");
    assert_eq!(
        app.get("/api/admin/appointments?date=2026-11-25", Some(&staff)).body["appointments"][0]["id"],
        json!(kept)
    );

    let on = patch(json!({"active": true, "name": "Dr Tan Wei Ming"}));
    assert_eq!(
        (on.body["active"].as_bool(), on.body["name"].as_str()),
        (Some(true), Some("Dr Tan Wei Ming"))
    );
    assert_eq!(app.book(&app.patient(), doctor, "2026-11-25T02:00:00Z").status, 201);
}

#[test]
fn unknown_doctors_are_404s() {
    let app = spawn_app();
    let staff = app.staff();
    for id in [Uuid::new_v4().to_string(), "nope".into()] {
        let patch = app.request(
            "PATCH",
            &format!("/api/admin/doctors/{id}"),
            Some(&staff),
            Some(&json!({"active": false})),
        );
        assert_eq!((patch.status, patch.code()), (404, "doctor_not_found"));
        let schedule = app.put(&format!("/api/admin/doctors/{id}/schedule"), Some(&staff), &weekdays(15));
        assert_eq!((schedule.status, schedule.code()), (404, "doctor_not_found"));
    }
}

#[test]
fn a_schedule_is_replaced_whole_and_slots_follow_it() {
    let app = spawn_app();
    let staff = app.staff();
    let doctor = create_doctor(&app, &staff, "Dr Tan");
    let body = json!({"slot_minutes": 20, "weekly": [
        {"weekday": 3, "start": "14:00", "end": "15:00"},
        {"weekday": 3, "start": "09:00", "end": "09:40"}
    ]});
    let answer = app.put(&format!("/api/admin/doctors/{doctor}/schedule"), Some(&staff), &body);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["slot_minutes"], 20);
    assert_eq!(
        answer.body["weekly"],
        json!([{"weekday": 3, "start": "09:00", "end": "09:40"}, {"weekday": 3, "start": "14:00", "end": "15:00"}])
    );
    let slots = app.get(&format!("/api/doctors/{doctor}/slots?date=2026-11-25"), None);
    let starts: Vec<_> =
        slots.body["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts,
        [
            "2026-11-25T01:00:00Z",
            "2026-11-25T01:20:00Z",
            "2026-11-25T06:00:00Z",
            "2026-11-25T06:20:00Z",
            "2026-11-25T06:40:00Z"
        ]
    );
}

#[test]
fn replacing_a_schedule_never_cancels_a_booking() {
    let app = spawn_app();
    let staff = app.staff();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let booked = app.booked(&patient, doctor, SLOT);
    let afternoons =
        json!({"slot_minutes": 30, "weekly": [{"weekday": 3, "start": "14:00", "end": "16:00"}]});
    assert_eq!(
        app.put(&format!("/api/admin/doctors/{doctor}/schedule"), Some(&staff), &afternoons).status,
        200
    );
    assert_eq!(app.get(&format!("/api/appointments/{booked}"), Some(&patient)).body["status"], "booked");
    let slots = app.get(&format!("/api/doctors/{doctor}/slots?date=2026-11-25"), None);
    assert_eq!(slots.body["slots"][0]["start"], "2026-11-25T06:00:00Z", "new slots follow the new schedule");
    let morning = app.book(&app.patient(), doctor, "2026-11-25T02:00:00Z");
    assert_eq!(morning.body["details"]["reason"], "outside_schedule");
}

#[test]
fn invalid_schedules_are_400s_with_per_field_details() {
    let app = spawn_app();
    let staff = app.staff();
    let doctor = create_doctor(&app, &staff, "Dr Tan");
    let opening =
        |weekday: i64, start: &str, end: &str| json!({"weekday": weekday, "start": start, "end": end});
    let cases = [
        (json!({"slot_minutes": 4, "weekly": []}), "slot_minutes"),
        (json!({"slot_minutes": 241, "weekly": []}), "slot_minutes"),
        (json!({"slot_minutes": 15, "weekly": [opening(0, "09:00", "10:00")]}), "weekly[0].weekday"),
        (json!({"slot_minutes": 15, "weekly": [opening(8, "09:00", "10:00")]}), "weekly[0].weekday"),
        (json!({"slot_minutes": 15, "weekly": [opening(1, "9:00", "10:00")]}), "weekly[0].start"),
        (json!({"slot_minutes": 15, "weekly": [opening(1, "09:00", "25:00")]}), "weekly[0].end"),
        (json!({"slot_minutes": 15, "weekly": [opening(1, "12:00", "09:00")]}), "weekly[0].end"),
        (
            json!({"slot_minutes": 15, "weekly": [opening(1, "09:00", "12:00"), opening(1, "11:00", "13:00")]}),
            "weekly[1]",
        ),
    ];
    for (body, field) in cases {
        let answer = app.put(&format!("/api/admin/doctors/{doctor}/schedule"), Some(&staff), &body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}");
        assert!(answer.body["details"][field].is_string(), "{field} in {}", answer.body);
    }
    let malformed = app.put(
        &format!("/api/admin/doctors/{doctor}/schedule"),
        Some(&staff),
        &json!({"slot_minutes": "15"}),
    );
    assert_eq!((malformed.status, malformed.code()), (400, "invalid_input"));
}

#[test]
fn the_day_list_is_one_clinic_day_optionally_one_doctors_with_masked_phones() {
    let app = spawn_app();
    let staff = app.staff();
    let (tan, lee) = (app.doctor("Dr Tan"), app.doctor("Dr Lee"));
    let siti = app.patient();
    let later = app.booked(&siti, tan, "2026-11-25T03:00:00Z");
    let sooner = app.booked(&siti, lee, SLOT);
    app.booked(&siti, tan, "2026-11-26T01:30:00Z");
    let cancelled = app.booked(&siti, tan, "2026-11-25T02:00:00Z");
    app.request("POST", &format!("/api/appointments/{cancelled}/cancel"), Some(&siti), None);

    let ids = |query: &str| -> Vec<Value> {
        let answer = app.get(&format!("/api/admin/appointments?{query}"), Some(&staff));
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["appointments"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect()
    };
    assert_eq!(ids("date=2026-11-25"), [json!(sooner), json!(cancelled), json!(later)]);
    assert_eq!(ids(&format!("date=2026-11-25&doctor_id={tan}")), [json!(cancelled), json!(later)]);
    assert!(ids(&format!("date=2026-11-25&doctor_id={}", Uuid::new_v4())).is_empty());
    // 2026-11-25 in Singapore starts at 16:00 UTC the day before.
    assert!(ids("date=2026-11-24").is_empty());

    let list = app.get("/api/admin/appointments?date=2026-11-25", Some(&staff));
    let first = &list.body["appointments"][0];
    assert_eq!(
        (first["patient_name"].as_str(), first["patient_phone"].as_str()),
        (Some("Siti Rahman"), Some("+65****4567"))
    );
    assert_eq!(list.body["appointments"][1]["status"], "cancelled");
    for query in ["", "date=tomorrow", "date=2026-11-25&doctor_id=nope"] {
        let bad = app.get(&format!("/api/admin/appointments?{query}"), Some(&staff));
        assert_eq!((bad.status, bad.code()), (400, "invalid_input"), "{query}");
    }
}

#[test]
fn outcomes_are_recorded_only_for_visits_that_started() {
    let app = spawn_app();
    let staff = app.staff();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let visit = app.booked(&patient, doctor, SLOT);
    let path = format!("/api/admin/appointments/{visit}/status");
    let early = app.post(&path, Some(&staff), &json!({"status": "no_show"}));
    assert_eq!((early.status, early.code()), (409, "status_change_refused"));
    assert_eq!(early.body["details"]["reason"], "not_started");

    app.clock.set(time::macros::datetime!(2026-11-25 01:31 UTC));
    assert_eq!(app.post(&path, Some(&staff), &json!({"status": "no_show"})).body["status"], "no_show");
    assert_eq!(app.post(&path, Some(&staff), &json!({"status": "completed"})).body["status"], "completed");
    assert_eq!(
        app.post(&path, Some(&staff), &json!({"status": "completed"})).status,
        200,
        "repeating is fine"
    );
    let closed = app.post(&path, Some(&staff), &json!({"status": "cancelled"}));
    assert_eq!((closed.status, closed.body["details"]["status"].as_str()), (409, Some("completed")));
}

#[test]
fn a_cancellation_by_staff_frees_the_slot_for_booking_again() {
    let app = spawn_app();
    let staff = app.staff();
    let (doctor, siti, ahmad) = (app.doctor("Dr Tan"), app.patient(), app.patient());
    let first = app.booked(&siti, doctor, SLOT);
    let cancelled = app.post(
        &format!("/api/admin/appointments/{first}/status"),
        Some(&staff),
        &json!({"status": "cancelled"}),
    );
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(app.book(&ahmad, doctor, SLOT).status, 201);
}

#[test]
fn bad_statuses_and_unknown_appointments_are_refused() {
    let app = spawn_app();
    let staff = app.staff();
    let visit = app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    for status in ["booked", "done", ""] {
        let answer = app.post(
            &format!("/api/admin/appointments/{visit}/status"),
            Some(&staff),
            &json!({"status": status}),
        );
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{status}");
        assert!(answer.body["details"]["status"].is_string());
    }
    for id in [Uuid::new_v4().to_string(), "x".into()] {
        let answer = app.post(
            &format!("/api/admin/appointments/{id}/status"),
            Some(&staff),
            &json!({"status": "cancelled"}),
        );
        assert_eq!((answer.status, answer.code()), (404, "appointment_not_found"));
    }
}

#[test]
fn staff_see_the_outbox_newest_first_filtered_with_masked_phones() {
    let app = spawn_app();
    let staff = app.staff();
    let doctor = app.doctor("Dr Tan");
    let first = app.booked(&app.patient(), doctor, SLOT);
    app.clock.advance(Duration::seconds(1));
    let phoneless = app.login();
    app.put("/api/me/profile", Some(&phoneless), &json!({"full_name": "No Phone"}));
    let second = app.booked(&phoneless, doctor, "2026-11-25T02:00:00Z");

    let all = app.get("/api/admin/notifications", Some(&staff));
    assert_eq!(all.status, 200);
    let rows = all.body["notifications"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["appointment_id"].clone(), rows[1]["appointment_id"].clone()),
        (json!(second), json!(first))
    );
    assert_eq!(rows[0]["status"], "skipped");
    assert_eq!(rows[0]["error_message"], "no phone");
    let pending = &rows[1];
    assert_eq!(
        (pending["type"].as_str(), pending["status"].as_str(), pending["channel"].as_str()),
        (Some("confirmation"), Some("pending"), Some("sms"))
    );
    assert_eq!(pending["to_phone"], "+65****4567");
    assert_eq!((pending["attempts"].as_u64(), pending["sent_at"].is_null()), (Some(0), true));
    for key in ["id", "patient_id", "delivery_status", "provider_sid", "error_code", "created_at"] {
        assert!(pending.get(key).is_some(), "{key}");
    }

    let filtered = |query: &str| {
        app.get(&format!("/api/admin/notifications?{query}"), Some(&staff)).body["notifications"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(filtered("status=pending"), 1);
    assert_eq!(filtered("status=skipped&type=confirmation"), 1);
    assert_eq!(filtered("type=reminder"), 0);
    assert_eq!(filtered("limit=1"), 1);
    for query in ["status=lost", "type=memo", "limit=0", "limit=501", "limit=ten"] {
        let bad = app.get(&format!("/api/admin/notifications?{query}"), Some(&staff));
        assert_eq!((bad.status, bad.code()), (400, "invalid_input"), "{query}");
    }
}
