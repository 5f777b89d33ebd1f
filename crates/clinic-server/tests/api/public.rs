use clinic_domain::closure::{Closure, ClosureRequest};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_domain::ports::{ClosureRepository, DoctorRepository};
use serde_json::json;
use time::macros::datetime;
use uuid::Uuid;

use crate::support::{NOW, SLOT, Settings, spawn_app, spawn_app_with};

#[test]
fn the_clinic_says_its_name_and_time_zone() {
    let app = spawn_app_with(Settings {
        vars: vec![("CLINIC_NAME", "Harbour Clinic".into()), ("CLINIC_TIMEZONE", "Europe/London".into())],
        ..Settings::default()
    });
    let answer = app.get("/api/clinic", None);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"name": "Harbour Clinic", "timezone": "Europe/London"}));
}

#[test]
fn only_active_doctors_are_listed() {
    let app = spawn_app();
    let tan = app.doctor("Dr Tan");
    let lee = app.doctor("Dr Lee");
    let mut retired = app.store.find(DoctorId::from_uuid(lee)).unwrap().unwrap();
    retired.active = false;
    app.store.update(&retired, NOW).unwrap();
    let answer = app.get("/api/doctors", None);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({"doctors": [{"id": tan, "name": "Dr Tan", "specialty": "Family medicine"}]})
    );
}

#[test]
fn free_slots_are_the_days_future_unbooked_slots_in_utc() {
    let app = spawn_app();
    let tan = app.doctor("Dr Tan");
    // Wednesday 09:45 in Singapore: 09:00 and 09:30 have started.
    app.clock.set(datetime!(2026-11-25 01:45 UTC));
    app.booked(&app.patient(), tan, "2026-11-25T02:30:00Z");
    let answer = app.get(&format!("/api/doctors/{tan}/slots?date=2026-11-25"), None);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({
            "doctor_id": tan,
            "date": "2026-11-25",
            "timezone": "Asia/Singapore",
            "slots": [
                {"start": "2026-11-25T02:00:00Z", "end": "2026-11-25T02:30:00Z"},
                {"start": "2026-11-25T03:00:00Z", "end": "2026-11-25T03:30:00Z"},
                {"start": "2026-11-25T03:30:00Z", "end": "2026-11-25T04:00:00Z"},
            ]
        })
    );
    let sunday = app.get(&format!("/api/doctors/{tan}/slots?date=2026-11-29"), None);
    assert_eq!(sunday.body["slots"], json!([]));
}

#[test]
fn slots_of_a_bad_date_or_an_unknown_doctor_are_refused() {
    let app = spawn_app();
    let tan = app.doctor("Dr Tan");
    for query in ["?date=2026-13-01", "?date=25-11-2026", "?date=", ""] {
        let answer = app.get(&format!("/api/doctors/{tan}/slots{query}"), None);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{query}");
    }
    for id in [Uuid::new_v4().to_string(), "not-a-uuid".into()] {
        let answer = app.get(&format!("/api/doctors/{id}/slots?date=2026-11-25"), None);
        assert_eq!((answer.status, answer.code()), (404, "doctor_not_found"), "{id}");
    }
    let mut retired = app.store.find(DoctorId::from_uuid(tan)).unwrap().unwrap();
    retired.active = false;
    app.store.update(&retired, NOW).unwrap();
    assert_eq!(app.get(&format!("/api/doctors/{tan}/slots?date=2026-11-25"), None).status, 404);
}

#[test]
fn slots_follow_the_clinics_wall_clock_across_daylight_saving_changes() {
    let app = spawn_app_with(Settings {
        vars: vec![("CLINIC_TIMEZONE", "America/New_York".into())],
        now: datetime!(2026-03-01 12:00 UTC),
        ..Settings::default()
    });
    // Saturdays and Sundays, 09:00 to 10:00.
    let doctor = app.doctor_with("Dr Rivera", 30, &[(6, "09:00", "10:00"), (7, "09:00", "10:00")]);
    let starts = |date: &str| {
        let answer = app.get(&format!("/api/doctors/{doctor}/slots?date={date}"), None);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["timezone"], "America/New_York");
        answer.body["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["start"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // Spring forward on Sunday 2026-03-08: 09:00 is 14:00Z the day before, 13:00Z that day.
    assert_eq!(starts("2026-03-07"), ["2026-03-07T14:00:00Z", "2026-03-07T14:30:00Z"]);
    assert_eq!(starts("2026-03-08"), ["2026-03-08T13:00:00Z", "2026-03-08T13:30:00Z"]);
    // Fall back on Sunday 2026-11-01: 09:00 is 13:00Z the day before, 14:00Z that day.
    app.clock.set(datetime!(2026-10-25 12:00 UTC));
    assert_eq!(starts("2026-10-31"), ["2026-10-31T13:00:00Z", "2026-10-31T13:30:00Z"]);
    assert_eq!(starts("2026-11-01"), ["2026-11-01T14:00:00Z", "2026-11-01T14:30:00Z"]);
    // Booking follows the same wall clock.
    let patient = app.patient();
    assert_eq!(app.book(&patient, doctor, "2026-11-01T14:00:00Z").status, 201);
    let an_hour_early = app.book(&patient, doctor, "2026-11-01T13:00:00Z");
    assert_eq!(
        (an_hour_early.status, an_hour_early.body["details"]["reason"].as_str()),
        (422, Some("outside_schedule"))
    );
}

#[test]
fn a_new_doctor_without_a_schedule_has_no_slots() {
    let app = spawn_app();
    let doctor = Doctor::new("Dr New", "GP").unwrap();
    app.store.insert(&doctor, NOW).unwrap();
    let answer = app.get(&format!("/api/doctors/{}/slots?date=2026-11-25", doctor.id), None);
    assert_eq!((answer.status, answer.body["slots"].clone()), (200, json!([])));
}

#[test]
fn a_slot_listing_is_one_statement_whatever_the_day_holds() {
    let app = spawn_app_with(Settings { count_statements: true, ..Settings::default() });
    let tan = app.doctor("Dr Tan");
    app.booked(&app.patient(), tan, SLOT);
    let holiday = ClosureRequest {
        doctor_id: None,
        starts: datetime!(2026-11-25 03:30 UTC),
        ends: datetime!(2026-11-26 00:00 UTC),
        reason: "Public holiday".into(),
        cancel_booked: false,
    };
    app.store.close(&Closure::new(&holiday).unwrap(), false, NOW).unwrap();
    let path = format!("/api/doctors/{tan}/slots?date=2026-11-25");
    assert_eq!(app.get(&path, None).status, 200);
    let statements = app.statements.as_ref().unwrap();
    statements.reset();
    let answer = app.get(&path, None);
    let starts: Vec<_> =
        answer.body["slots"].as_array().unwrap().iter().map(|s| s["start"].clone()).collect();
    assert_eq!(
        starts,
        ["2026-11-25T01:00:00Z", "2026-11-25T02:00:00Z", "2026-11-25T02:30:00Z", "2026-11-25T03:00:00Z"],
        "09:30 is booked, 11:30 the holiday's"
    );
    // The doctor with its hours, the day's held starts and its closures, in one
    // statement (the connection was just used: the pool adds no checkout ping).
    assert_eq!(statements.count(), 1, "one slot listing sent {} statements", statements.count());
}
