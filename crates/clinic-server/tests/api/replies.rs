//! Patients answering their reminders, end to end: the reminder goes to the fake Twilio
//! by a cron call, the reply comes back signed as Twilio signs it.

use clinic_postgres::testing::concurrently;
use clinic_twilio::fake::FakeTwilio;
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::support::{Answer, Settings, TestApp, User, spawn_app_with};
use crate::webhooks::{BASE, INBOUND, app_with, post, text};

const PHONE: &str = "+6591234567";
/// Wednesday 09:30 and 11:00 in Singapore, the next day.
const MORNING: OffsetDateTime = datetime!(2026-11-25 01:30 UTC);
const LATER: OffsetDateTime = datetime!(2026-11-25 03:00 UTC);
const LONG_AGO: OffsetDateTime = datetime!(2026-11-20 08:00 UTC);
const PASSED_ON: &str = "Gabriel Family Clinic: thank you, we have passed your message to the clinic. For anything urgent, please call us.";

/// The text a TwiML answer carries.
fn answered(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{answer:?}");
    let twiml = answer.body.as_str().unwrap();
    let message = twiml.split("<Message>").nth(1).and_then(|m| m.split("</Message>").next());
    message.unwrap_or_else(|| panic!("no message in {twiml}")).to_owned()
}

/// Books `start` (long ago) for the patient and sends its reminder by a cron call.
fn reminded(app: &TestApp, fake: &FakeTwilio, patient: &User, doctor: Uuid, start: OffsetDateTime) -> Uuid {
    let id = app.appointment_at(patient, doctor, start, LONG_AGO);
    let before = fake.accepted().len();
    assert_eq!(app.cron().status, 200);
    assert_eq!(fake.accepted().len(), before + 1, "the reminder went out");
    id
}

/// A patient of Dr Tan whose visit in the morning was reminded, and the service.
struct Reminded {
    app: TestApp,
    fake: FakeTwilio,
    patient: User,
    doctor: Uuid,
    id: Uuid,
}

fn reminded_in_the_morning() -> Reminded {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let id = reminded(&app, &fake, &patient, doctor, MORNING);
    Reminded { app, fake, patient, doctor, id }
}

fn day(app: &TestApp) -> Vec<Value> {
    let day = app.get("/api/admin/appointments?date=2026-11-25", Some(&app.staff()));
    day.body["appointments"].as_array().unwrap().clone()
}

fn confirmed(app: &TestApp, id: Uuid) -> bool {
    let entry = day(app).into_iter().find(|a| a["id"] == json!(id)).unwrap();
    assert_eq!(entry["patient_confirmed"].as_bool().unwrap(), entry["patient_confirmed_at"].is_string());
    entry["patient_confirmed"].as_bool().unwrap()
}

fn inbox(app: &TestApp, query: &str) -> Vec<Value> {
    let answer = app.get(&format!("/api/admin/inbox{query}"), Some(&app.staff()));
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["messages"].as_array().unwrap().clone()
}

#[test]
fn c_confirms_the_reminded_visit_and_the_day_list_shows_it() {
    let Reminded { app, fake, id, .. } = reminded_in_the_morning();
    let reminder = fake.accepted().pop().unwrap().body;
    assert!(reminder.ends_with("Reply STOP to opt out. Reply C to confirm or X to cancel."), "{reminder}");
    assert!(!confirmed(&app, id));

    let answer = text(&app, PHONE, " Confirm ");
    assert_eq!(
        answered(&answer),
        "Gabriel Family Clinic: thank you, see you on Wed 25 Nov 2026, 09:30 with Dr Tan."
    );
    assert!(confirmed(&app, id));
    assert_eq!(answered(&text(&app, PHONE, "c")), answered(&answer), "confirming twice is fine");
    assert!(inbox(&app, "").is_empty(), "an acted-on reply is not for staff");
}

#[test]
fn x_cancels_the_visit_as_the_patient_frees_its_slot_and_texts_no_second_acknowledgement() {
    let Reminded { app, fake, patient, doctor, id } = reminded_in_the_morning();
    let answer = text(&app, PHONE, "cancel  APPT");
    assert_eq!(
        answered(&answer),
        "Gabriel Family Clinic: your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled, as you asked. \
         Reply STOP to opt out."
    );
    let appointment = app.get(&format!("/api/appointments/{id}"), Some(&patient)).body;
    assert_eq!(appointment["status"], "cancelled");
    let slots = app.get(&format!("/api/doctors/{doctor}/slots?date=2026-11-25"), None).body;
    assert!(slots["slots"].as_array().unwrap().iter().any(|s| s["start"] == "2026-11-25T01:30:00Z"));
    let sent = fake.accepted().len();
    assert_eq!(app.deliver().sent, 0, "the TwiML was the acknowledgement");
    assert_eq!(fake.accepted().len(), sent);
    assert!(app.notifications().iter().all(|n| n["type"] != "cancellation"));

    // Again, once it is cancelled: said truthfully, and passed on.
    let again = answered(&text(&app, PHONE, "X"));
    assert!(again.contains("Dr Tan on Wed 25 Nov 2026, 09:30 was already cancelled"), "{again}");
    let kept = inbox(&app, "");
    assert_eq!((kept.len(), &kept[0]["appointment_id"], &kept[0]["body"]), (1, &json!(id), &json!("X")));
}

#[test]
fn with_two_reminded_visits_a_reply_is_about_the_one_reminded_last() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let first = reminded(&app, &fake, &patient, doctor, MORNING);
    app.clock.advance(Duration::minutes(1));
    let last = reminded(&app, &fake, &patient, doctor, LATER);

    assert!(answered(&text(&app, PHONE, "C")).contains("see you on Wed 25 Nov 2026, 11:00 with Dr Tan"));
    assert_eq!((confirmed(&app, first), confirmed(&app, last)), (false, true));
    assert!(answered(&text(&app, PHONE, "X")).contains("Wed 25 Nov 2026, 11:00 is cancelled, as you asked"));
    // The last one is cancelled now: the other, still on, is the one a reply is about.
    assert!(answered(&text(&app, PHONE, "X")).contains("Wed 25 Nov 2026, 09:30 is cancelled, as you asked"));
    let statuses: Vec<Value> = day(&app).iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [json!("cancelled"), json!("cancelled")]);
}

#[test]
fn a_visit_moved_since_its_reminder_is_not_confirmed_and_the_answer_says_where_it_is() {
    let Reminded { app, fake: _fake, id, .. } = reminded_in_the_morning();
    let moved = app.post(
        &format!("/api/admin/appointments/{id}/reschedule"),
        Some(&app.staff()),
        &json!({"scheduled_start": "2026-11-25T03:00:00Z"}),
    );
    assert_eq!(moved.status, 200, "{moved:?}");
    let answer = answered(&text(&app, PHONE, "C"));
    assert!(answer.contains("your appointment is now on Wed 25 Nov 2026, 11:00 with Dr Tan"), "{answer}");
    assert!(!confirmed(&app, id));
    assert_eq!(inbox(&app, "")[0]["appointment_id"], json!(id));
}

#[test]
fn late_replies_free_text_and_strangers_go_to_the_inbox_with_a_polite_answer() {
    let Reminded { app, fake: _fake, patient, id, .. } = reminded_in_the_morning();
    let long = "é".repeat(2500);
    for body in ["Running late 🙏 10 min", "", "😀😀😀", "CANCEL APPT please", long.as_str()] {
        assert_eq!(answered(&text(&app, PHONE, body)), PASSED_ON, "{body:?}");
        app.clock.advance(Duration::seconds(1));
    }
    assert_eq!(answered(&text(&app, "+6598765432", "Is the clinic open on Sunday?")), PASSED_ON);
    app.clock.set(MORNING + Duration::minutes(5));
    assert_eq!(answered(&text(&app, PHONE, "C")), PASSED_ON, "too late: the visit started");
    assert!(!confirmed(&app, id));

    let kept = inbox(&app, "");
    let bodies: Vec<&str> = kept.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(
        &bodies[..3],
        [
            "C",
            "Is the clinic open on Sunday?",
            &format!("{}… [cut: 2500 characters in all]", "é".repeat(2000))
        ]
    );
    assert_eq!(&bodies[3..], ["CANCEL APPT please", "😀😀😀", "", "Running late 🙏 10 min"]);
    assert_eq!(
        (&kept[0]["from"], &kept[0]["patient_id"], &kept[0]["patient_name"], &kept[0]["appointment_id"]),
        (&json!("+65****4567"), &json!(patient.id), &json!("Siti Rahman"), &json!(id))
    );
    assert_eq!(
        (&kept[1]["from"], &kept[1]["patient_id"], &kept[1]["patient_name"], &kept[1]["appointment_id"]),
        (&json!("+65****5432"), &Value::Null, &Value::Null, &Value::Null)
    );
    assert!(kept.iter().all(|m| m["read_at"].is_null() && m["received_at"].is_string()));
}

#[test]
fn stop_start_and_help_come_first_and_bare_cancel_is_an_opt_out() {
    let Reminded { app, fake: _fake, patient, id, .. } = reminded_in_the_morning();
    let cancel = text(&app, PHONE, "CANCEL");
    assert_eq!(cancel.body, json!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"));
    assert_eq!(app.get("/api/me/profile", Some(&patient)).body["sms_opt_in"], false);
    assert_eq!(app.get(&format!("/api/appointments/{id}"), Some(&patient)).body["status"], "booked");
    text(&app, PHONE, "START");
    assert!(answered(&text(&app, PHONE, "HELP")).contains("Reply STOP to opt out"));
    assert!(inbox(&app, "").is_empty());
}

#[test]
fn an_unsigned_reply_is_refused_and_changes_nothing() {
    let Reminded { app, fake: _fake, patient, id, .. } = reminded_in_the_morning();
    let params = [("From", PHONE), ("Body", "X")];
    assert_eq!(post(&app, INBOUND, &params, None).status, 403);
    assert_eq!(post(&app, INBOUND, &params, Some("bm90IGEgc2lnbmF0dXJl")).status, 403);
    assert_eq!(app.get(&format!("/api/appointments/{id}"), Some(&patient)).body["status"], "booked");
    assert!(inbox(&app, "").is_empty());
    assert!(BASE.starts_with("https://"));
}

#[test]
fn staff_read_the_inbox_newest_first_and_mark_messages_read_once() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    app.patient();
    for body in ["first", "second", "third"] {
        text(&app, PHONE, body);
        app.clock.advance(Duration::seconds(1));
    }
    let kept = inbox(&app, "");
    let bodies: Vec<&str> = kept.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["third", "second", "first"]);
    let staff = app.staff();
    let second = kept[1]["id"].as_str().unwrap();
    let read = app.request("POST", &format!("/api/admin/inbox/{second}/read"), Some(&staff), None);
    assert_eq!((read.status, &read.body["body"]), (200, &json!("second")));
    let read_at = read.body["read_at"].clone();
    assert!(read_at.is_string());
    app.clock.advance(Duration::minutes(5));
    let again = app.request("POST", &format!("/api/admin/inbox/{second}/read"), Some(&staff), None);
    assert_eq!((again.status, &again.body["read_at"]), (200, &read_at), "the first reading counts");
    let unread: Vec<Value> = inbox(&app, "?unread=true").iter().map(|m| m["body"].clone()).collect();
    assert_eq!(unread, [json!("third"), json!("first")]);
    assert_eq!(inbox(&app, "?unread=false").len(), 3);

    for id in [Uuid::new_v4().to_string(), "not-an-id".to_owned()] {
        let answer = app.request("POST", &format!("/api/admin/inbox/{id}/read"), Some(&staff), None);
        assert_eq!((answer.status, answer.code()), (404, "message_not_found"), "{id}");
    }
    let bad = app.get("/api/admin/inbox?unread=maybe", Some(&staff));
    assert_eq!((bad.status, bad.code()), (400, "invalid_input"));
    let unknown = app.get("/api/admin/inbox?page=2", Some(&staff));
    assert_eq!((unknown.status, unknown.code()), (400, "invalid_input"));
    assert_eq!(app.get("/api/admin/inbox", Some(&app.patient())).status, 403);
    assert_eq!(app.get("/api/admin/inbox", None).status, 401);
}

#[test]
fn with_replies_off_reminders_invite_none_and_c_is_passed_on() {
    let fake = FakeTwilio::start();
    let mut settings = Settings::twilio(&fake);
    settings.vars.push(("PUBLIC_BASE_URL", BASE.into()));
    settings.vars.push(("REPLIES", "off".into()));
    let app = spawn_app_with(settings);
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let id = reminded(&app, &fake, &patient, doctor, MORNING);
    assert!(fake.accepted().pop().unwrap().body.ends_with("Reply STOP to opt out."));
    assert_eq!(answered(&text(&app, PHONE, "C")), PASSED_ON);
    assert!(!confirmed(&app, id));
    assert_eq!(inbox(&app, "").len(), 1);
}

#[test]
fn a_visit_the_clinic_cancelled_meanwhile_is_answered_truthfully_and_racing_replies_agree() {
    let Reminded { app, fake, patient, doctor, id } = reminded_in_the_morning();
    let cancel = json!({"status": "cancelled", "reason": "Doctor unwell"});
    let cancelled = app.post(&format!("/api/admin/appointments/{id}/status"), Some(&app.staff()), &cancel);
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    let answer = answered(&text(&app, PHONE, "C"));
    assert!(answer.contains("Dr Tan on Wed 25 Nov 2026, 09:30 was already cancelled"), "{answer}");
    assert!(!confirmed(&app, id));

    app.clock.advance(Duration::minutes(1));
    let other = reminded(&app, &fake, &patient, doctor, LATER);
    let answers = concurrently(2, |i| answered(&text(&app, PHONE, ["C", "X"][i])));
    assert!(answers[1].contains("11:00 is cancelled, as you asked"), "{answers:?}");
    assert!(
        answers[0].contains("see you on Wed 25 Nov 2026, 11:00")
            || answers[0].contains("11:00 was already cancelled"),
        "{answers:?}"
    );
    let status = app.get(&format!("/api/appointments/{other}"), Some(&patient)).body["status"].clone();
    assert_eq!(status, "cancelled");
}
