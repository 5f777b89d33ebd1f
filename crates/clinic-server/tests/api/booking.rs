use clinic_postgres::testing::concurrently;
use diesel::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::support::{SLOT, spawn_app};

fn count(app: &crate::support::TestApp, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<Count>(&mut app.db.connection())
        .unwrap()
        .n
}

#[test]
fn booking_a_free_slot_answers_201_with_the_appointment() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    // Any offset is accepted; the answer is in UTC.
    let answer = app.book(&siti, tan, "2026-11-25T09:30:00+08:00");
    assert_eq!(answer.status, 201, "{answer:?}");
    let appointment = &answer.body["appointment"];
    assert_eq!(answer.body["success"], true);
    assert_eq!(appointment["patient_id"], json!(siti.id));
    assert_eq!(appointment["doctor_id"], json!(tan));
    assert_eq!(appointment["scheduled_start"], SLOT);
    assert_eq!(appointment["status"], "booked");
    assert_eq!(appointment.as_object().unwrap().len(), 5, "{appointment}");
    assert_eq!(count(&app, "appointments"), 1);
    assert_eq!(count(&app, "notifications"), 1, "the confirmation is committed with the booking");
}

#[test]
fn of_sixteen_simultaneous_bookings_for_one_slot_exactly_one_wins() {
    let app = spawn_app();
    let tan = app.doctor("Dr Tan");
    let patients: Vec<_> = (0..16).map(|_| app.patient()).collect();
    let answers = concurrently(patients.len(), |i| app.book(&patients[i], tan, SLOT));
    let created = answers.iter().filter(|a| a.status == 201).count();
    let taken = answers.iter().filter(|a| a.status == 409 && a.code() == "slot_taken").count();
    assert_eq!((created, taken), (1, 15), "{answers:?}");
    assert_eq!(count(&app, "appointments"), 1);
}

#[test]
fn the_same_idempotency_key_twice_books_once_and_replays_the_answer() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let body = json!({"doctor_id": tan, "scheduled_start": SLOT}).to_string();
    let headers = [("Idempotency-Key", "booking-7f3a")];
    let first = app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&body));
    let second = app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&body));
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    assert_eq!((first.replayed.as_deref(), second.replayed.as_deref()), (Some("false"), Some("true")));
    assert_eq!(count(&app, "appointments"), 1);
    assert_eq!(count(&app, "notifications"), 1);

    // Another patient's key of the same name is theirs alone.
    let other = app.patient();
    let theirs = json!({"doctor_id": tan, "scheduled_start": "2026-11-25T02:00:00Z"}).to_string();
    assert_eq!(app.send("POST", "/api/appointments/book", Some(&other), &headers, Some(&theirs)).status, 201);
}

#[test]
fn an_idempotency_key_reused_for_another_booking_is_a_422() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let headers = [("Idempotency-Key", "k-1")];
    let first = json!({"doctor_id": tan, "scheduled_start": SLOT}).to_string();
    let other = json!({"doctor_id": tan, "scheduled_start": "2026-11-25T02:00:00Z"}).to_string();
    assert_eq!(app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&first)).status, 201);
    let reused = app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&other));
    assert_eq!((reused.status, reused.code()), (422, "idempotency_key_reused"));
    assert_eq!(count(&app, "appointments"), 1);
}

#[test]
fn a_key_stops_replaying_after_24_hours() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let headers = [("Idempotency-Key", "k-1")];
    let body = json!({"doctor_id": tan, "scheduled_start": "2026-12-02T01:30:00Z"}).to_string();
    assert_eq!(app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&body)).status, 201);
    app.clock.advance(time::Duration::hours(25));
    let again = app.send("POST", "/api/appointments/book", Some(&siti), &headers, Some(&body));
    assert_eq!(
        (again.status, again.code()),
        (409, "slot_taken"),
        "the key no longer replays; the slot is taken"
    );
}

#[test]
fn a_bad_idempotency_key_is_a_400() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let body = json!({"doctor_id": tan, "scheduled_start": SLOT}).to_string();
    let long = "k".repeat(256);
    let answer =
        app.send("POST", "/api/appointments/book", Some(&siti), &[("Idempotency-Key", &long)], Some(&body));
    assert_eq!((answer.status, answer.code()), (400, "invalid_input"));
    assert!(answer.body["details"]["Idempotency-Key"].is_string());
}

#[test]
fn a_taken_slot_is_a_409_and_a_cancelled_one_is_free_again() {
    let app = spawn_app();
    let (tan, siti, ahmad) = (app.doctor("Dr Tan"), app.patient(), app.patient());
    let first = app.booked(&siti, tan, SLOT);
    let taken = app.book(&ahmad, tan, SLOT);
    assert_eq!((taken.status, taken.code()), (409, "slot_taken"));
    assert_eq!(app.post(&format!("/api/appointments/{first}/cancel"), Some(&siti), &json!({})).status, 200);
    assert_eq!(app.book(&ahmad, tan, SLOT).status, 201);
}

#[test]
fn times_that_are_not_bookable_are_422_with_the_reason() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    for (start, reason) in [
        ("2026-11-24T01:30:00Z", "in_the_past"),
        ("2026-11-24T08:00:00Z", "in_the_past"),
        ("2026-11-25T01:40:00Z", "not_on_slot_boundary"),
        ("2026-11-25T06:00:00Z", "outside_schedule"),
        ("2026-11-29T01:30:00Z", "outside_schedule"),
    ] {
        let answer = app.book(&siti, tan, start);
        assert_eq!((answer.status, answer.code()), (422, "slot_not_bookable"), "{start}");
        assert_eq!(answer.body["details"]["reason"], reason, "{start}");
    }
    assert_eq!(count(&app, "appointments"), 0);
}

#[test]
fn booking_needs_a_profile_a_known_doctor_and_a_token() {
    let app = spawn_app();
    let tan = app.doctor("Dr Tan");
    let no_profile = app.book(&app.login(), tan, SLOT);
    assert_eq!((no_profile.status, no_profile.code()), (400, "patient_profile_not_found"));
    let unknown = app.book(&app.patient(), Uuid::new_v4(), SLOT);
    assert_eq!((unknown.status, unknown.code()), (404, "doctor_not_found"));
    let anonymous =
        app.post("/api/appointments/book", None, &json!({"doctor_id": tan, "scheduled_start": SLOT}));
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));
}

#[test]
fn malformed_booking_bodies_are_400s() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    for body in [
        json!({"doctor_id": tan}),
        json!({"scheduled_start": SLOT}),
        json!({"doctor_id": "nope", "scheduled_start": SLOT}),
        json!({"doctor_id": tan, "scheduled_start": "tomorrow at nine"}),
        json!({"doctor_id": tan, "scheduled_start": SLOT, "reason": "cough"}),
        json!([]),
    ] {
        let answer = app.post("/api/appointments/book", Some(&siti), &body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}");
    }
    let broken = app.send("POST", "/api/appointments/book", Some(&siti), &[], Some("{\"doctor_id\":"));
    assert_eq!((broken.status, broken.code()), (400, "invalid_input"));
}

#[test]
fn one_booking_sends_a_bounded_number_of_statements() {
    let settings = crate::support::Settings { count_statements: true, ..Default::default() };
    let app = crate::support::spawn_app_with(settings);
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let statements = app.statements.as_ref().unwrap();
    statements.reset();
    let answer = app.send(
        "POST",
        "/api/appointments/book",
        Some(&siti),
        &[("Idempotency-Key", "count-me")],
        Some(&json!({"doctor_id": tan, "scheduled_start": SLOT}).to_string()),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    // The caller's patient; the profile with the key; the doctor with its hours; then
    // `BEGIN` with the closure locks, the key's claim, the appointment with its
    // confirmation, `COMMIT`. Checkout pings are counted apart (`pings()`): whether one
    // runs depends on the time since the connection's last use, not on the booking
    // (docs/benchmarks.md). More is a regression.
    let sent = statements.count();
    assert!((1..=7).contains(&sent), "one booking sent {sent} statements");
}
