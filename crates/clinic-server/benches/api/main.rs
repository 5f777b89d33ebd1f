//! `just bench`: the booking against PostgreSQL's own ceiling for the same statements, on a
//! durable cluster; `--quick` checks correctness only (CI); `--scale` adds a clinic with a
//! long history and 10,000 reminders (`--reminders`: those alone). See docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod load;
mod pgbench;
mod reminders;
mod scale;
mod server;
#[allow(dead_code)]
#[path = "../../tests/api/support.rs"]
mod support;

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use crate::server::{Database, Service, agent};
use crate::support::{rfc3339, send};

/// Five-minute slots a doctor has a day (00:00 to 23:55).
const SLOTS_A_DAY: usize = 287;
const DOCTORS: usize = 64;
const PATIENTS: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Full,
    Quick,
    Scale,
}

struct Plan {
    connections: &'static [usize],
    run: Duration,
    pgbench: Duration,
    rounds: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--reminders") {
        return reminders::run();
    }
    let mode = if args.iter().any(|a| a == "--quick") {
        Mode::Quick
    } else if args.iter().any(|a| a == "--scale") {
        Mode::Scale
    } else {
        Mode::Full
    };
    let plan = match mode {
        Mode::Quick => Plan { connections: &[8, 32], run: secs(2), pgbench: secs(1), rounds: 20 },
        _ => Plan { connections: &[8, 32, 128], run: secs(10), pgbench: secs(10), rounds: 100 },
    };
    let db = Database::start();
    let doctors = db.doctors(DOCTORS);
    let day0 = (OffsetDateTime::now_utc() + time::Duration::days(1)).replace_time(Time::MIDNIGHT);
    let slots = Slots { doctors: &doctors, day0, next: AtomicUsize::new(0) };

    let patient = |service: &Service| service.patients(1).remove(0);
    let script = pgbench::capture(&db, patient, |service, (patient, token)| {
        let (start, doctor) = slots.next();
        let key = "bench-capture";
        let answer = book(service, &agent(), &token, doctor, start, key);
        assert_eq!(answer.status, 201, "the captured booking: {answer:?}");
        pgbench::Booking {
            patient: patient.to_string(),
            doctor: doctor.to_string(),
            key: key.into(),
            start,
            end: start + time::Duration::minutes(5),
            appointment: answer.body["appointment"]["id"].as_str().unwrap().to_owned(),
        }
    });
    println!("One booking: {} statements (pgbench replays them).\n", script.statements());

    let service = Service::start(&db, &[]);
    let tokens = service.patients(PATIENTS);
    let idle = service.rss_mib().0;
    let mut correct = true;

    println!("| POST /api/appointments/book | requests/s | p50 | p99 | non-2xx | pgbench TPS | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for &connections in plan.connections {
        let run = load::drive(connections, plan.run, |agent, client| {
            let (start, doctor) = slots.next();
            let key = Uuid::new_v4().to_string();
            book(&service, agent, &tokens[client % tokens.len()].1, doctor, start, &key).status
        });
        let tps = script.tps(&db, &service, connections, plan.pgbench);
        println!(
            "| {connections} connections | {:.0} | {:.1} ms | {:.1} ms | {} | {tps:.0} | {:.2} |",
            run.per_second(),
            run.ms_at(0.5),
            run.ms_at(0.99),
            run.non_2xx(),
            run.per_second() / tps
        );
        correct &= run.non_2xx() == 0;
    }

    let path = format!("/api/doctors/{}/slots?date={}", doctors[1], day0.date());
    let listed =
        load::drive(32, plan.run, |agent, _| send(agent, "GET", &service.url(&path), None, &[], None).status);
    println!(
        "\n| GET /api/doctors/{{id}}/slots, 32 connections | {:.0} req/s | p50 {:.1} ms | p99 {:.1} ms | non-2xx {} |",
        listed.per_second(),
        listed.ms_at(0.5),
        listed.ms_at(0.99),
        listed.non_2xx()
    );
    correct &= listed.non_2xx() == 0;

    let contended = contended(&service, &tokens, &slots, plan.rounds);
    println!("\nOne slot, 16 patients at once, {} rounds: {contended}", plan.rounds);
    correct &= contended == "one 201 and fifteen 409 each round";
    let doubles = db.count(
        "SELECT count(*) AS n FROM (SELECT 1 FROM appointments WHERE status <> 'cancelled' \
         GROUP BY doctor_id, scheduled_start HAVING count(*) > 1) doubled",
    );
    println!("Double bookings: {doubles}");
    correct &= doubles == 0;
    let (_, peak) = service.rss_mib();
    println!("Server RSS: {idle:.1} MiB idle, {peak:.1} MiB peak");

    if mode == Mode::Scale {
        scale::run(&db, &service, &tokens, &slots);
        reminders::run();
    }
    service.stop();
    if !correct {
        eprintln!("bench: a correctness check failed (non-2xx answers or double bookings)");
        std::process::exit(1);
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Every doctor's five-minute slots from `day0` on, each handed out once.
pub struct Slots<'a> {
    pub doctors: &'a [Uuid],
    pub day0: OffsetDateTime,
    next: AtomicUsize,
}

impl Slots<'_> {
    pub fn next(&self) -> (OffsetDateTime, Uuid) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let (doctor, k) = (self.doctors[n % self.doctors.len()], n / self.doctors.len());
        let start = self.day0
            + time::Duration::days((k / SLOTS_A_DAY) as i64)
            + time::Duration::minutes(5 * (k % SLOTS_A_DAY) as i64);
        (start, doctor)
    }
}

/// `POST /api/appointments/book` with a key.
pub fn book(
    service: &Service,
    agent: &ureq::Agent,
    token: &str,
    doctor: Uuid,
    start: OffsetDateTime,
    key: &str,
) -> support::Answer {
    let body = json!({"doctor_id": doctor, "scheduled_start": rfc3339(start)}).to_string();
    let headers = [("Idempotency-Key", key)];
    send(agent, "POST", &service.url("/api/appointments/book"), Some(token), &headers, Some(&body))
}

/// Rounds of 16 patients booking one slot at once: how the answers fell.
fn contended(service: &Service, tokens: &[(Uuid, String)], slots: &Slots, rounds: usize) -> String {
    let mut wrong = 0;
    for _ in 0..rounds {
        let (start, doctor) = slots.next();
        let barrier = Barrier::new(16);
        let mut statuses: Vec<u16> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..16)
                .map(|i| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let agent = agent();
                        barrier.wait();
                        book(service, &agent, &tokens[i].1, doctor, start, &Uuid::new_v4().to_string()).status
                    })
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        statuses.sort();
        wrong += usize::from(statuses[0] != 201 || statuses[1..].iter().any(|s| *s != 409));
    }
    match wrong {
        0 => "one 201 and fifteen 409 each round".into(),
        n => format!("{n} rounds answered otherwise"),
    }
}
