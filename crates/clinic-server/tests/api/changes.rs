//! Moving and cancelling visits, by patients and staff: one transaction per change, one
//! true text per change.

use clinic_postgres::testing::concurrently;
use clinic_twilio::fake::FakeTwilio;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{SLOT, Settings, TestApp, User, spawn_app, spawn_app_with};

/// Wednesday 2026-11-25, 10:00 and 11:00 in Singapore: the doctor's other slots.
const TEN: &str = "2026-11-25T02:00:00Z";
const ELEVEN: &str = "2026-11-25T03:00:00Z";

fn reschedule(app: &TestApp, user: &User, id: Uuid, start: &str) -> crate::support::Answer {
    app.post(&format!("/api/appointments/{id}/reschedule"), Some(user), &json!({ "scheduled_start": start }))
}

fn texts(fake: &FakeTwilio) -> Vec<String> {
    fake.received().into_iter().map(|r| r.form["Body"].clone()).collect()
}

fn rows_of(app: &TestApp, kind: &str) -> Vec<Value> {
    app.notifications().into_iter().filter(|n| n["type"] == kind).collect()
}

#[test]
fn a_patient_moves_their_visit_keeping_its_id_and_freeing_the_old_slot() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    let moved = reschedule(&app, &siti, id, TEN);
    assert_eq!(moved.status, 200, "{moved:?}");
    assert_eq!(
        (moved.body["id"].as_str(), moved.body["scheduled_start"].as_str()),
        (Some(id.to_string().as_str()), Some(TEN))
    );
    assert_eq!(app.get(&format!("/api/appointments/{id}"), Some(&siti)).body["scheduled_start"], TEN);
    assert_eq!(app.book(&app.patient(), tan, SLOT).status, 201, "the old slot is free");
    assert_eq!(app.book(&app.patient(), tan, TEN).code(), "slot_taken", "the new one is held");
}

#[test]
fn staff_move_a_visit_to_another_doctor() {
    let app = spawn_app();
    let (tan, lee, siti) = (app.doctor("Dr Tan"), app.doctor("Dr Lee"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    let moved = app.post(
        &format!("/api/admin/appointments/{id}/reschedule"),
        Some(&app.staff()),
        &json!({ "scheduled_start": SLOT, "doctor_id": lee }),
    );
    assert_eq!((moved.status, moved.body["doctor_id"].as_str()), (200, Some(lee.to_string().as_str())));
    assert_eq!(app.book(&app.patient(), tan, SLOT).status, 201);
}

#[test]
fn a_move_answers_every_refusal_with_its_code() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    app.booked(&app.patient(), tan, ELEVEN);
    let code = |answer: crate::support::Answer| (answer.status, answer.code().to_owned());
    assert_eq!(code(reschedule(&app, &siti, id, ELEVEN)), (409, "slot_taken".into()));
    assert_eq!(code(reschedule(&app, &siti, id, "2026-11-25T02:10:00Z")), (422, "slot_not_bookable".into()));
    assert_eq!(code(reschedule(&app, &app.patient(), id, TEN)), (404, "appointment_not_found".into()));
    assert_eq!(code(reschedule(&app, &siti, Uuid::new_v4(), TEN)), (404, "appointment_not_found".into()));
    let odd = app.post(
        &format!("/api/appointments/{id}/reschedule"),
        Some(&siti),
        &json!({ "scheduled_start": TEN, "room": 3 }),
    );
    assert_eq!(code(odd), (400, "invalid_input".into()));
    let elsewhere = json!({ "scheduled_start": TEN, "doctor_id": Uuid::new_v4() });
    assert_eq!(
        code(app.post(&format!("/api/appointments/{id}/reschedule"), Some(&siti), &elsewhere)).1,
        "doctor_not_found"
    );
    app.request("POST", &format!("/api/appointments/{id}/cancel"), Some(&siti), None);
    let refused = reschedule(&app, &siti, id, TEN);
    assert_eq!(
        (refused.status, refused.code(), refused.body["details"]["reason"].as_str()),
        (409, "status_change_refused", Some("closed"))
    );
    assert_eq!(app.get(&format!("/api/appointments/{id}"), Some(&siti)).body["scheduled_start"], SLOT);
}

#[test]
fn of_sixteen_moves_and_bookings_racing_for_one_slot_exactly_one_wins() {
    let app = spawn_app();
    let tan = app.doctor_with("Dr Tan", 15, &(1..=6).map(|d| (d, "09:00", "17:00")).collect::<Vec<_>>());
    let target = "2026-11-25T08:00:00Z"; // 16:00 in Singapore
    let movers: Vec<(User, Uuid, String)> = (0..8)
        .map(|i| {
            let user = app.patient();
            let start = format!("2026-11-25T{:02}:{:02}:00Z", 1 + i / 4, 15 * (i % 4));
            let id = app.booked(&user, tan, &start);
            (user, id, start)
        })
        .collect();
    let bookers: Vec<User> = (0..8).map(|_| app.patient()).collect();
    let answers = concurrently(16, |i| match i {
        0..8 => reschedule(&app, &movers[i].0, movers[i].1, target).status,
        _ => app.book(&bookers[i - 8], tan, target).status,
    });
    let won: Vec<_> = answers.iter().filter(|s| **s == 200 || **s == 201).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|s| [200, 201, 409].contains(s)), "{answers:?}");
    for (i, (user, id, start)) in movers.iter().enumerate() {
        if answers[i] == 409 {
            let unchanged = app.get(&format!("/api/appointments/{id}"), Some(user));
            assert_eq!(
                unchanged.body["scheduled_start"].as_str(),
                Some(start.as_str()),
                "a loser stays where it was"
            );
        }
    }
}

#[test]
fn booked_then_moved_twice_quickly_only_true_texts_reach_the_patient() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    assert_eq!(reschedule(&app, &siti, id, TEN).status, 200);
    assert_eq!(reschedule(&app, &siti, id, ELEVEN).status, 200);
    let report = app.deliver();
    assert_eq!((report.sent, report.skipped), (1, 0), "the older ones were skipped as the moves committed");
    assert_eq!(
        texts(&fake),
        [
            "Gabriel Family Clinic: appointment confirmed with Dr Tan on Wed 25 Nov 2026, 11:00. Reply STOP to opt out."
        ],
        "never told 09:30 or 10:00, so told 11:00 as a confirmation"
    );
    let skipped: Vec<_> = app.notifications().into_iter().filter(|n| n["status"] == "skipped").collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().all(|n| n["error_message"] == "rescheduled"), "{skipped:?}");
}

/// Twilio against the fake, a reminder 2 hours before each visit.
fn app_reminding_two_hours_ahead(fake: &FakeTwilio) -> TestApp {
    let mut settings = Settings::twilio(fake);
    settings.vars.push(("REMINDER_LEADS", "2h".into()));
    spawn_app_with(settings)
}

/// 07:40 in Singapore on the visit's day: within 2 hours of 09:30.
fn morning_of_the_visit() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-24 23:40 UTC)
}

#[test]
fn a_patient_already_confirmed_is_told_of_the_move_and_reminded_of_the_new_time_only() {
    let fake = FakeTwilio::start();
    let app = app_reminding_two_hours_ahead(&fake);
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    assert_eq!(app.deliver().sent, 1, "the confirmation");
    // The reminder for 09:30 goes out; then the visit moves to 10:00.
    app.clock.set(morning_of_the_visit());
    let cron = app.cron();
    assert_eq!(cron.body["success"], 1);
    assert_eq!(reschedule(&app, &siti, id, TEN).status, 200);
    assert_eq!(app.deliver().sent, 1, "the move");
    assert_eq!(
        texts(&fake)[2],
        "Gabriel Family Clinic: your appointment is moved to Wed 25 Nov 2026, 10:00 with Dr Tan. Reply STOP to opt out."
    );
    // The new time gets its own reminder, once, when it is 2 hours ahead.
    app.clock.advance(time::Duration::minutes(10));
    assert_eq!(app.cron().body["processed"], 0, "10:00 is not within 2 hours yet");
    app.clock.advance(time::Duration::minutes(20));
    assert_eq!(app.cron().body["success"], 1);
    assert_eq!(app.cron().body["processed"], 0);
    assert!(
        texts(&fake)[3].contains("reminder, you see Dr Tan on Wed 25 Nov 2026, 10:00"),
        "{:?}",
        texts(&fake)
    );
    assert_eq!(rows_of(&app, "reminder").len(), 2);
}

#[test]
fn a_pending_reminder_for_the_old_time_is_skipped_as_rescheduled() {
    let fake = FakeTwilio::start();
    fake.always(clinic_twilio::fake::Reply::ServerError);
    let app = app_reminding_two_hours_ahead(&fake);
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    app.clock.set(morning_of_the_visit());
    app.cron(); // the reminder fails and stays pending
    assert_eq!(reschedule(&app, &siti, id, TEN).status, 200);
    let old = rows_of(&app, "reminder");
    assert_eq!(
        (old[0]["status"].as_str(), old[0]["error_message"].as_str()),
        (Some("skipped"), Some("rescheduled"))
    );
}

#[test]
fn the_clinic_cancels_with_its_reason_and_the_patient_is_told_once() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    app.deliver();
    let staff = app.staff();
    let path = format!("/api/admin/appointments/{id}/status");
    let long = app.post(&path, Some(&staff), &json!({"status": "cancelled", "reason": "x".repeat(161)}));
    assert_eq!((long.status, long.code()), (400, "invalid_input"));
    let body = json!({"status": "cancelled", "reason": "Doctor unwell"});
    assert_eq!(app.post(&path, Some(&staff), &body).status, 200);
    assert_eq!(app.post(&path, Some(&staff), &body).status, 200, "again: nothing more");
    assert_eq!(app.deliver().sent, 1);
    assert_eq!(app.deliver().processed, 0);
    assert_eq!(
        texts(&fake)[1],
        "Gabriel Family Clinic: sorry, your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled (Doctor unwell). Please call us to book again. Reply STOP to opt out."
    );
    assert_eq!(rows_of(&app, "cancellation").len(), 1);
}

#[test]
fn a_move_racing_a_cancel_ends_cancelled_with_one_true_text() {
    for round in 0..4 {
        let fake = FakeTwilio::start();
        let app = spawn_app_with(Settings::twilio(&fake));
        let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
        let id = app.booked(&siti, tan, SLOT);
        app.deliver();
        let answers = concurrently(2, |i| match i {
            0 => reschedule(&app, &siti, id, TEN).status,
            _ => app.request("POST", &format!("/api/appointments/{id}/cancel"), Some(&siti), None).status,
        });
        assert_eq!(answers[1], 200, "round {round}: the cancel always applies");
        assert!([200, 409].contains(&answers[0]), "round {round}: {answers:?}");
        let now = app.get(&format!("/api/appointments/{id}"), Some(&siti)).body;
        assert_eq!(now["status"], "cancelled");
        app.deliver();
        let told: Vec<_> = texts(&fake).into_iter().skip(1).collect();
        assert_eq!(told.len(), 1, "round {round}: {told:?}");
        assert!(told[0].contains("is cancelled, as you asked"), "round {round}: {told:?}");
        assert!(told[0].contains(now["scheduled_start"].as_str().map_or("", |s| if s == SLOT {
            "09:30"
        } else {
            "10:00"
        })));
    }
}

#[test]
fn a_move_racing_a_staff_outcome_resolves_to_exactly_one_of_them() {
    for round in 0..4 {
        let app = spawn_app();
        let (tan, siti, staff) = (app.doctor("Dr Tan"), app.patient(), app.staff());
        let id = app.booked(&siti, tan, SLOT);
        // 09:45 on the day: the 09:30 visit has started; 11:00 is still free.
        app.clock.set(time::macros::datetime!(2026-11-25 01:45 UTC));
        let answers = concurrently(2, |i| match i {
            0 => reschedule(&app, &siti, id, ELEVEN).status,
            _ => {
                app.post(
                    &format!("/api/admin/appointments/{id}/status"),
                    Some(&staff),
                    &json!({"status": "completed"}),
                )
                .status
            }
        });
        let now = app.get(&format!("/api/appointments/{id}"), Some(&siti)).body;
        match answers[..] {
            [200, 409] => assert_eq!(
                (now["status"].as_str(), now["scheduled_start"].as_str()),
                (Some("booked"), Some(ELEVEN))
            ),
            [409, 200] => assert_eq!(
                (now["status"].as_str(), now["scheduled_start"].as_str()),
                (Some("completed"), Some(SLOT))
            ),
            _ => panic!("round {round}: exactly one of them: {answers:?}"),
        }
    }
}
