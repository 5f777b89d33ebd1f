//! The walk-in queue through the real app: tickets, calls, the public status page, and
//! the queue alerts over real HTTP to the fake Twilio, each once.

use std::collections::BTreeMap;

use clinic_postgres::testing::concurrently;
use clinic_twilio::fake::{FakeTwilio, Reply};
use serde_json::{Value, json};
use time::Duration;

use crate::no_double_text::kill_worker_mid_send;
use crate::support::{Answer, Settings, TestApp, User, spawn_app, spawn_app_with};

const TODAY: &str = "2026-11-24";

fn walk_in(app: &TestApp, staff: &User, phone: &str) -> Value {
    let answer = app.post("/api/admin/queue", Some(staff), &json!({"name": "Ahmad Yusof", "phone": phone}));
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.body
}

fn call(app: &TestApp, staff: &User, ticket: &Value, room: &str) -> Answer {
    app.post(
        &format!("/api/admin/queue/{}/call", ticket["id"].as_str().unwrap()),
        Some(staff),
        &json!({"room": room}),
    )
}

fn finish(app: &TestApp, staff: &User, ticket: &Value, status: &str) -> Answer {
    let path = format!("/api/admin/queue/{}/status", ticket["id"].as_str().unwrap());
    app.post(&path, Some(staff), &json!({"status": status}))
}

fn queue(app: &TestApp, staff: &User) -> Vec<Value> {
    let answer = app.get(&format!("/api/admin/queue?date={TODAY}"), Some(staff));
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["tickets"].as_array().unwrap().clone()
}

/// The texts the fake received, by phone.
fn texts(fake: &FakeTwilio) -> BTreeMap<String, Vec<String>> {
    let mut by_phone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in fake.received() {
        by_phone.entry(r.form["To"].clone()).or_default().push(r.form["Body"].clone());
    }
    by_phone
}

#[test]
fn a_walk_in_gets_the_days_next_ticket_and_a_public_status_without_name_or_phone() {
    let app = spawn_app();
    let staff = app.staff();
    let first = walk_in(&app, &staff, "+6591110001");
    assert_eq!(first["number"], "A001");
    assert_eq!((first["status"].as_str(), first["position"].as_u64()), (Some("waiting"), Some(1)));
    assert_eq!(first["estimated_wait_minutes"], 10, "ten minutes a patient without history");
    assert_eq!(
        (first["patient_name"].as_str(), first["patient_phone"].as_str()),
        (Some("Ahmad Yusof"), Some("+65****0001"))
    );
    let patient = app.patient();
    let second = app.post("/api/admin/queue", Some(&staff), &json!({"patient_id": patient.id}));
    assert_eq!((second.status, second.body["number"].as_str()), (201, Some("A002")), "{second:?}");
    assert_eq!(
        (second.body["position"].as_u64(), second.body["estimated_wait_minutes"].as_u64()),
        (Some(2), Some(20))
    );

    let url = first["status_url"].as_str().unwrap();
    let token = url.strip_prefix("/api/queue/").unwrap();
    assert!(token.len() >= 32, "at least 128 bits: {token}");
    let public = app.get(url, None);
    assert_eq!(public.status, 200, "{public:?}");
    assert_eq!(
        public.body,
        json!({"number": "A001", "status": "waiting", "position": 1, "estimated_wait_minutes": 10})
    );
    let text = public.body.to_string();
    assert!(!text.contains("Ahmad") && !text.contains("0001"), "{text}");
    assert_eq!(app.get("/api/queue/not-a-token", None).code(), "ticket_not_found");
}

#[test]
fn thirty_two_desks_issuing_at_once_get_thirty_two_distinct_consecutive_numbers() {
    let app = spawn_app();
    let staff = app.staff();
    let patient = app.patient();
    let numbers = concurrently(32, |_| {
        let answer = app.post("/api/admin/queue", Some(&staff), &json!({"patient_id": patient.id}));
        assert_eq!(answer.status, 201, "{answer:?}");
        answer.body["number"].as_str().unwrap().to_owned()
    });
    let mut numbers = numbers;
    numbers.sort();
    assert_eq!(numbers, (1..=32).map(|n| format!("A{n:03}")).collect::<Vec<_>>());
}

#[test]
fn a_call_texts_the_room_and_the_nth_in_line_is_texted_once_however_often_the_line_moves() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let staff = app.staff();
    let tickets: Vec<Value> = (1..=5).map(|n| walk_in(&app, &staff, &format!("+659111000{n}"))).collect();
    assert_eq!(app.deliver().processed, 0, "nobody is near the front yet but those at the desk");

    assert_eq!(call(&app, &staff, &tickets[0], "Room 3").status, 200);
    for _ in 0..3 {
        queue(&app, &staff);
    }
    app.deliver();
    let sent = texts(&fake);
    assert_eq!(sent["+6591110001"], ["Gabriel Family Clinic: ticket A001, please come to Room 3 now."]);
    assert_eq!(
        sent["+6591110004"],
        ["Gabriel Family Clinic: ticket A004, you are 3rd in line, about 30 minutes. Reply STOP to opt out."]
    );
    assert_eq!(sent.len(), 2, "{sent:?}");

    app.clock.advance(Duration::minutes(6));
    assert_eq!(finish(&app, &staff, &tickets[0], "served").status, 200);
    assert_eq!(finish(&app, &staff, &tickets[1], "left").status, 200);
    let line = queue(&app, &staff);
    assert_eq!(line[3]["position"], 2);
    assert_eq!(line[3]["estimated_wait_minutes"], 12, "twice the six minutes A001 took");
    app.deliver();
    queue(&app, &staff);
    app.deliver();
    let sent = texts(&fake);
    assert_eq!(sent["+6591110004"].len(), 1, "once per ticket: {sent:?}");
    assert_eq!(
        sent["+6591110005"],
        ["Gabriel Family Clinic: ticket A005, you are 3rd in line, about 18 minutes. Reply STOP to opt out."]
    );
    assert!(!sent.contains_key("+6591110003"), "issued 3rd: told at the desk");

    // A second call is a second text; a call a later one replaced is never sent.
    assert_eq!(call(&app, &staff, &tickets[2], "Room 1").status, 200);
    assert_eq!(call(&app, &staff, &tickets[2], "Room 2").status, 200);
    app.deliver();
    let sent = texts(&fake);
    assert_eq!(sent["+6591110003"], ["Gabriel Family Clinic: ticket A003, please come to Room 2 now."]);
    let rows = app.notifications();
    assert!(rows.iter().all(|n| n["type"] == "queue_alert" && n["appointment_id"].is_null()));
    assert!(
        rows.iter()
            .any(|n| n["status"] == "skipped" && n["error_message"] == "ticket called, served or gone")
    );
}

#[test]
fn queue_routes_refuse_unknown_tickets_other_days_tickets_finished_tickets_and_bad_bodies() {
    let app = spawn_app();
    let staff = app.staff();
    let ticket = walk_in(&app, &staff, "+6591110001");
    let unknown = json!({"id": uuid::Uuid::new_v4().to_string()});
    assert_eq!(call(&app, &staff, &unknown, "Room 3").code(), "ticket_not_found");
    assert_eq!(call(&app, &staff, &json!({"id": "not-a-uuid"}), "Room 3").code(), "ticket_not_found");
    assert_eq!(finish(&app, &staff, &unknown, "served").code(), "ticket_not_found");
    assert_eq!(call(&app, &staff, &ticket, "").status, 400);
    assert_eq!(finish(&app, &staff, &ticket, "waiting").status, 400);
    let post = |body: Value| app.post("/api/admin/queue", Some(&staff), &body);
    assert_eq!(post(json!({"name": "Ahmad"})).status, 400);
    assert_eq!(
        post(json!({"patient_id": uuid::Uuid::new_v4(), "name": "A", "phone": "+6591110001"})).status,
        400
    );
    assert_eq!(post(json!({"name": "Ahmad", "phone": "+6591110001", "ticket": 1})).status, 400);
    assert_eq!(post(json!({"name": "x".repeat(201), "phone": "+6591110001"})).status, 400);
    assert_eq!(post(json!({"patient_id": uuid::Uuid::new_v4()})).code(), "patient_not_found");
    let doctor = json!({"name": "Ahmad", "phone": "+6591110001", "doctor_id": uuid::Uuid::new_v4()});
    assert_eq!(post(doctor).code(), "doctor_not_found");
    assert_eq!(app.get("/api/admin/queue?date=today", Some(&staff)).status, 400);
    assert_eq!(app.get(&format!("/api/admin/queue?date={TODAY}"), None).status, 401);

    let left = walk_in(&app, &staff, "+6591110002");
    assert_eq!(finish(&app, &staff, &left, "left").status, 200);
    assert_eq!(finish(&app, &staff, &left, "served").code(), "ticket_finished");
    assert_eq!(call(&app, &staff, &left, "Room 3").code(), "ticket_finished");

    app.clock.advance(Duration::days(1));
    assert_eq!(call(&app, &staff, &ticket, "Room 3").code(), "ticket_of_another_day");
    assert_eq!(finish(&app, &staff, &ticket, "served").code(), "ticket_of_another_day");
    assert_eq!(walk_in(&app, &staff, "+6591110003")["number"], "A001", "a new day starts again");
}

#[test]
fn however_many_desks_list_the_queue_at_once_the_nth_in_line_is_texted_once() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let staff = app.staff();
    let tickets: Vec<Value> = (1..=4).map(|n| walk_in(&app, &staff, &format!("+659111000{n}"))).collect();
    assert_eq!(finish(&app, &staff, &tickets[0], "left").status, 200);
    concurrently(8, |_| queue(&app, &staff));
    app.deliver();
    assert_eq!(texts(&fake)["+6591110004"].len(), 1);
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn a_worker_killed_after_twilio_accepted_a_call_leaves_the_next_one_to_adopt_it_not_resend_it() {
    let fake = FakeTwilio::start();
    fake.script([Reply::AcceptThenHold(std::time::Duration::from_secs(120))]);
    let app = spawn_app_with(Settings::twilio_waiting(&fake, 10));
    let staff = app.staff();
    let ticket = walk_in(&app, &staff, "+6591110001");
    assert_eq!(call(&app, &staff, &ticket, "Room 3").status, 200);

    let (rows, accepted) = kill_worker_mid_send(&app, &fake);
    assert_eq!(accepted.len(), 1, "one text, not two: {accepted:?}");
    assert_eq!(rows[0]["provider_sid"].as_str(), Some(accepted[0].sid.as_str()));
}

#[test]
fn a_public_status_token_of_any_other_shape_names_no_ticket() {
    let app = spawn_app();
    for token in ["%00", "not-a-token", &"f".repeat(64), &"F".repeat(64), &"0".repeat(65)] {
        let answer = app.get(&format!("/api/queue/{token}"), None);
        assert_eq!((answer.status, answer.code()), (404, "ticket_not_found"), "{token}");
    }
}

#[test]
fn a_walk_in_giving_another_patients_phone_is_refused_not_filed_under_them() {
    let app = spawn_app();
    let staff = app.staff();
    let first = walk_in(&app, &staff, "+6591110042");
    let again = walk_in(&app, &staff, "+6591110042");
    assert_eq!(again["patient_id"], first["patient_id"], "the same visitor again");
    let other =
        app.post("/api/admin/queue", Some(&staff), &json!({"name": "Siti Rahman", "phone": "+6591110042"}));
    assert_eq!((other.status, other.code()), (409, "patient_exists"), "{other:?}");
    assert_eq!(other.body["details"]["patient_id"], first["patient_id"]);
}
