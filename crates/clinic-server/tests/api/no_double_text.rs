//! A message Twilio accepted is never sent twice: faults at the worst moment (the
//! database connections cut, the process killed) between Twilio accepting a message
//! and the service storing that fact, and a Twilio that answers one SID twice.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use clinic_twilio::fake::{Accepted, FakeTwilio, Reply};

use crate::support::{NOW, Settings, TestApp, clinic_command, rfc3339, spawn_app_with, twilio_vars};

const WAIT: Duration = Duration::from_secs(45);

/// Twilio configured against the fake, with time enough to answer a held request.
fn app_with(fake: &FakeTwilio) -> TestApp {
    spawn_app_with(Settings::twilio_waiting(fake, 10))
}

/// Waits until `done` holds for the outbox, or fails the test after `WAIT`.
fn wait_for_outbox(app: &TestApp, done: impl Fn(&[serde_json::Value]) -> bool) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = app.notifications();
        if done(&rows) || Instant::now() > deadline {
            return rows;
        }
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

fn sids(accepted: &[Accepted]) -> Vec<&str> {
    accepted.iter().map(|m| m.sid.as_str()).collect()
}

#[test]
fn a_confirmation_accepted_while_the_database_connections_are_cut_is_recorded_not_resent() {
    let fake = FakeTwilio::start();
    fake.script([Reply::AcceptThenHold(Duration::from_secs(30))]);
    let app = app_with(&fake);
    app.booked(&app.patient(), app.doctor("Dr Tan"), crate::support::SLOT);
    std::thread::scope(|s| {
        let delivery = s.spawn(|| app.deliver());
        let accepted = fake.wait_for_accepted(1, WAIT);
        assert_eq!(accepted.len(), 1, "Twilio accepted the confirmation");
        assert!(app.db.cut_connections() > 0, "the batch's connection among them");
        fake.release();
        let report = delivery.join().unwrap();
        assert_eq!((report.sent, report.unrecorded), (1, 0), "{report:?}");
    });
    let rows = app.notifications();
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["provider_sid"].as_str()),
        (Some("sent"), Some(sids(&fake.accepted())[0]))
    );
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(app.deliver().processed, 0);
    assert_eq!(fake.accepted().len(), 1, "one text, not two");
}

#[test]
fn a_reminder_accepted_while_the_database_connections_are_cut_is_recorded_and_the_cron_answers_200() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.patient();
    let doctor = app.doctor("Dr Tan");
    let appointment =
        app.appointment_at(&patient, doctor, NOW + time::Duration::hours(3), NOW - time::Duration::days(1));
    // The confirmation went out long ago.
    assert_eq!(app.deliver().sent, 1);
    fake.script([Reply::AcceptThenHold(Duration::from_secs(30))]);
    std::thread::scope(|s| {
        let cron = s.spawn(|| app.cron());
        let accepted = fake.wait_for_accepted(2, WAIT);
        assert_eq!(accepted.len(), 2, "Twilio accepted the reminder");
        app.db.cut_connections();
        fake.release();
        let answer = cron.join().unwrap();
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!((answer.body["success"].as_u64(), answer.body["unrecorded"].as_u64()), (Some(1), Some(0)));
    });
    let reminder = wait_for_outbox(&app, |_| true).into_iter().find(|n| n["type"] == "reminder").unwrap();
    assert_eq!(reminder["appointment_id"].as_str(), Some(appointment.to_string().as_str()));
    assert_eq!(
        (reminder["status"].as_str(), reminder["provider_sid"].as_str()),
        (Some("sent"), Some(sids(&fake.accepted())[1]))
    );
    let again = app.cron();
    assert_eq!((again.status, again.body["processed"].as_u64()), (200, Some(0)));
    assert_eq!(fake.accepted().len(), 2, "one reminder, not two");
    assert_eq!(fake.received()[1].form.get("ValidityPeriod").map(String::as_str), Some("10800"));
}

/// `clinic worker` on the test database, against the fake.
fn worker_process(app: &TestApp, fake: &FakeTwilio) -> Child {
    clinic_command()
        .arg("worker")
        .env("DATABASE_URL", app.db.url())
        .envs(twilio_vars(fake))
        .env("TWILIO_TIMEOUT", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills `clinic worker` (SIGKILL) once Twilio accepted the one due message, before its
/// answer reached the worker, then runs another until the message is `sent`: the outbox
/// then, and what Twilio accepted.
pub fn kill_worker_mid_send(app: &TestApp, fake: &FakeTwilio) -> (Vec<serde_json::Value>, Vec<Accepted>) {
    let mut killed = worker_process(app, fake);
    assert_eq!(fake.wait_for_accepted(1, WAIT).len(), 1, "Twilio accepted it");
    killed.kill().unwrap();
    killed.wait().unwrap();
    let mut restarted = worker_process(app, fake);
    let rows = wait_for_outbox(app, |rows| rows[0]["status"] == "sent");
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    (rows, fake.accepted())
}

#[test]
fn a_worker_killed_after_twilio_accepted_leaves_the_next_one_to_adopt_the_message() {
    let fake = FakeTwilio::start();
    fake.script([Reply::AcceptThenHold(Duration::from_secs(120))]);
    let app = app_with(&fake);
    // The processes run on the real clock: an appointment tomorrow.
    let now = time::OffsetDateTime::now_utc();
    app.clock.set(now);
    let every_day: Vec<_> = (1..=7).map(|d| (d, "00:00", "23:00")).collect();
    let doctor = app.doctor_with("Dr Tan", 60, &every_day);
    let tomorrow = (now + time::Duration::days(1)).replace_time(time::macros::time!(02:00));
    app.booked(&app.patient(), doctor, &rfc3339(tomorrow));

    let (rows, accepted) = kill_worker_mid_send(&app, &fake);
    assert_eq!(accepted.len(), 1, "one text, not two: {accepted:?}");
    assert_eq!(rows[0]["provider_sid"].as_str(), Some(accepted[0].sid.as_str()));
    assert!(!fake.lookups().is_empty(), "the restarted worker asked Twilio first");
}

#[test]
fn a_twilio_answering_one_sid_for_two_messages_sends_each_once_and_never_fails_the_cron() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let doctor = app.doctor("Dr Tan");
    for hours in [2, 3] {
        let start = NOW + time::Duration::hours(hours);
        app.appointment_at(&app.patient(), doctor, start, NOW - time::Duration::days(1));
    }
    assert_eq!(app.deliver().sent, 2, "the confirmations");
    fake.script([Reply::CreatedAs("SMsame".into()), Reply::CreatedAs("SMsame".into())]);
    let answer = app.cron();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!((answer.body["success"].as_u64(), answer.body["ok"].as_bool()), (Some(2), Some(true)));
    let again = app.cron();
    assert_eq!((again.status, again.body["processed"].as_u64()), (200, Some(0)));
    app.clock.advance(time::Duration::minutes(30));
    assert_eq!(app.deliver().processed, 0);
    let reminders: Vec<_> = app.notifications().into_iter().filter(|n| n["type"] == "reminder").collect();
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders.iter().all(|r| r["status"] == "sent" && r["provider_sid"] == "SMsame"),
        "{reminders:?}"
    );
    assert_eq!(fake.accepted().len(), 4, "two confirmations and two reminders, each once");
}

#[test]
fn a_send_that_timed_out_after_twilio_accepted_it_is_adopted_not_resent() {
    let fake = FakeTwilio::start();
    // Accepted, then no answer within TWILIO_TIMEOUT (1 s).
    fake.script([Reply::AcceptThenHold(Duration::from_secs(30)), Reply::AcceptThenDrop]);
    let app = spawn_app_with(Settings::twilio(&fake));
    let doctor = app.doctor("Dr Tan");
    app.booked(&app.patient(), doctor, crate::support::SLOT);
    let first = app.deliver();
    assert_eq!((first.sent, first.failed), (0, 1), "unknown: not sent, not failed for good");
    let row = &app.notifications()[0];
    assert_eq!((row["status"].as_str(), row["attempts"].as_u64()), (Some("pending"), Some(1)));
    app.clock.advance(time::Duration::hours(1));
    let second = app.deliver();
    assert_eq!((second.sent, second.adopted), (1, 1));
    let metrics = crate::metrics::scrape(&app);
    let counted = |outcome: &str| {
        let series = format!("clinic_notifications_total{{kind=\"confirmation\",outcome=\"{outcome}\"}}");
        crate::metrics::sample(&metrics, &series)
    };
    assert_eq!((counted("unknown"), counted("adopted")), (Some(1.0), Some(1.0)), "{metrics}");
    let accepted = fake.accepted();
    assert_eq!(accepted.len(), 1, "one text, not two");
    assert_eq!(app.notifications()[0]["provider_sid"].as_str(), Some(accepted[0].sid.as_str()));

    // The same when the connection broke right after Twilio accepted.
    app.booked(&app.patient(), doctor, "2026-11-25T02:00:00Z");
    assert_eq!(app.deliver().failed, 1);
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(app.deliver().adopted, 1);
    assert_eq!(fake.accepted().len(), 2);
}
