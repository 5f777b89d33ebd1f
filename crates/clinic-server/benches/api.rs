//! `just bench`: the service's throughput and latency over real HTTP on a real
//! PostgreSQL (the tests' private cluster: fsync off, so storage is not what is measured).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/api/support.rs"]
mod support;

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clinic_twilio::fake::FakeTwilio;
use support::{Answer, NOW, Settings, TestApp, User, spawn_app_with};
use time::Duration as Span;

const CLIENTS: usize = 16;

fn main() {
    let fake = FakeTwilio::start();
    let mut settings = Settings::twilio(&fake);
    settings.vars.push(("SMS_MAX_PER_SECOND", "10000".into()));
    // Every booking below is within two days: one cron call reminds them all.
    settings.vars.push(("REMINDER_LEAD_HOURS", "48".into()));
    let app = spawn_app_with(settings);
    let every_day: Vec<_> = (1..=7).map(|d| (d, "00:00", "23:55")).collect();
    let doctors: Vec<_> = (0..8).map(|i| app.doctor_with(&format!("Dr {i}"), 5, &every_day)).collect();
    let patients: Vec<User> = (0..CLIENTS).map(|_| app.patient()).collect();

    println!("| scenario | requests | throughput | p50 | p99 |\n|---|---|---|---|---|");
    let slots = format!("/api/doctors/{}/slots?date=2026-11-25", doctors[0]);
    report(
        "GET /api/doctors/{id}/slots (288 slots a day)",
        load(CLIENTS, 4000, |_, _| app.get(&slots, None)),
    );
    report("GET /api/doctors", load(CLIENTS, 4000, |_, _| app.get("/api/doctors", None)));

    // Each booking takes a slot of its own: 8 doctors, 287 five-minute slots a day from
    // Singapore's midnight of 25 Nov 2026 on.
    let next = AtomicUsize::new(0);
    let book = |client: usize, _| {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let (doctor, slot) = (doctors[n % doctors.len()], (n / doctors.len()) as i64);
        let start = time::macros::datetime!(2026-11-24 16:00 UTC)
            + Span::days(slot / 287)
            + Span::minutes(5 * (slot % 287));
        app.book(&patients[client], doctor, &support::rfc3339(start))
    };
    let booked = load(CLIENTS, 4000, book);
    assert!(booked.answers.iter().all(|a| a.status == 201), "every booking had a slot of its own");
    report("POST /api/appointments/book (distinct slots)", booked);

    // Everyone wants the same slot: one 201, the rest 409.
    let contended = AtomicUsize::new(0);
    let same_slot = |client: usize, _| {
        let round = contended.fetch_add(1, Ordering::Relaxed) / CLIENTS;
        let start = time::macros::datetime!(2026-12-24 16:00 UTC) + Span::minutes(5 * round as i64);
        app.book(&patients[client], doctors[0], &support::rfc3339(start))
    };
    let contention = load(CLIENTS, 1600, same_slot);
    assert_eq!(contention.answers.iter().filter(|a| a.status == 201).count(), 100, "one winner a round");
    report("POST /api/appointments/book (16 clients, one slot each round)", contention);

    let pending = fake.received().len();
    let started = Instant::now();
    let report_ = app.deliver();
    let elapsed = started.elapsed();
    println!(
        "| outbox: deliver {} confirmations to a local Twilio | {} | {:.0} msg/s | | |",
        report_.sent,
        report_.processed,
        f64::from(report_.sent) / elapsed.as_secs_f64()
    );
    assert_eq!(fake.received().len() - pending, report_.sent as usize);

    reminders(&app, &fake);
}

/// Every appointment booked above, reminded by one cron call.
fn reminders(app: &TestApp, fake: &FakeTwilio) {
    app.clock.set(NOW + Span::days(1) - Span::minutes(1));
    let before = fake.received().len();
    let started = Instant::now();
    let answer = app.cron();
    let elapsed = started.elapsed();
    let sent = answer.body["success"].as_u64().unwrap();
    println!(
        "| POST /api/cron/reminders: {sent} reminders in one call | 1 | {:.0} msg/s | {:.2} s | |",
        sent as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    assert_eq!((fake.received().len() - before) as u64, sent);
}

struct Load {
    answers: Vec<Answer>,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// `total` requests from `clients` threads at once.
fn load(clients: usize, total: usize, request: impl Fn(usize, usize) -> Answer + Sync) -> Load {
    let start = Barrier::new(clients);
    let started = Instant::now();
    let results: Vec<(Answer, Duration)> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..clients)
            .map(|client| {
                let (request, start) = (&request, &start);
                s.spawn(move || {
                    start.wait();
                    (0..total / clients)
                        .map(|i| {
                            let began = Instant::now();
                            let answer = request(client, i);
                            (answer, began.elapsed())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        runs.into_iter().flat_map(|r| r.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    let (answers, mut latencies): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    assert!(answers.iter().all(|a| a.status < 500), "no request may fail with a 5xx");
    latencies.sort();
    Load { answers, latencies, elapsed }
}

fn report(scenario: &str, load: Load) {
    let at = |q: f64| load.latencies[((load.latencies.len() as f64 - 1.0) * q) as usize];
    println!(
        "| {scenario} | {} | {:.0} req/s | {:.1} ms | {:.1} ms |",
        load.answers.len(),
        load.answers.len() as f64 / load.elapsed.as_secs_f64(),
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0
    );
}
