//! 10,000 due reminders sent by the cron's runs through the fake Twilio, answering at once
//! and after 50 ms: the limit is the sending, not the database.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clinic_domain::ports::Clock;
use clinic_twilio::fake::{FakeTwilio, Reply};
use diesel::connection::SimpleConnection;

use crate::support::{Settings, spawn_app_with};

const DUE: usize = 10_000;

pub fn run() {
    println!(
        "\n| {DUE} due reminders, fake Twilio answering after | messages/s | statements per 1,000 | requests at the fake |"
    );
    println!("|---|---|---|---|");
    for delay in [0, 50] {
        let fake = FakeTwilio::start();
        if delay > 0 {
            fake.always(Reply::Hang(Duration::from_millis(delay)));
        }
        let mut settings = Settings::twilio(&fake);
        settings.count_statements = true;
        settings.vars.push(("SMS_MAX_PER_SECOND", "10000".into()));
        let app = spawn_app_with(settings);
        app.db.connection().batch_execute(&seed(app.clock.now())).unwrap();
        let statements = app.statements.as_ref().unwrap();
        statements.reset();
        let (began, mut sent) = (Instant::now(), 0);
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            // The test clock follows the wall clock, so that each run keeps to its budget.
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    app.clock.advance(time::Duration::milliseconds(100));
                }
            });
            loop {
                let answer = app.cron();
                assert_eq!(answer.status, 200, "{answer:?}");
                sent += answer.body["success"].as_u64().unwrap();
                if answer.body["processed"].as_u64() == Some(0) {
                    break;
                }
            }
            done.store(true, Ordering::Relaxed);
        });
        let elapsed = began.elapsed().as_secs_f64();
        let requests = fake.received().len();
        println!(
            "| {delay} ms | {:.0} | {:.0} | {requests} |",
            sent as f64 / elapsed,
            statements.count() as f64 * 1000.0 / sent as f64
        );
        assert_eq!((sent, requests), (DUE as u64, DUE), "each reminder sent once");
    }
}

/// 50 doctors and 10,000 patients, each with an appointment in the coming 17 hours.
fn seed(now: time::OffsetDateTime) -> String {
    let now = now.unix_timestamp();
    format!(
        "INSERT INTO doctors (id, name, specialty, active, slot_minutes, created_at, updated_at)
         SELECT gen_random_uuid(), 'Dr ' || g, 'Family medicine', true, 5, now(), now()
         FROM generate_series(1, 50) g;
         INSERT INTO patient_profiles (id, full_name, phone, sms_opt_in, preferred_channel, created_at, updated_at)
         SELECT gen_random_uuid(), 'Patient ' || g, '+659' || lpad(g::text, 7, '0'), true, 'sms', now(), now()
         FROM generate_series(1, {DUE}) g;
         WITH d AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM doctors),
              p AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM patient_profiles)
         INSERT INTO appointments (id, patient_id, doctor_id, scheduled_start, scheduled_end, status,
                                   created_at, updated_at, version)
         SELECT gen_random_uuid(), p.id, d.id, s.start, s.start + interval '5 minutes', 'booked',
                s.start - interval '3 days', s.start - interval '3 days', 1
         FROM p JOIN d ON d.i = p.i % 50
         CROSS JOIN LATERAL (SELECT to_timestamp({now}) + interval '1 hour'
                                    + (p.i / 50) * interval '5 minutes' AS start) s;"
    )
}
