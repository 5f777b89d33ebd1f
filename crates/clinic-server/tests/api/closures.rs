//! Leave and closures: a doctor's sick day, a public holiday, their slots and bookings.

use std::collections::BTreeSet;

use clinic_postgres::testing::concurrently;
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

use crate::support::{Answer, SLOT, Settings, TestApp, User, spawn_app, spawn_app_with};

/// Wednesday 2026-11-25 in Singapore, midnight to midnight.
const WEDNESDAY: (&str, &str) = ("2026-11-25T00:00:00+08:00", "2026-11-26T00:00:00+08:00");

fn closure(doctor: Option<Uuid>, (starts, ends): (&str, &str), cancel_booked: bool) -> Value {
    json!({"doctor_id": doctor, "starts": starts, "ends": ends, "reason": "Dr Tan is unwell",
        "cancel_booked": cancel_booked})
}

fn close(app: &TestApp, staff: &User, body: &Value) -> Answer {
    app.post("/api/admin/closures", Some(staff), body)
}

fn slots(app: &TestApp, doctor: Uuid, date: &str) -> Vec<String> {
    let answer = app.get(&format!("/api/doctors/{doctor}/slots?date={date}"), None);
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_owned()).collect()
}

fn affected_ids(answer: &Answer) -> BTreeSet<String> {
    answer.body["affected"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_sick_day_cancels_its_bookings_closes_its_slots_and_removing_it_brings_them_back() {
    let app = spawn_app();
    let (staff, patient, tan) = (app.staff(), app.patient(), app.doctor("Dr Tan"));
    let appointment = app.booked(&patient, tan, SLOT);

    let made = close(&app, &staff, &closure(Some(tan), WEDNESDAY, true));
    assert_eq!(made.status, 201, "{made:?}");
    let id = made.body["closure"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        made.body,
        json!({
            "closure": {"id": id, "doctor_id": tan, "starts": "2026-11-24T16:00:00Z",
                "ends": "2026-11-25T16:00:00Z", "reason": "Dr Tan is unwell"},
            "affected": [{"id": appointment, "patient_id": patient.id, "doctor_id": tan,
                "scheduled_start": SLOT, "status": "cancelled"}]
        })
    );
    assert_eq!(
        app.get(&format!("/api/appointments/{appointment}"), Some(&patient)).body["status"],
        "cancelled"
    );
    assert_eq!(slots(&app, tan, "2026-11-25"), Vec::<String>::new());
    assert_eq!(slots(&app, tan, "2026-11-26").len(), 6, "the next day is open");
    let refused = app.book(&app.patient(), tan, "2026-11-25T02:00:00Z");
    assert_eq!((refused.status, refused.code()), (422, "slot_not_bookable"));
    assert_eq!(refused.body["details"]["reason"], "closed");

    let listed = app.get("/api/admin/closures?from=2026-11-25&to=2026-11-25", Some(&staff));
    assert_eq!(listed.body, json!({"closures": [made.body["closure"]]}));

    let removed = app.request("DELETE", &format!("/api/admin/closures/{id}"), Some(&staff), None);
    assert_eq!((removed.status, &removed.body), (204, &Value::Null));
    let again = app.request("DELETE", &format!("/api/admin/closures/{id}"), Some(&staff), None);
    assert_eq!((again.status, again.code()), (404, "closure_not_found"));
    assert_eq!(slots(&app, tan, "2026-11-25").len(), 6, "the slots come back");
    assert_eq!(app.book(&app.patient(), tan, "2026-11-25T02:00:00Z").status, 201);
    assert_eq!(
        app.get(&format!("/api/appointments/{appointment}"), Some(&patient)).body["status"],
        "cancelled"
    );
}

#[test]
fn a_public_holiday_closes_every_doctor_and_lists_their_bookings_without_cancelling_them() {
    let app = spawn_app();
    let (staff, patient) = (app.staff(), app.patient());
    let (tan, lee) = (app.doctor("Dr Tan"), app.doctor("Dr Lee"));
    let booked = [app.booked(&patient, tan, SLOT), app.booked(&patient, lee, SLOT)];
    let mut holiday = closure(None, WEDNESDAY, false);
    holiday.as_object_mut().unwrap().remove("cancel_booked");
    let made = close(&app, &staff, &holiday);
    assert_eq!(made.status, 201, "{made:?}");
    assert_eq!(made.body["closure"]["doctor_id"], Value::Null);
    assert_eq!(affected_ids(&made), booked.iter().map(ToString::to_string).collect());
    assert!(made.body["affected"].as_array().unwrap().iter().all(|a| a["status"] == "booked"));
    for doctor in [tan, lee] {
        assert_eq!(slots(&app, doctor, "2026-11-25"), Vec::<String>::new());
    }
    let day = app.get("/api/admin/appointments?date=2026-11-25", Some(&staff));
    assert!(day.body["appointments"].as_array().unwrap().iter().all(|a| a["status"] == "booked"));
}

#[test]
fn midnight_to_midnight_on_new_yorks_spring_forward_day_closes_its_23_hours_exactly() {
    let mut settings = Settings { now: datetime!(2026-03-01 12:00 UTC), ..Settings::default() };
    settings.vars.push(("CLINIC_TIMEZONE", "America/New_York".into()));
    let app = spawn_app_with(settings);
    let staff = app.staff();
    // Saturday to Monday, round the clock in half hours.
    let doctor =
        app.doctor_with("Dr Tan", 30, &[(6, "00:00", "23:30"), (7, "00:00", "23:30"), (1, "00:00", "23:30")]);
    let before: Vec<_> = ["2026-03-07", "2026-03-08", "2026-03-09"].map(|d| slots(&app, doctor, d)).to_vec();
    assert_eq!(
        before.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![47, 45, 47],
        "02:00 and 02:30 do not exist"
    );

    let sunday = closure(None, ("2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"), false);
    let made = close(&app, &staff, &sunday);
    assert_eq!(made.status, 201, "{made:?}");
    assert_eq!(made.body["closure"]["starts"], "2026-03-08T05:00:00Z");
    assert_eq!(made.body["closure"]["ends"], "2026-03-09T04:00:00Z", "23 hours later");

    assert_eq!(slots(&app, doctor, "2026-03-08"), Vec::<String>::new(), "every slot of the day");
    assert_eq!(slots(&app, doctor, "2026-03-07"), before[0]);
    assert_eq!(slots(&app, doctor, "2026-03-09"), before[2], "none of the next");
    let patient = app.patient();
    let last = app.book(&patient, doctor, before[1].last().unwrap());
    assert_eq!((last.status, &last.body["details"]["reason"]), (422, &json!("closed")));
    assert_eq!(app.book(&patient, doctor, "2026-03-09T04:00:00Z").status, 201, "Monday 00:00");
}

#[test]
fn of_patients_booking_while_staff_close_the_day_each_is_either_affected_or_refused_closed() {
    let app = spawn_app();
    let staff = app.staff();
    let tan = app.doctor_with("Dr Tan", 15, &[(3, "09:00", "12:00")]);
    let starts = slots(&app, tan, "2026-11-25");
    let patients: Vec<User> = starts.iter().map(|_| app.patient()).collect();
    let answers = concurrently(starts.len() + 1, |i| match starts.get(i) {
        Some(start) => app.book(&patients[i], tan, start),
        None => close(&app, &staff, &closure(Some(tan), WEDNESDAY, false)),
    });
    let (bookings, made) = answers.split_at(starts.len());
    assert_eq!(made[0].status, 201, "{:?}", made[0]);
    let mut booked = BTreeSet::new();
    for answer in bookings {
        match (answer.status, answer.body["details"]["reason"].as_str()) {
            (201, _) => _ = booked.insert(answer.body["appointment"]["id"].as_str().unwrap().to_owned()),
            (422, Some("closed")) => {}
            _ => panic!("neither booked nor closed: {answer:?}"),
        }
    }
    assert_eq!(booked, affected_ids(&made[0]));
}

#[test]
fn bad_closures_are_400s_naming_the_field_and_unknown_ids_404s() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let with = |field: &str, value: Value| {
        let mut body = closure(Some(tan), WEDNESDAY, false);
        body[field] = value;
        body
    };
    let mut no_doctor = closure(Some(tan), WEDNESDAY, false);
    no_doctor.as_object_mut().unwrap().remove("doctor_id");
    let cases = [
        (with("room", json!(4)), "body"),
        (no_doctor, "doctor_id"),
        (with("doctor_id", json!("not-a-uuid")), "body"),
        (with("starts", json!("2026-11-25")), "body"),
        (with("ends", json!(WEDNESDAY.0)), "ends"),
        (with("ends", json!("2026-11-24T23:00:00+08:00")), "ends"),
        (with("ends", json!("2027-11-27T00:00:00+08:00")), "ends"),
        (with("starts", json!("9999-12-31T20:00:00-05:00")), "starts"),
        (with("reason", json!("x".repeat(161))), "reason"),
        (with("reason", json!(" ")), "reason"),
        (with("reason", json!("two\nlines")), "reason"),
    ];
    for (body, field) in &cases {
        let answer = close(&app, &staff, body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}: {answer:?}");
        assert!(answer.body["details"][field].is_string(), "{body}: {answer:?}");
    }
    let unknown = close(&app, &staff, &with("doctor_id", json!(Uuid::new_v4())));
    assert_eq!((unknown.status, unknown.code()), (404, "doctor_not_found"));
    // The reason is texted to the patients whose visits it cancels: one SMS's worth.
    assert_eq!(close(&app, &staff, &with("reason", json!("x".repeat(160)))).status, 201);

    for id in ["not-a-uuid".to_owned(), Uuid::new_v4().to_string()] {
        let answer = app.request("DELETE", &format!("/api/admin/closures/{id}"), Some(&staff), None);
        assert_eq!((answer.status, answer.code()), (404, "closure_not_found"), "{id}");
    }
    for (query, field) in [
        ("from=2026-11-25", None),
        ("from=25-11-2026&to=2026-11-25", Some("from")),
        ("from=2026-11-26&to=2026-11-25", Some("to")),
        ("from=9998-12-31&to=9998-12-31", Some("to")),
    ] {
        let answer = app.get(&format!("/api/admin/closures?{query}"), Some(&staff));
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{query}: {answer:?}");
        if let Some(field) = field {
            assert!(answer.body["details"][field].is_string(), "{query}: {answer:?}");
        }
    }
}

#[test]
fn closures_are_for_staff_only() {
    let app = spawn_app();
    let patient = app.patient();
    let id = Uuid::new_v4();
    let routes = [
        ("POST", "/api/admin/closures".to_owned(), Some(closure(None, WEDNESDAY, false))),
        ("GET", "/api/admin/closures?from=2026-11-25&to=2026-11-25".to_owned(), None),
        ("DELETE", format!("/api/admin/closures/{id}"), None),
    ];
    for (method, path, body) in &routes {
        let anonymous = app.request(method, path, None, body.as_ref());
        assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"), "{method} {path}");
        let refused = app.request(method, path, Some(&patient), body.as_ref());
        assert_eq!((refused.status, refused.code()), (403, "forbidden"), "{method} {path}");
    }
}

#[test]
fn the_document_requires_doctor_id_even_as_null_and_states_the_staff_answers_of_delete() {
    let document = serde_json::to_value(clinic_server::openapi::document()).unwrap();
    let body = &document["components"]["schemas"]["ClosureBody"];
    let required: Vec<&str> = body["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(required.contains(&"doctor_id"), "{body}");
    let delete = &document["paths"]["/api/admin/closures/{id}"]["delete"]["responses"];
    for status in ["204", "401", "403", "404"] {
        assert!(delete[status].is_object(), "DELETE documents {status}: {delete}");
    }
}

#[test]
fn a_visit_cannot_be_moved_into_a_closure_but_out_of_one_it_can() {
    let app = spawn_app();
    let (staff, patient, tan) = (app.staff(), app.patient(), app.doctor("Dr Tan"));
    let appointment = app.booked(&patient, tan, SLOT);
    let thursday = ("2026-11-26T00:00:00+08:00", "2026-11-27T00:00:00+08:00");
    assert_eq!(close(&app, &staff, &closure(Some(tan), thursday, false)).status, 201);
    let path = format!("/api/appointments/{appointment}/reschedule");
    let into = app.post(&path, Some(&patient), &json!({"scheduled_start": "2026-11-26T01:30:00Z"}));
    assert_eq!((into.status, &into.body["details"]["reason"]), (422, &json!("closed")), "{into:?}");
    assert_eq!(close(&app, &staff, &closure(Some(tan), WEDNESDAY, false)).status, 201);
    let out = app.post(&path, Some(&patient), &json!({"scheduled_start": "2026-11-27T01:30:00Z"}));
    assert_eq!(out.status, 200, "out of a closed day to an open one: {out:?}");
}

#[test]
fn a_closure_that_cancels_texts_each_patient_the_reason_once() {
    let fake = clinic_twilio::fake::FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let (siti, ahmad) = (app.patient(), app.patient());
    app.booked(&siti, tan, SLOT);
    app.booked(&ahmad, tan, "2026-11-25T02:00:00Z");
    assert_eq!(app.deliver().sent, 2, "the confirmations");
    let made = close(&app, &staff, &closure(Some(tan), WEDNESDAY, true));
    assert_eq!(affected_ids(&made).len(), 2);
    assert_eq!(app.deliver().sent, 2);
    assert_eq!(app.deliver().processed, 0);
    let texts: Vec<_> = fake.received().into_iter().skip(2).map(|r| r.form["Body"].clone()).collect();
    assert_eq!(texts.len(), 2);
    assert!(
        texts.iter().all(|t| t.contains("is cancelled (Dr Tan is unwell). Please call us to book again.")),
        "{texts:?}"
    );
    let cancellations: Vec<_> =
        app.notifications().into_iter().filter(|n| n["type"] == "cancellation").collect();
    assert_eq!(cancellations.len(), 2);
}

#[test]
fn a_closure_entered_late_cancels_only_the_visits_yet_to_come() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let (early, later) = (app.patient(), app.patient());
    let started = app.booked(&early, tan, SLOT);
    let to_come = app.booked(&later, tan, "2026-11-25T03:00:00Z");
    // 10:00 on Wednesday: the 09:30 visit has begun; the 11:00 one has not.
    app.clock.set(datetime!(2026-11-25 02:00 UTC));
    let made = close(&app, &staff, &closure(Some(tan), WEDNESDAY, true));
    assert_eq!(made.status, 201, "{made:?}");
    assert_eq!(affected_ids(&made), [started.to_string(), to_come.to_string()].into_iter().collect());
    let status = |user: &User, id: Uuid| {
        app.get(&format!("/api/appointments/{id}"), Some(user)).body["status"].clone()
    };
    assert_eq!(status(&early, started), "booked", "staff record what became of it");
    assert_eq!(status(&later, to_come), "cancelled");
}
