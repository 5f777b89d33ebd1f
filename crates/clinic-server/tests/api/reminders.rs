//! The reminders job: the cron endpoint, `clinic remind`, and the in-process schedule.

use std::process::Stdio;
use std::time::Duration;

use clinic_postgres::testing::concurrently;
use clinic_server::outbox::reminder_schedule;
use clinic_twilio::fake::{FakeTwilio, Reply};
use diesel::RunQueryDsl;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use serde_json::{Value, json};
use time::Duration as Span;
use uuid::Uuid;

use crate::support::{NOW, Settings, TestApp, User, clinic_command, spawn_app_with, twilio_vars};

const LEAD: Span = Span::hours(24);
const LONG_AGO: time::OffsetDateTime = time::macros::datetime!(2026-11-20 08:00 UTC);
const WAIT: Duration = Duration::from_secs(20);

fn app_with(fake: &FakeTwilio) -> TestApp {
    spawn_app_with(Settings::twilio(fake))
}

fn reminders(app: &TestApp) -> Vec<Value> {
    app.notifications().into_iter().filter(|n| n["type"] == "reminder").collect()
}

fn summary(processed: u32, success: u32, failed: u32, skipped: u32) -> Value {
    json!({
        "ok": true, "processed": processed, "success": success, "failed": failed, "skipped": skipped,
        "left": 0, "adopted": 0, "unrecorded": 0
    })
}

/// A patient and a doctor, and `starts` booked long ago.
fn booked(app: &TestApp, starts: &[time::OffsetDateTime]) -> (User, Uuid, Vec<Uuid>) {
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let ids = starts.iter().map(|start| app.appointment_at(&patient, doctor, *start, LONG_AGO)).collect();
    (patient, doctor, ids)
}

#[test]
fn the_cron_endpoint_answers_only_its_secret() {
    let app = spawn_app_with(Settings::default());
    let attempt = |authorization: Option<&str>| {
        let headers: Vec<(&str, &str)> = authorization.map(|a| ("Authorization", a)).into_iter().collect();
        app.send("POST", "/api/cron/reminders", None, &headers, None)
    };
    for wrong in [
        None,
        Some("Bearer nope"),
        Some("Bearer cron-secret-for-the-tests-and-more"),
        Some("cron-secret-for-the-tests"),
    ] {
        let answer = attempt(wrong);
        assert_eq!((answer.status, answer.code()), (401, "unauthorized"), "{wrong:?}");
    }
    let staff_token = app.staff().token;
    assert_eq!(
        attempt(Some(&format!("Bearer {staff_token}"))).status,
        401,
        "a staff token is not the cron secret"
    );
    assert_eq!((app.cron().status, app.cron().body), (200, summary(0, 0, 0, 0)));
    let get = app.send(
        "GET",
        "/api/cron/reminders",
        None,
        &[("Authorization", "Bearer cron-secret-for-the-tests")],
        None,
    );
    assert_eq!((get.status, get.code()), (405, "method_not_allowed"));
}

#[test]
fn without_a_cron_secret_the_endpoint_answers_401_to_everyone() {
    let app = spawn_app_with(Settings { vars: vec![], ..Settings::default() });
    let answer = app.cron();
    assert_eq!((answer.status, answer.code()), (401, "unauthorized"));
}

#[test]
fn appointments_starting_within_the_lead_time_are_reminded_once() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let starts = [
        NOW + Span::minutes(1),
        NOW + LEAD - Span::seconds(1),
        NOW,
        NOW - Span::seconds(1),
        NOW + LEAD,
        NOW + LEAD + Span::hours(1),
    ];
    let (_, _, ids) = booked(&app, &starts);
    let answer = app.cron();
    // Starting now is inside the window, but a reminder at the visit's start is too late.
    assert_eq!((answer.status, answer.body), (200, summary(3, 2, 0, 1)));
    let status_of = |id: &Uuid| -> Option<String> {
        let row = reminders(&app).into_iter().find(|r| r["appointment_id"] == json!(id))?;
        Some(row["status"].as_str().unwrap().to_owned())
    };
    let statuses: Vec<_> = ids.iter().map(status_of).collect();
    let (sent, skipped) = (Some("sent".to_owned()), Some("skipped".to_owned()));
    assert_eq!(statuses, [sent.clone(), sent, skipped, None, None, None]);
    assert_eq!(fake.received().len(), 2);
    assert_eq!(app.cron().body, summary(0, 0, 0, 0), "a second call in the window sends nothing");
    assert_eq!(fake.received().len(), 2);
}

#[test]
fn a_reminder_names_the_doctor_and_the_clinic_local_time() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    booked(&app, &[time::macros::datetime!(2026-11-25 01:30 UTC)]);
    app.cron();
    assert_eq!(
        fake.received()[0].form["Body"],
        "Gabriel Family Clinic: reminder, you see Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out. \
         Reply C to confirm or X to cancel."
    );
    let row = &reminders(&app)[0];
    assert_eq!(row["to_phone"], "+65****4567");
}

#[test]
fn cancelled_appointments_and_those_booked_after_the_leads_moment_get_no_reminder() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    let start = NOW + Span::hours(5);
    let cancelled = app.appointment_at(&patient, doctor, start, LONG_AGO);
    app.request("POST", &format!("/api/appointments/{cancelled}/cancel"), Some(&patient), None);
    let short_notice = start + Span::hours(1);
    app.appointment_at(&patient, doctor, short_notice, short_notice - Span::hours(24) + Span::minutes(1));
    let notice = app.appointment_at(
        &patient,
        doctor,
        start + Span::hours(2),
        start + Span::hours(2) - Span::hours(24),
    );
    assert_eq!(app.cron().body, summary(1, 1, 0, 0));
    assert_eq!(reminders(&app)[0]["appointment_id"], json!(notice));
}

#[test]
fn opted_out_and_phoneless_patients_are_skipped() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let doctor = app.doctor("Dr Tan");
    let opted_out = app.login();
    app.put(
        "/api/me/profile",
        Some(&opted_out),
        &json!({"full_name": "Ahmad", "phone": "+6598765432", "sms_opt_in": false}),
    );
    let phoneless = app.login();
    app.put("/api/me/profile", Some(&phoneless), &json!({"full_name": "Mei"}));
    app.appointment_at(&opted_out, doctor, NOW + Span::hours(3), LONG_AGO);
    app.appointment_at(&phoneless, doctor, NOW + Span::hours(4), LONG_AGO);
    assert_eq!(app.cron().body, summary(2, 0, 0, 2));
    let mut reasons: Vec<_> =
        reminders(&app).iter().map(|r| r["error_message"].as_str().unwrap().to_owned()).collect();
    reasons.sort();
    assert_eq!(reasons, ["no phone", "patient opted out"]);
    assert!(fake.received().is_empty());
}

#[test]
fn twilio_failures_are_counted_failed_and_retried_by_a_later_call() {
    let fake = FakeTwilio::start();
    fake.script([Reply::ServerError]);
    let app = app_with(&fake);
    booked(&app, &[NOW + Span::hours(3)]);
    assert_eq!(app.cron().body, summary(1, 0, 1, 0));
    assert_eq!(reminders(&app)[0]["status"], "pending");
    assert_eq!(app.cron().body, summary(0, 0, 0, 0), "not before its backoff");
    app.clock.advance(Span::hours(1));
    assert_eq!(app.cron().body, summary(1, 1, 0, 0));
    assert_eq!(
        (reminders(&app)[0]["status"].as_str(), reminders(&app)[0]["attempts"].as_u64()),
        (Some("sent"), Some(2))
    );
}

#[test]
fn ten_concurrent_calls_send_one_reminder_per_appointment() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let starts: Vec<_> = (0..12).map(|i| NOW + Span::hours(1) + Span::minutes(30 * i)).collect();
    booked(&app, &starts);
    let answers = concurrently(10, |_| app.cron());
    assert_totals(&answers, 12);
    assert_eq!(fake.received().len(), 12);
    assert_eq!(reminders(&app).len(), 12);
}

#[test]
fn two_instances_on_one_database_send_one_reminder_per_appointment() {
    let fake = FakeTwilio::start();
    let first = app_with(&fake);
    let mut settings = Settings::twilio(&fake);
    settings.store = Some(first.db.store());
    let second = spawn_app_with(settings);
    let starts: Vec<_> = (0..10).map(|i| NOW + Span::hours(2) + Span::minutes(30 * i)).collect();
    booked(&first, &starts);
    let answers = concurrently(6, |i| if i % 2 == 0 { first.cron() } else { second.cron() });
    assert_totals(&answers, 10);
    assert_eq!(fake.received().len(), 10);
}

/// Twilio against the fake; reminders 24 and 2 hours ahead; `also` set too.
fn settings_with_two_leads(fake: &FakeTwilio, also: &[(&'static str, &str)]) -> Settings {
    let mut settings = Settings::twilio(fake);
    settings.vars.push(("REMINDER_LEADS", "24h,2h".into()));
    settings.vars.extend(also.iter().map(|(name, value)| (*name, (*value).to_owned())));
    settings
}

#[test]
fn two_leads_under_ten_crons_on_two_instances_send_each_reminder_once() {
    let fake = FakeTwilio::start();
    let first = spawn_app_with(settings_with_two_leads(&fake, &[]));
    let mut settings = settings_with_two_leads(&fake, &[]);
    settings.store = Some(first.db.store());
    let second = spawn_app_with(settings);
    // Within 2 hours (both leads due: the nearer goes, the other is superseded), and
    // within 24 hours only.
    let soon: Vec<_> = (0..4).map(|i| NOW + Span::minutes(30 + 15 * i)).collect();
    let later: Vec<_> = (0..4).map(|i| NOW + Span::hours(5) + Span::minutes(30 * i)).collect();
    booked(&first, &[soon.clone(), later.clone()].concat());
    let answers = concurrently(10, |i| if i % 2 == 0 { first.cron() } else { second.cron() });
    assert_totals(&answers, 8);
    let rows = reminders(&first);
    assert_eq!(rows.len(), 12, "two rows for the soon ones, one for the later: {rows:?}");
    let superseded: Vec<_> = rows.iter().filter(|r| r["status"] == "skipped").collect();
    assert_eq!(superseded.len(), 4);
    assert!(superseded.iter().all(|r| r["error_message"] == "superseded"));
    // Later, the later visits are all within 2 hours: their second reminder, once.
    for instance in [&first, &second] {
        instance.clock.advance(Span::hours(4) + Span::minutes(40));
    }
    let answers = concurrently(10, |i| if i % 2 == 0 { first.cron() } else { second.cron() });
    assert_totals(&answers, 4);
    assert_eq!(fake.received().len(), 12);
    assert_eq!(reminders(&first).len(), 16);
}

#[test]
fn quiet_hours_hold_reminders_until_morning_unless_the_visit_is_sooner() {
    let fake = FakeTwilio::start();
    let mut settings = settings_with_two_leads(&fake, &[("QUIET_HOURS", "21:00-08:00")]);
    let late_evening = time::macros::datetime!(2026-11-24 14:30 UTC); // 22:30 in Singapore
    settings.now = late_evening;
    let app = spawn_app_with(settings);
    let next_morning = time::macros::datetime!(2026-11-25 02:00 UTC); // 10:00
    let before_eight = time::macros::datetime!(2026-11-24 23:30 UTC); // 07:30
    booked(&app, &[next_morning, before_eight]);
    let first = app.cron();
    assert_eq!(first.body["success"], 1, "only the 07:30 visit is reminded now: {first:?}");
    app.clock.set(time::macros::datetime!(2026-11-25 00:00 UTC)); // 08:00: the quiet hours end
    assert_eq!(app.cron().body["success"], 1, "the 10:00 visit's reminder, held until now");
    assert_eq!(fake.received().len(), 2);
}

/// Every call answered 200, and together they handled and sent each reminder once.
fn assert_totals(answers: &[crate::support::Answer], reminders: u64) {
    assert!(answers.iter().all(|a| a.status == 200), "{answers:?}");
    let total = |field: &str| answers.iter().map(|a| a.body[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (total("processed"), total("success"), total("failed")),
        (reminders, reminders, 0),
        "{answers:?}"
    );
}

#[test]
fn a_thousand_due_appointments_take_one_call_and_a_constant_number_of_statements_per_batch() {
    let fake = FakeTwilio::start();
    // Two leads: the reminders of both are created by the same one statement.
    let mut settings = settings_with_two_leads(&fake, &[]);
    settings.vars.push(("SMS_MAX_PER_SECOND", "10000".into()));
    settings.count_statements = true;
    let app = spawn_app_with(settings);
    let doctor = app.doctor("Dr Tan");
    let due = 1000;
    diesel::sql_query(
        "INSERT INTO patient_profiles (id, full_name, phone, sms_opt_in, preferred_channel, created_at, updated_at) \
         SELECT gen_random_uuid(), 'Patient ' || i, '+659' || lpad(i::text, 7, '0'), true, 'sms', $1, $1 \
         FROM generate_series(1, 1000) AS i",
    )
    .bind::<Timestamptz, _>(LONG_AGO)
    .execute(&mut app.db.connection())
    .unwrap();
    diesel::sql_query(
        "INSERT INTO appointments (id, patient_id, doctor_id, scheduled_start, scheduled_end, status, created_at, updated_at) \
         SELECT gen_random_uuid(), p.id, $1, $2 + n * interval '1 minute', $2 + (n + 1) * interval '1 minute', 'booked', $3, $3 \
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM patient_profiles) AS p",
    )
    .bind::<SqlUuid, _>(doctor)
    .bind::<Timestamptz, _>(NOW + Span::hours(1))
    .bind::<Timestamptz, _>(LONG_AGO)
    .execute(&mut app.db.connection())
    .unwrap();

    let statements = app.statements.as_ref().unwrap();
    statements.reset();
    let answer = app.cron();
    let sent = statements.count();
    assert_eq!(answer.body, summary(due, due, 0, 0));
    assert_eq!(fake.received().len(), due as usize);
    // One INSERT … SELECT creates every reminder; each batch of 50 is then a claim, a
    // context read, the attempts committed apart, one statement recording all outcomes
    // and its transaction, and one look for status callbacks that beat the commit: a
    // constant number, never one per appointment. 20 full batches and the final empty claim.
    let batches = (due as usize).div_ceil(50) + 1;
    // Checkout ping, BEGIN, claim, context; checkout ping, attempts; record, COMMIT;
    // checkout ping, early reports.
    let per_batch = 10;
    assert!(sent <= 2 + batches * per_batch, "{sent} statements for {due} reminders in {batches} batches");
    assert!(sent < due as usize / 4, "{sent} statements: per appointment, not per batch");
}

#[test]
fn clinic_remind_runs_the_job_for_a_system_crontab() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    // The command runs on the real clock.
    let now = time::OffsetDateTime::now_utc();
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    app.appointment_at(&patient, doctor, now + Span::hours(3), now - Span::days(1));
    let output = clinic_command()
        .arg("remind")
        .env("DATABASE_URL", app.db.url())
        .envs(twilio_vars(&fake))
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, summary(1, 1, 0, 0));
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn the_in_process_schedule_reminds_without_any_cron() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let state = app.other_instance();
    booked(&app, &[NOW + Span::hours(3)]);
    let schedule = reminder_schedule(state.reminders.clone(), Duration::from_millis(20));
    assert_eq!(fake.wait_for(1, WAIT).len(), 1);
    schedule.stop();
    assert_eq!(reminders(&app)[0]["status"], "sent");
}
