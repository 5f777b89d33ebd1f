use clinic_domain::appointment::AppointmentStatus;
use serde_json::json;
use uuid::Uuid;

use crate::support::{NOW, SLOT, spawn_app};

#[test]
fn a_patient_lists_their_own_appointments_by_start() {
    let app = spawn_app();
    let (tan, siti, ahmad) = (app.doctor("Dr Tan"), app.patient(), app.patient());
    let later = app.booked(&siti, tan, "2026-11-26T01:30:00Z");
    let sooner = app.booked(&siti, tan, SLOT);
    app.booked(&ahmad, tan, "2026-11-25T02:00:00Z");
    let answer = app.get("/api/appointments", Some(&siti));
    assert_eq!(answer.status, 200);
    let ids: Vec<_> =
        answer.body["appointments"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect();
    assert_eq!(ids, vec![json!(sooner), json!(later)]);
    assert_eq!(app.get("/api/appointments", Some(&app.patient())).body, json!({"appointments": []}));
}

#[test]
fn a_patient_reads_their_appointment_but_not_anothers() {
    let app = spawn_app();
    let (tan, siti, ahmad) = (app.doctor("Dr Tan"), app.patient(), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    let mine = app.get(&format!("/api/appointments/{id}"), Some(&siti));
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.body,
        json!({"id": id, "patient_id": siti.id, "doctor_id": tan, "scheduled_start": SLOT, "status": "booked"})
    );
    for path in [
        format!("/api/appointments/{id}"),
        format!("/api/appointments/{}", Uuid::new_v4()),
        "/api/appointments/xyz".into(),
    ] {
        let answer = app.get(&path, Some(&ahmad));
        assert_eq!((answer.status, answer.code()), (404, "appointment_not_found"), "{path}");
    }
}

#[test]
fn cancelling_is_the_owners_and_can_be_repeated() {
    let app = spawn_app();
    let (tan, siti, ahmad) = (app.doctor("Dr Tan"), app.patient(), app.patient());
    let id = app.booked(&siti, tan, SLOT);
    let path = format!("/api/appointments/{id}/cancel");
    let stranger = app.post(&path, Some(&ahmad), &json!({}));
    assert_eq!((stranger.status, stranger.code()), (404, "appointment_not_found"));
    for _ in 0..2 {
        let answer = app.request("POST", &path, Some(&siti), None);
        assert_eq!((answer.status, answer.body["status"].as_str()), (200, Some("cancelled")));
    }
    assert_eq!(app.get(&format!("/api/appointments/{id}"), Some(&siti)).body["status"], "cancelled");
}

#[test]
fn a_visit_that_happened_cannot_be_cancelled() {
    let app = spawn_app();
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    for outcome in [AppointmentStatus::Completed, AppointmentStatus::NoShow] {
        let id = app.booked(
            &siti,
            tan,
            if outcome == AppointmentStatus::Completed { SLOT } else { "2026-11-25T02:00:00Z" },
        );
        // The visit took place (or not): staff record it once it has started.
        app.clock.set(
            time::OffsetDateTime::parse(SLOT, &time::format_description::well_known::Rfc3339).unwrap()
                + time::Duration::hours(2),
        );
        let staff = app.staff();
        let recorded = app.post(
            &format!("/api/admin/appointments/{id}/status"),
            Some(&staff),
            &json!({"status": outcome.as_str()}),
        );
        assert_eq!(recorded.status, 200, "{recorded:?}");
        app.clock.set(NOW);
        let answer = app.request("POST", &format!("/api/appointments/{id}/cancel"), Some(&siti), None);
        assert_eq!((answer.status, answer.code()), (409, "appointment_not_cancellable"), "{outcome}");
    }
}

#[test]
fn an_appointment_written_beyond_the_year_9999_is_left_out_never_a_500() {
    let fake = clinic_twilio::fake::FakeTwilio::start();
    let app = crate::support::spawn_app_with(crate::support::Settings::twilio(&fake));
    let (tan, siti) = (app.doctor("Dr Tan"), app.patient());
    let bad = app.booked(&siti, tan, SLOT);
    let good = app.booked(&siti, tan, "2026-11-26T01:30:00Z");
    // Written by hand, outside the API.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE appointments SET scheduled_start = '10000-01-01T00:00:00Z', scheduled_end = '10000-01-01T00:30:00Z' WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(bad),
        &mut app.db.connection(),
    )
    .unwrap();
    let list = app.get("/api/appointments", Some(&siti));
    assert_eq!(list.status, 200, "{list:?}");
    let ids: Vec<_> = list.body["appointments"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect();
    assert_eq!(ids, vec![json!(good)]);
    assert_eq!(app.get(&format!("/api/appointments/{bad}"), Some(&siti)).status, 404);
    assert_eq!(
        app.request("POST", &format!("/api/appointments/{bad}/cancel"), Some(&siti), None).status,
        404
    );
    let day = app.get("/api/admin/appointments?date=2026-11-26", Some(&app.staff()));
    assert_eq!(day.status, 200);

    // Its confirmation is set aside with the reason; the healthy one goes out.
    let report = app.deliver();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(fake.accepted().len(), 1);
    let rows = app.notifications();
    let set_aside = rows.iter().find(|r| r["appointment_id"] == json!(bad)).unwrap();
    assert_eq!(set_aside["status"], "failed");
    assert!(set_aside["error_message"].as_str().unwrap().starts_with("unreadable row:"), "{set_aside}");
}
