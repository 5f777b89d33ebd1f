//! The desk's other parts over real HTTP: the walk-in queue, closures, the inbox, and
//! staff phones (admins only).

use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::SignInRepository;
use clinic_domain::sign_in_code::StaffRole;
use clinic_twilio::fake::FakeTwilio;
use serde_json::json;

use crate::pages::{post, visit};
use crate::pages_desk::{Desk, SITI_PHONE, session_as};
use crate::support::SLOT;

#[test]
fn the_desk_issues_calls_and_finishes_walk_in_tickets_in_the_apis_numbers() {
    let desk = Desk::open();
    for (name, phone) in [("Ahmad Yusof", "+6598765432"), ("Mei Ling", "+6598765433")] {
        let issued = desk.post("/desk/queue", &[("name", name), ("phone", phone), ("doctor_id", "")]);
        assert_eq!((issued.status, issued.location.as_deref()), (303, Some("/desk/queue?done=issued")));
    }
    let queue = desk.get("/desk/queue");
    assert!(queue.text.contains("<strong>A001</strong>") && queue.text.contains("<strong>A002</strong>"));
    assert!(queue.text.contains("Next: <strong>A001 Ahmad Yusof</strong>"), "{}", queue.text);
    let api = desk.app.get("/api/admin/queue?date=2026-11-24", Some(&desk.app.staff())).body;
    let first = api["tickets"][0]["id"].as_str().unwrap().to_owned();

    let no_room = desk.post(&format!("/desk/queue/{first}/call"), &[("room", "")]);
    assert_eq!(no_room.status, 400, "{no_room:?}");
    assert!(no_room.text.contains("That didn't work: room "), "{}", no_room.text);
    let called = desk.post(&format!("/desk/queue/{first}/call"), &[("room", "Room 3")]);
    assert_eq!(called.location.as_deref(), Some("/desk/queue?done=called"));
    let after = desk.get("/desk/queue?done=called");
    assert!(
        after.text.contains("called · Room 3") && after.text.contains("Next: <strong>A002"),
        "{}",
        after.text
    );
    let served = desk.post(&format!("/desk/queue/{first}/status"), &[("status", "served")]);
    assert_eq!(served.location.as_deref(), Some("/desk/queue?done=served"));
    let finished = desk.post(&format!("/desk/queue/{first}/call"), &[("room", "Room 3")]);
    assert_eq!(finished.status, 409, "a served ticket is not called again");
    assert_eq!(desk.post(&format!("/desk/queue/{first}/status"), &[("status", "gone")]).status, 400);
}

#[test]
fn a_walk_in_with_a_registered_phone_gets_the_patients_ticket() {
    let desk = Desk::open();
    desk.app.patient();
    let refused = desk.post("/desk/queue", &[("name", "Siti"), ("phone", SITI_PHONE)]);
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(refused.text.contains("Issue the ticket to that patient"), "{}", refused.text);
    let patient =
        refused.text.split(r#"name="patient_id" value=""#).nth(1).unwrap().split('"').next().unwrap();
    let issued = desk.post("/desk/queue", &[("patient_id", patient)]);
    assert_eq!(issued.location.as_deref(), Some("/desk/queue?done=issued"));
    assert!(desk.get("/desk/queue").text.contains("A001 Siti Rahman"));
}

#[test]
fn closing_a_doctors_day_cancels_its_visits_when_asked_and_reopening_offers_it_again() {
    let desk = Desk::open();
    let siti = desk.app.patient();
    let id = desk.app.booked(&siti, desk.doctor, SLOT);
    let doctor = desk.doctor.to_string();
    let empty = desk.post(
        "/desk/closures",
        &[("doctor_id", &doctor), ("starts", "2026-11-25"), ("ends", "2026-11-25"), ("reason", "")],
    );
    assert_eq!(empty.status, 400);
    assert!(empty.text.contains(r#"id="reason-problem""#), "{}", empty.text);
    let no_day = desk.post(
        "/desk/closures",
        &[("doctor_id", &doctor), ("starts", ""), ("ends", "2026-11-25"), ("reason", "Sick")],
    );
    assert!(no_day.status == 400 && no_day.text.contains(r#"id="starts-problem""#), "{}", no_day.text);

    let form = [
        ("doctor_id", doctor.as_str()),
        ("starts", "2026-11-25"),
        ("ends", "2026-11-25"),
        ("reason", "Doctor unwell"),
        ("cancel_booked", "true"),
    ];
    let closed = desk.post("/desk/closures", &form);
    assert_eq!(closed.location.as_deref(), Some("/desk/closures?done=closed"), "{closed:?}");
    let listed = desk.get("/desk/closures");
    assert!(
        listed.text.contains("Doctor unwell") && listed.text.contains("Wed 25 Nov 2026, 00:00"),
        "{}",
        listed.text
    );
    let visit_now = desk.app.get(&format!("/api/appointments/{id}"), Some(&siti)).body;
    assert_eq!(visit_now["status"], "cancelled");
    assert!(
        desk.get(&format!("/desk/appointments/{id}/move?doctor={doctor}&date=2026-11-25"))
            .text
            .contains("No free slot")
    );

    let closure = listed.text.split(r#"action="/desk/closures/"#).nth(1).unwrap().split('/').next().unwrap();
    let reopened = desk.post(&format!("/desk/closures/{closure}/reopen"), &[]);
    assert_eq!(reopened.location.as_deref(), Some("/desk/closures?done=reopened"));
    assert!(desk.get("/desk/closures").text.contains("Nothing is closed"));
    assert_eq!(desk.post(&format!("/desk/closures/{closure}/reopen"), &[]).status, 404);

    let clinic = desk.post(
        "/desk/closures",
        &[("doctor_id", ""), ("starts", "2026-12-25"), ("ends", "2026-12-25"), ("reason", "Christmas")],
    );
    assert_eq!(clinic.status, 303);
    assert!(desk.get("/desk/closures").text.contains("The whole clinic"));
}

#[test]
fn replies_are_read_in_the_inbox_and_marked_read() {
    let fake = FakeTwilio::start();
    let desk = Desk::on(crate::webhooks::app_with(&fake));
    desk.app.patient();
    crate::webhooks::text(&desk.app, SITI_PHONE, "Running late <b>sorry</b>");
    let inbox = desk.get("/desk/inbox");
    assert!(inbox.text.contains("Running late &lt;b&gt;sorry&lt;/b&gt;"), "escaped: {}", inbox.text);
    assert!(inbox.text.contains("Siti Rahman") && inbox.text.contains(r#"class="unread""#));
    let id = inbox.text.split(r#"action="/desk/inbox/"#).nth(1).unwrap().split('/').next().unwrap();
    let read = desk.post(&format!("/desk/inbox/{id}/read"), &[]);
    assert_eq!(read.location.as_deref(), Some("/desk/inbox?done=read"));
    let after = desk.get("/desk/inbox?done=read");
    assert!(
        after.text.contains("Marked read.") && !after.text.contains(r#"class="unread""#),
        "{}",
        after.text
    );
    assert_eq!(desk.post("/desk/inbox/not-an-id/read", &[]).status, 404);
}

#[test]
fn only_an_admin_adds_staff_phones_and_the_api_lets_staff_and_admins_in_alike() {
    let desk = Desk::open();
    let admin = session_as("admin");
    let staff_page = desk.get("/desk/staff");
    assert_eq!(staff_page.status, 403, "staff who are not admins");
    assert!(!desk.get("/desk").text.contains(r#"href="/desk/staff""#));
    let refused = post(
        &desk.app,
        "/desk/staff",
        Some(&desk.session),
        &[("phone", "+6598765432"), ("name", "Nurse Tan")],
    );
    assert_eq!(refused.status, 403);

    assert!(visit(&desk.app, "/desk", Some(&admin), None, None).text.contains(r#"href="/desk/staff""#));
    let bad = post(&desk.app, "/desk/staff", Some(&admin), &[("phone", "98765432"), ("name", "")]);
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains(r#"id="phone-problem""#), "{}", bad.text);
    let added = post(
        &desk.app,
        "/desk/staff",
        Some(&admin),
        &[("phone", "+6598765432"), ("name", "Nurse Tan"), ("admin", "true")],
    );
    assert_eq!(added.location.as_deref(), Some("/desk/staff?done=staff_added"), "{added:?}");
    let phone = PhoneNumber::parse("+6598765432").unwrap();
    assert_eq!(desk.app.store.staff_role(&phone).unwrap(), Some(StaffRole::Admin));

    for role in ["staff", "admin"] {
        let token = crate::support::User { id: uuid::Uuid::new_v4(), token: session_as(role) };
        assert_eq!(desk.app.get("/api/admin/notifications", Some(&token)).status, 200, "{role}");
        let made =
            desk.app.post("/api/admin/doctors", Some(&token), &json!({"name": "Dr Ong", "specialty": "GP"}));
        assert_eq!(made.status, 201, "{role}");
    }
}
