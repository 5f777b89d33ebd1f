//! Booking confirmations through the outbox, against the fake Twilio over real HTTP.

use std::process::Stdio;
use std::time::Duration;

use clinic_twilio::fake::{FakeTwilio, Reply};
use serde_json::{Value, json};

use crate::support::{
    SLOT, SMS_FROM, Settings, TestApp, WHATSAPP_FROM, clinic_command, spawn_app, spawn_app_with, twilio_vars,
};

const WAIT: Duration = Duration::from_secs(20);

fn app_with(fake: &FakeTwilio) -> TestApp {
    spawn_app_with(Settings::twilio(fake))
}

/// The only outbox row, as staff see it.
fn only_row(app: &TestApp) -> Value {
    let rows = app.notifications();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

fn slot(i: usize) -> String {
    // Wednesday 09:00 Singapore onwards, 30-minute slots, 6 a morning, Monday to Saturday.
    let day = 25 + i / 6;
    let minutes = 60 + 30 * (i % 6);
    format!("2026-11-{day:02}T{:02}:{:02}:00Z", minutes / 60, minutes % 60)
}

#[test]
fn a_booking_is_confirmed_once_with_the_documented_fields() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let appointment = app.booked(&patient, doctor, SLOT);
    let report = app.deliver();
    assert_eq!((report.processed, report.sent), (1, 1));

    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.authorization.as_deref(), Some(FakeTwilio::expected_authorization().as_str()));
    assert_eq!(request.form["To"], "+6591234567");
    assert_eq!(request.form["From"], SMS_FROM);
    assert_eq!(
        request.form["Body"],
        "Gabriel Family Clinic: appointment confirmed with Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out."
    );
    assert!(!request.form.contains_key("StatusCallback"), "no PUBLIC_BASE_URL, no callback");

    let row = only_row(&app);
    assert_eq!(row["appointment_id"], json!(appointment));
    assert_eq!((row["type"].as_str(), row["status"].as_str()), (Some("confirmation"), Some("sent")));
    assert_eq!(row["provider_sid"].as_str(), request.sid.as_deref());
    assert_eq!(row["attempts"], 1);
    assert!(row["sent_at"].is_string());
    assert_eq!(app.deliver().processed, 0, "nothing is sent twice");
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn the_status_callback_points_at_our_webhook_when_the_public_url_is_set() {
    let fake = FakeTwilio::start();
    let mut settings = Settings::twilio(&fake);
    settings.vars.push(("PUBLIC_BASE_URL", "https://clinic.example.com".into()));
    let app = spawn_app_with(settings);
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    app.deliver();
    assert_eq!(
        fake.received()[0].form["StatusCallback"],
        "https://clinic.example.com/api/webhooks/twilio/status"
    );
}

#[test]
fn booking_answers_201_whether_twilio_is_up_down_slow_or_failing() {
    for reply in [
        Some(Reply::Created),
        Some(Reply::Hang(Duration::from_secs(60))),
        Some(Reply::ServerError),
        Some(Reply::error(21211)),
        None,
    ] {
        let fake = FakeTwilio::start();
        let app = app_with(&fake);
        match &reply {
            Some(reply) => fake.always(reply.clone()),
            None => drop(fake),
        }
        let worker = app.start_worker(Duration::from_millis(20));
        let doctor = app.doctor("Dr Tan");
        let first = app.book(&app.patient(), doctor, &slot(0));
        assert_eq!(first.status, 201, "{reply:?}: {first:?}");
        let second = app.book(&app.patient(), doctor, &slot(1));
        assert_eq!(second.status, 201, "{reply:?}: {second:?}");
        assert_eq!(app.notifications().len(), 2, "{reply:?}: both confirmations were committed");
        drop(worker);
    }
}

#[test]
fn a_booking_answers_while_the_worker_is_stuck_on_twilio() {
    let fake = FakeTwilio::start();
    fake.always(Reply::Hang(Duration::from_secs(60)));
    let app = app_with(&fake);
    let worker = app.start_worker(Duration::from_secs(3600));
    let doctor = app.doctor("Dr Tan");
    assert_eq!(app.book(&app.patient(), doctor, &slot(0)).status, 201);
    assert_eq!(fake.wait_for(1, WAIT).len(), 1, "the worker is now waiting on Twilio");
    assert_eq!(app.book(&app.patient(), doctor, &slot(1)).status, 201);
    drop(worker);
}

#[test]
fn two_workers_send_each_confirmation_exactly_once() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let ours = app.start_worker(Duration::from_millis(20));
    let theirs = app.start_other_instance_worker(Duration::from_millis(20));
    let doctor = app.doctor("Dr Tan");
    let bookings = 24;
    for i in 0..bookings {
        app.booked(&app.patient(), doctor, &slot(i));
    }
    assert_eq!(fake.wait_for(bookings, WAIT).len(), bookings);
    ours.stop();
    theirs.stop();
    let received = fake.received();
    assert_eq!(received.len(), bookings, "no confirmation was sent twice");
    let mut bodies: Vec<_> = received.iter().map(|r| r.form["Body"].clone()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), bookings, "one per booking");
    assert!(app.notifications().iter().all(|n| n["status"] == "sent" && n["attempts"] == 1));
}

#[test]
fn the_worker_sends_a_new_confirmation_at_once_not_at_its_next_poll() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let worker = app.start_worker(Duration::from_secs(3600));
    let doctor = app.doctor("Dr Tan");
    app.booked(&app.patient(), doctor, &slot(0));
    assert_eq!(fake.wait_for(1, WAIT).len(), 1);
    // The worker now waits an hour unless a booking rings it.
    app.booked(&app.patient(), doctor, &slot(1));
    assert_eq!(fake.wait_for(2, WAIT).len(), 2);
    worker.stop();
}

#[test]
fn a_confirmation_held_by_a_worker_that_crashes_is_sent_by_the_next() {
    let fake = FakeTwilio::start();
    fake.script([Reply::Hang(Duration::from_secs(120))]);
    let app = app_with(&fake);
    // The other process runs on the real clock: book on it too, an hour-long slot tomorrow.
    let now = time::OffsetDateTime::now_utc();
    app.clock.set(now);
    let every_day: Vec<_> = (1..=7).map(|d| (d, "00:00", "23:00")).collect();
    let doctor = app.doctor_with("Dr Tan", 60, &every_day);
    let tomorrow = (now + time::Duration::days(1)).replace_minute(0).unwrap().replace_second(0).unwrap();
    let tomorrow = tomorrow.replace_nanosecond(0).unwrap().replace_hour(2).unwrap();
    app.booked(&app.patient(), doctor, &crate::support::rfc3339(tomorrow));

    // A separate `clinic worker` process claims the row and hangs in the send...
    let mut crashing = clinic_command()
        .arg("worker")
        .env("DATABASE_URL", app.db.url())
        .envs(twilio_vars(&fake))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = fake.wait_for(1, WAIT);
    assert_eq!(first.len(), 1, "the crashing worker reached Twilio");
    // ...and dies without a word: its transaction dies with its connection.
    crashing.kill().unwrap();
    crashing.wait().unwrap();

    let worker = app.start_worker(Duration::from_millis(20));
    // The next worker finds the attempt abandoned, and waits out the grace in which the
    // crashed one might still have been sending (TWILIO_TIMEOUT and 2 s).
    let abandoned = || {
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = "SELECT count(*) AS n FROM send_attempts WHERE abandoned_at IS NOT NULL";
        diesel::RunQueryDsl::get_result::<Found>(diesel::sql_query(sql), &mut app.db.connection()).unwrap().n
            > 0
    };
    let deadline = std::time::Instant::now() + WAIT;
    while !abandoned() && std::time::Instant::now() < deadline {
        std::thread::park_timeout(Duration::from_millis(20));
    }
    assert!(fake.accepted().is_empty(), "not before the grace");
    app.clock.advance(time::Duration::seconds(3));
    let accepted = fake.wait_for_accepted(1, WAIT);
    worker.stop();
    assert_eq!(accepted.len(), 1, "the next worker sent it");
    let both = fake.received();
    assert_eq!(both[1].form, first[0].form);
    assert_eq!(fake.lookups().len(), 1, "after asking Twilio, which never took the first");
    let row = only_row(&app);
    assert_eq!(
        (row["status"].as_str(), row["provider_sid"].as_str()),
        (Some("sent"), Some(accepted[0].sid.as_str()))
    );
}

#[test]
fn a_rate_limited_confirmation_is_sent_after_a_retry() {
    let fake = FakeTwilio::start();
    fake.script([Reply::TooManyRequests { retry_after_secs: 120 }, Reply::Created]);
    let app = app_with(&fake);
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    let first = app.deliver();
    assert_eq!((first.processed, first.failed), (1, 1));
    let row = only_row(&app);
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_u64(), row["error_code"].as_str()),
        (Some("pending"), Some(1), Some("20429"))
    );

    app.clock.advance(time::Duration::seconds(119));
    assert_eq!(app.deliver().processed, 0, "not before Retry-After");
    app.clock.advance(time::Duration::seconds(2));
    assert_eq!(app.deliver().sent, 1);
    let row = only_row(&app);
    assert_eq!((row["status"].as_str(), row["attempts"].as_u64()), (Some("sent"), Some(2)));
    assert_eq!(fake.received().len(), 2);
}

#[test]
fn an_invalid_number_fails_for_good_without_a_retry() {
    let fake = FakeTwilio::start();
    fake.script([Reply::error(21211)]);
    let app = app_with(&fake);
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    assert_eq!(app.deliver().failed, 1);
    let row = only_row(&app);
    assert_eq!((row["status"].as_str(), row["error_code"].as_str()), (Some("failed"), Some("21211")));
    assert!(row["error_message"].as_str().is_some_and(|m| !m.is_empty()));
    app.clock.advance(time::Duration::days(1));
    assert_eq!(app.deliver().processed, 0);
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn a_real_timeout_is_asked_about_then_retried_and_five_give_up() {
    let fake = FakeTwilio::start();
    // Longer than TWILIO_TIMEOUT (1 s), and Twilio never takes the message.
    fake.always(Reply::Hang(Duration::from_secs(60)));
    let app = app_with(&fake);
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    for attempt in 1..=5 {
        let started = std::time::Instant::now();
        assert_eq!(app.deliver().failed, 1);
        assert!(started.elapsed() >= Duration::from_secs(1), "attempt {attempt} waited for the timeout");
        assert_eq!(fake.lookups().len(), attempt - 1, "every retry asks Twilio first");
        app.clock.advance(time::Duration::hours(1));
    }
    let row = only_row(&app);
    assert_eq!((row["status"].as_str(), row["attempts"].as_u64()), (Some("failed"), Some(5)));
    assert!(row["error_message"].as_str().unwrap().contains("gave up after 5 attempts"));
    assert_eq!(app.deliver().processed, 0);
    assert_eq!(fake.received().len(), 5);
}

#[test]
fn twilio_saying_the_patient_opted_out_stops_their_messages() {
    let fake = FakeTwilio::start();
    fake.script([Reply::error(21610)]);
    let app = app_with(&fake);
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    app.booked(&patient, doctor, &slot(0));
    app.deliver();
    assert_eq!(app.get("/api/me/profile", Some(&patient)).body["sms_opt_in"], false);
    app.clock.advance(time::Duration::seconds(1));
    app.booked(&patient, doctor, &slot(1));
    let rows = app.notifications();
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["error_message"].as_str()),
        (Some("skipped"), Some("patient opted out"))
    );
    assert_eq!((rows[1]["status"].as_str(), rows[1]["error_code"].as_str()), (Some("failed"), Some("21610")));
}

#[test]
fn without_twilio_credentials_a_confirmation_is_skipped_not_lost() {
    let app = spawn_app();
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    assert_eq!(app.deliver().skipped, 1);
    let row = only_row(&app);
    assert_eq!(
        (row["status"].as_str(), row["error_message"].as_str()),
        (Some("skipped"), Some("sms not configured"))
    );
    assert_eq!(row["attempts"], 0);
}

#[test]
fn a_patient_who_prefers_whatsapp_gets_it_on_both_ends() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.login();
    let profile = json!({"full_name": "Siti", "phone": "+6591234567", "preferred_channel": "whatsapp"});
    assert_eq!(app.put("/api/me/profile", Some(&patient), &profile).status, 200);
    app.booked(&patient, app.doctor("Dr Tan"), SLOT);
    assert_eq!(app.deliver().sent, 1);
    let form = &fake.received()[0].form;
    assert_eq!((form["To"].as_str(), form["From"].as_str()), ("whatsapp:+6591234567", WHATSAPP_FROM));
    assert_eq!(only_row(&app)["channel"], "whatsapp");
}

#[test]
fn a_booking_cancelled_before_its_confirmation_went_out_gets_only_the_acknowledgement() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.patient();
    let appointment = app.booked(&patient, app.doctor("Dr Tan"), SLOT);
    app.request("POST", &format!("/api/appointments/{appointment}/cancel"), Some(&patient), None);
    let rows = app.notifications();
    let of = |kind: &str| rows.iter().find(|r| r["type"] == kind).unwrap().clone();
    assert_eq!(
        (of("confirmation")["status"].as_str(), of("confirmation")["error_message"].as_str()),
        (Some("skipped"), Some("appointment cancelled")),
        "skipped as the cancel commits"
    );
    assert_eq!(app.deliver().sent, 1);
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].form["Body"],
        "Gabriel Family Clinic: your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled, as you asked. Reply STOP to opt out."
    );
}

#[test]
fn stopping_a_worker_mid_send_records_the_send_and_loses_nothing() {
    let fake = FakeTwilio::start();
    fake.script([Reply::AcceptThenHold(Duration::from_secs(60))]);
    let app = spawn_app_with(Settings::twilio_waiting(&fake, 30));
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    let worker = app.start_worker(Duration::from_secs(3600));
    assert_eq!(fake.wait_for_accepted(1, WAIT).len(), 1, "mid-send");
    std::thread::scope(|s| {
        let stopping = s.spawn(|| worker.stop());
        // The stop waits for the send in flight; Twilio answers meanwhile.
        fake.release();
        stopping.join().unwrap();
    });
    let row = only_row(&app);
    let sid = fake.accepted()[0].sid.clone();
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_u64(), row["provider_sid"].as_str()),
        (Some("sent"), Some(1), Some(sid.as_str())),
        "the send was recorded"
    );
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(app.deliver().processed, 0);
    assert_eq!(fake.received().len(), 1, "and never repeated");
}
