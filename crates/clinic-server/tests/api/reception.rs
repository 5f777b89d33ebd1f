//! The front desk: patients registered without a login, found again, booked for by
//! staff, and claimed by their own login later.

use clinic_postgres::testing::concurrently;
use diesel::RunQueryDsl;
use serde_json::json;
use time::macros::datetime;

use crate::support::{Answer, SLOT, Settings, TestApp, User, spawn_app, spawn_app_with};

const PHONE: &str = "+6591234567";

fn register(app: &TestApp, staff: &User, name: &str, phone: &str) -> Answer {
    app.post("/api/admin/patients", Some(staff), &json!({"full_name": name, "phone": phone}))
}

/// Registers a patient and answers their id.
fn registered(app: &TestApp, staff: &User, name: &str, phone: &str) -> String {
    let answer = register(app, staff, name, phone);
    assert_eq!(answer.status, 201, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

fn book_for(app: &TestApp, staff: &User, patient: &str, doctor: uuid::Uuid, start: &str) -> Answer {
    let body = json!({"patient_id": patient, "doctor_id": doctor, "scheduled_start": start});
    app.post("/api/admin/appointments", Some(staff), &body)
}

/// A patient who made their own profile.
fn patient_with_phone(app: &TestApp, phone: &str) -> User {
    let user = app.login();
    let saved = app.put("/api/me/profile", Some(&user), &json!({"full_name": "Ahmad", "phone": phone}));
    assert_eq!(saved.status, 200, "{saved:?}");
    user
}

fn patient_count(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = diesel::sql_query("SELECT count(*) AS n FROM patient_profiles");
    query.get_result::<Count>(&mut app.db.connection()).unwrap().n
}

fn names(answer: &Answer) -> Vec<&str> {
    answer.body["patients"].as_array().unwrap().iter().map(|p| p["full_name"].as_str().unwrap()).collect()
}

#[test]
fn staff_register_a_patient_without_a_login_and_see_the_phone_masked() {
    let app = spawn_app();
    let answer = app.post(
        "/api/admin/patients",
        Some(&app.staff()),
        &json!({"full_name": "Sití Rahman", "phone": PHONE, "preferred_channel": "whatsapp"}),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    let id = answer.body["id"].clone();
    assert_eq!(
        answer.body,
        json!({"id": id, "full_name": "Sití Rahman", "phone": "+65****4567", "sms_opt_in": true,
               "preferred_channel": "whatsapp", "has_login": false})
    );
}

#[test]
fn a_phone_a_patient_has_is_refused_with_409_naming_that_patient() {
    let app = spawn_app();
    let staff = app.staff();
    let first = registered(&app, &staff, "Siti Rahman", PHONE);
    let again = register(&app, &staff, "Siti R.", PHONE);
    assert_eq!((again.status, again.code()), (409, "patient_exists"), "{again:?}");
    assert_eq!(again.body["details"]["patient_id"], first.as_str());

    let own = patient_with_phone(&app, "+6598765432");
    let taken = register(&app, &staff, "Ahmad", "+6598765432");
    assert_eq!((taken.status, taken.body["details"]["patient_id"].clone()), (409, json!(own.id)));
}

#[test]
fn bad_registrations_are_400_and_never_500() {
    let app = spawn_app();
    let staff = app.staff();
    let long = "x".repeat(201);
    for (body, field) in [
        (json!({"full_name": long, "phone": PHONE}), "full_name"),
        (json!({"full_name": "Siti", "phone": "91234567"}), "phone"),
        (json!({"full_name": "Siti", "phone": PHONE, "preferred_channel": "pigeon"}), "preferred_channel"),
    ] {
        let answer = app.post("/api/admin/patients", Some(&staff), &body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}");
        assert!(answer.body["details"][field].is_string(), "{answer:?}");
    }
    for body in
        [json!({"full_name": "Siti"}), json!({"full_name": "Siti", "phone": PHONE, "nric": "S1234567A"})]
    {
        let answer = app.post("/api/admin/patients", Some(&staff), &body);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{body}");
    }
    let patient = app.patient();
    let refused = app.post("/api/admin/patients", Some(&patient), &json!({"full_name": "X", "phone": PHONE}));
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
}

#[test]
fn staff_find_a_patient_by_name_whatever_its_accents_or_by_phone() {
    let app = spawn_app();
    let staff = app.staff();
    registered(&app, &staff, "Sití Rahman", PHONE);
    registered(&app, &staff, "Tan Ah Kow", "+6581110000");
    for q in ["siti", "SITI%20RAH", "4567", "%2B6591234567"] {
        let answer = app.get(&format!("/api/admin/patients?q={q}"), Some(&staff));
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(names(&answer), vec!["Sití Rahman"], "{q}");
        assert_eq!(answer.body["patients"][0]["phone"], "+65****4567");
    }
    assert!(names(&app.get("/api/admin/patients?q=nobody", Some(&staff))).is_empty());
    let long = "x".repeat(201);
    for bad in [
        "/api/admin/patients",
        "/api/admin/patients?q=",
        "/api/admin/patients?q=%2B65",
        "/api/admin/patients?q=siti%00",
        &format!("/api/admin/patients?q={long}"),
    ] {
        let answer = app.get(bad, Some(&staff));
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{bad}");
    }
}

#[test]
fn a_patients_file_has_their_appointments_and_bad_ids_are_404() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    assert_eq!(book_for(&app, &staff, &siti, tan, SLOT).status, 201);
    let file = app.get(&format!("/api/admin/patients/{siti}"), Some(&staff));
    assert_eq!(file.status, 200, "{file:?}");
    assert_eq!(file.body["patient"]["id"], siti.as_str());
    assert_eq!(file.body["appointments"][0]["scheduled_start"], SLOT);
    assert_eq!(file.body["appointments"].as_array().unwrap().len(), 1);
    for id in ["nope", "00000000-0000-0000-0000-000000000000"] {
        let answer = app.get(&format!("/api/admin/patients/{id}"), Some(&staff));
        assert_eq!((answer.status, answer.code()), (404, "patient_not_found"), "{id}");
    }
}

#[test]
fn a_patient_booked_by_phone_signs_in_later_and_finds_the_appointment_theirs() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    let booked = book_for(&app, &staff, &siti, tan, SLOT);
    assert_eq!(booked.status, 201, "{booked:?}");
    assert_eq!(booked.body["appointment"]["patient_id"], siti.as_str());
    assert_eq!(app.notifications()[0]["to_phone"], "+65****4567", "confirmed to the record's phone");

    let login = app.login_with_phone(PHONE);
    let mine = app.get("/api/appointments", Some(&login));
    assert_eq!(mine.status, 200, "{mine:?}");
    assert_eq!(mine.body["appointments"][0]["id"], booked.body["appointment"]["id"]);
    assert_eq!(app.get("/api/me/profile", Some(&login)).body["id"], siti.as_str(), "one patient, not two");
    let file = app.get(&format!("/api/admin/patients/{siti}"), Some(&staff));
    assert_eq!(file.body["patient"]["has_login"], true);
    assert_eq!(patient_count(&app), 1);

    // Another login with the same phone is someone else (a family member): a new patient.
    let other = app.login_with_phone(PHONE);
    assert_eq!(app.get("/api/appointments", Some(&other)).body["appointments"], json!([]));
}

#[test]
fn of_eight_logins_with_the_registered_phone_signing_in_at_once_one_claims_the_patient() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    assert_eq!(book_for(&app, &staff, &siti, tan, SLOT).status, 201);
    let logins: Vec<_> = (0..8).map(|_| app.login_with_phone(PHONE)).collect();
    let answers = concurrently(8, |i| app.get("/api/appointments", Some(&logins[i])));
    let seen: Vec<usize> = answers.iter().map(|a| a.body["appointments"].as_array().unwrap().len()).collect();
    assert_eq!(seen.iter().sum::<usize>(), 1, "{answers:?}");
    assert_eq!(patient_count(&app), 1);

    // The same login asking eight times at once is one patient each time.
    let login = app.login_with_phone("+6598765432");
    let ahmad = registered(&app, &staff, "Ahmad", "+6598765432");
    let answers = concurrently(8, |_| app.get("/api/me/profile", Some(&login)));
    assert!(answers.iter().all(|a| a.status == 200 && a.body["id"] == ahmad.as_str()), "{answers:?}");
}

/// Wednesday 2026-11-25, 16:00 in Singapore: the morning's slots have started.
fn wednesday_afternoon() -> TestApp {
    spawn_app_with(Settings { now: datetime!(2026-11-25 08:00 UTC), ..Settings::default() })
}

#[test]
fn staff_book_a_walk_in_into_a_slot_that_started_earlier_today_but_not_yesterday() {
    let app = wednesday_afternoon();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    let walk_in = book_for(&app, &staff, &siti, tan, SLOT);
    assert_eq!(walk_in.status, 201, "{walk_in:?}");
    let yesterday = book_for(&app, &staff, &siti, tan, "2026-11-24T01:30:00Z");
    assert_eq!((yesterday.status, yesterday.code()), (422, "slot_not_bookable"));
    assert_eq!(yesterday.body["details"]["reason"], "in_the_past");
    let patient = app.book(&app.patient(), tan, "2026-11-25T02:00:00Z");
    assert_eq!(patient.body["details"]["reason"], "in_the_past", "patients may not: {patient:?}");
}

#[test]
fn staff_booking_answers_as_patient_booking_does() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    let body = json!({"patient_id": siti, "doctor_id": tan, "scheduled_start": SLOT}).to_string();
    let keyed = |body: &str| {
        app.send(
            "POST",
            "/api/admin/appointments",
            Some(&staff),
            &[("Idempotency-Key", "desk-1")],
            Some(body),
        )
    };
    let (first, replay) = (keyed(&body), keyed(&body));
    assert_eq!((first.status, replay.status), (201, 201), "{first:?}");
    assert_eq!((first.replayed.as_deref(), replay.replayed.as_deref()), (Some("false"), Some("true")));
    assert_eq!(first.body, replay.body);
    let other = json!({"patient_id": siti, "doctor_id": tan, "scheduled_start": "2026-11-25T02:00:00Z"});
    assert_eq!(keyed(&other.to_string()).code(), "idempotency_key_reused");
    let taken = app.book(&app.patient(), tan, SLOT);
    assert_eq!((taken.status, taken.code()), (409, "slot_taken"));
    let off = book_for(&app, &staff, &siti, tan, "2026-11-25T01:40:00Z");
    assert_eq!((off.status, off.body["details"]["reason"].clone()), (422, json!("not_on_slot_boundary")));

    let nobody = uuid::Uuid::new_v4().to_string();
    let unknown = book_for(&app, &staff, &nobody, tan, "2026-11-25T02:30:00Z");
    assert_eq!((unknown.status, unknown.code()), (404, "patient_not_found"));
    let no_doctor = book_for(&app, &staff, &siti, uuid::Uuid::new_v4(), "2026-11-25T02:30:00Z");
    assert_eq!((no_doctor.status, no_doctor.code()), (404, "doctor_not_found"));
    let extra = json!({"patient_id": siti, "doctor_id": tan, "scheduled_start": SLOT, "note": "x"});
    assert_eq!(app.post("/api/admin/appointments", Some(&staff), &extra).status, 400);
    let as_patient = app.post("/api/admin/appointments", Some(&app.patient()), &extra);
    assert_eq!(as_patient.status, 403);
}

#[test]
fn of_eight_simultaneous_staff_and_patient_bookings_for_one_slot_exactly_one_wins() {
    let app = spawn_app();
    let (staff, tan) = (app.staff(), app.doctor("Dr Tan"));
    let siti = registered(&app, &staff, "Siti Rahman", PHONE);
    let patients: Vec<_> = (0..4).map(|_| app.patient()).collect();
    let answers = concurrently(8, |i| match i {
        0..4 => book_for(&app, &staff, &siti, tan, SLOT),
        _ => app.book(&patients[i - 4], tan, SLOT),
    });
    let created = answers.iter().filter(|a| a.status == 201).count();
    let taken = answers.iter().filter(|a| a.code() == "slot_taken").count();
    assert_eq!((created, taken), (1, 7), "{answers:?}");
}
