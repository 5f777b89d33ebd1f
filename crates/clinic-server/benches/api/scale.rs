//! `just bench --scale`: the same requests on a clinic with a long history (1,000,000 past
//! appointments, 3,000,000 messages) cost what they cost on a young one, and every plan
//! reaches the big tables through an index (auto_explain logs each plan).

use std::time::{Duration, Instant};

use clinic_server::auth::TokenKeys;
use uuid::Uuid;

use crate::Slots;
use crate::server::{CRON_SECRET, Database, SECRET, Service, agent};
use crate::support::send;

/// Tables whose size grows with the clinic's history: a sequential scan of one is a cost
/// that grows with it. (`send_attempts` does not: settled attempts are deleted.)
const BIG: [&str; 3] = ["appointments", "notifications", "idempotency_keys"];

pub fn run(db: &Database, service: &Service, patients: &[(Uuid, String)], slots: &Slots) {
    let staff =
        TokenKeys::new(SECRET.as_bytes()).issue(Uuid::new_v4(), true, Duration::from_secs(3600)).unwrap();
    let ops = Ops { service, patients, slots, staff: &staff };
    ops.book_quiet_day();
    ops.drain_reminders();
    let young = ops.measure();
    let seeded = Instant::now();
    seed_history(db);
    println!(
        "\nSeeded 1,000,000 past appointments and 3,000,000 messages in {:.0} s.",
        seeded.elapsed().as_secs_f64()
    );
    let old = ops.measure();
    let plans = plans(db, slots, patients);
    println!(
        "\n| request (median of {SAMPLES}, one connection) | young clinic | 1M appointments, 3M messages | big tables scanned | indexes used |"
    );
    println!("|---|---|---|---|---|");
    for (((name, before), (_, after)), (_, plans)) in young.iter().zip(&old).zip(&plans) {
        let scanned = if plans.scanned.is_empty() { "none".into() } else { plans.scanned.join(", ") };
        println!("| {name} | {before:.2} ms | {after:.2} ms | {scanned} | {} |", plans.indexes.join(", "));
    }
}

const SAMPLES: usize = 50;

struct Ops<'a> {
    service: &'a Service,
    patients: &'a [(Uuid, String)],
    slots: &'a Slots<'a>,
    staff: &'a str,
}

impl Ops<'_> {
    /// Forty appointments on [`Ops::quiet_day`], the day listed.
    fn book_quiet_day(&self) {
        let agent = agent();
        let day = self.quiet_day();
        for (i, (_, token)) in self.patients.iter().take(40).enumerate() {
            let start = day + time::Duration::minutes(5 * i as i64);
            let doctor = self.slots.doctors[i % 4];
            let answer = crate::book(self.service, &agent, token, doctor, start, &Uuid::new_v4().to_string());
            assert_eq!(answer.status, 201, "{answer:?}");
        }
    }

    /// A day the load left alone, 09:00 clinic time (UTC here).
    fn quiet_day(&self) -> time::OffsetDateTime {
        self.slots.day0 + time::Duration::days(300) + time::Duration::hours(9)
    }

    /// The cron's reminders run (and its outbox claim) until nothing is left to send.
    fn drain_reminders(&self) {
        for _ in 0..100 {
            let answer = self.cron(&agent());
            assert_eq!(answer.status, 200, "{answer:?}");
            if answer.body["processed"].as_u64() == Some(0) {
                return;
            }
        }
    }

    fn cron(&self, agent: &ureq::Agent) -> crate::support::Answer {
        send(agent, "POST", &self.service.url("/api/cron/reminders"), Some(CRON_SECRET), &[], None)
    }

    /// Each request's median latency, in milliseconds.
    fn measure(&self) -> Vec<(&'static str, f64)> {
        let agent = agent();
        self.requests(&agent).into_iter().map(|(name, request)| (name, median(&*request))).collect()
    }

    /// The requests whose cost must not grow with the history, by name.
    fn requests<'b>(&'b self, agent: &'b ureq::Agent) -> Vec<(&'static str, Request<'b>)> {
        let (doctor, date) = (self.slots.doctors[2], self.quiet_day().date());
        let slots = self.service.url(&format!("/api/doctors/{doctor}/slots?date={date}"));
        let day = self.service.url(&format!("/api/admin/appointments?date={date}"));
        let token = &self.patients[0].1;
        vec![
            (
                "POST /api/appointments/book",
                Box::new(move || {
                    let (start, doctor) = self.slots.next();
                    crate::book(self.service, agent, token, doctor, start, &Uuid::new_v4().to_string()).status
                }),
            ),
            (
                "GET /api/doctors/{id}/slots",
                Box::new(move || send(agent, "GET", &slots, None, &[], None).status),
            ),
            (
                "GET /api/admin/appointments (day list)",
                Box::new(move || send(agent, "GET", &day, Some(self.staff), &[], None).status),
            ),
            (
                "POST /api/cron/reminders (reminders run, outbox claim)",
                Box::new(move || self.cron(agent).status),
            ),
        ]
    }
}

type Request<'b> = Box<dyn Fn() -> u16 + 'b>;

fn median(request: impl Fn() -> u16) -> f64 {
    let mut took: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let began = Instant::now();
            let status = request();
            assert!((200..300).contains(&status), "status {status}");
            began.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    took.sort_by(f64::total_cmp);
    took[SAMPLES / 2]
}

/// A million appointments of the past two years over the seeded doctors and patients,
/// each with a confirmation and two reminders sent.
fn seed_history(db: &Database) {
    db.execute(
        "CREATE TEMP TABLE d AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM doctors;
         CREATE TEMP TABLE p AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM patient_profiles;
         INSERT INTO appointments (id, patient_id, doctor_id, scheduled_start, scheduled_end, status,
                                   created_at, updated_at, version)
         SELECT gen_random_uuid(), p.id, d.id, s.start, s.start + interval '5 minutes', 'completed',
                s.start - interval '7 days', s.start, 1
         FROM generate_series(0, 999999) AS g(n)
         CROSS JOIN LATERAL (SELECT date_trunc('day', now()) - interval '1 day'
                                    - (g.n / (SELECT count(*) FROM d)) * interval '5 minutes' AS start) s
         JOIN d ON d.i = g.n % (SELECT count(*) FROM d)
         JOIN p ON p.i = g.n % (SELECT count(*) FROM p);
         INSERT INTO notifications (id, appointment_id, patient_id, channel, type, message, segments, to_phone,
                                    status, attempts, next_attempt_at, created_at, updated_at, sent_at,
                                    appointment_version, lead_minutes)
         SELECT gen_random_uuid(), a.id, a.patient_id, 'sms', kind.type, 'An old message', 1, '+6591234567',
                'sent', 1, a.created_at, a.created_at, a.created_at, a.created_at, 1, kind.lead
         FROM appointments a
         CROSS JOIN (VALUES ('confirmation', NULL::int), ('reminder', 1440), ('reminder', 120)) AS kind(type, lead)
         WHERE a.status = 'completed';
         ANALYZE;",
    );
}

/// Each request once more, on a service whose every plan is logged: the big tables each
/// plan scans sequentially.
fn plans(db: &Database, slots: &Slots, patients: &[(Uuid, String)]) -> Vec<(&'static str, Plans)> {
    let log = db.cluster.dir().join("postgres.log");
    db.execute("ALTER DATABASE clinic SET session_preload_libraries = 'auto_explain'");
    db.execute("ALTER DATABASE clinic SET auto_explain.log_min_duration = 0");
    // The plan a prepared statement may settle on after five runs, its parameters unknown.
    db.execute("ALTER DATABASE clinic SET plan_cache_mode = force_generic_plan");
    let service = Service::start(db, &[]);
    let staff =
        TokenKeys::new(SECRET.as_bytes()).issue(Uuid::new_v4(), true, Duration::from_secs(3600)).unwrap();
    let ops = Ops { service: &service, patients, slots, staff: &staff };
    let agent = agent();
    let mut found = Vec::new();
    for (name, request) in ops.requests(&agent) {
        let from = std::fs::metadata(&log).map_or(0, |m| m.len()) as usize;
        request();
        let text = std::fs::read(&log).unwrap();
        let text = String::from_utf8_lossy(&text[from..]);
        assert!(text.contains("Query Text:"), "auto_explain logged the plans of {name}");
        found.push((name, Plans::read(&text)));
    }
    service.stop();
    db.execute("ALTER DATABASE clinic RESET session_preload_libraries");
    db.execute("ALTER DATABASE clinic RESET auto_explain.log_min_duration");
    db.execute("ALTER DATABASE clinic RESET plan_cache_mode");
    found
}

/// What the logged plans of one request read.
struct Plans {
    /// Big tables read by a sequential scan, with the statement that did.
    scanned: Vec<String>,
    indexes: Vec<String>,
}

impl Plans {
    fn read(log: &str) -> Self {
        let mut plans = Self { scanned: Vec::new(), indexes: Vec::new() };
        let mut query = "";
        for line in log.lines() {
            if let Some((_, text)) = line.split_once("Query Text: ") {
                query = text;
            }
            if let Some((_, table)) = line.split_once("Seq Scan on ") {
                let table = table.split_whitespace().next().unwrap_or_default();
                let scan = format!("{table} (`{}`…)", query.chars().take(60).collect::<String>());
                if BIG.contains(&table) && !plans.scanned.contains(&scan) {
                    plans.scanned.push(scan);
                }
            }
            let index =
                line.split_once("Index Scan using ").or_else(|| line.split_once("Index Only Scan using "));
            let index = index.or_else(|| line.split_once("Bitmap Index Scan on "));
            if let Some(name) = index.and_then(|(_, rest)| rest.split_whitespace().next()) {
                if !plans.indexes.iter().any(|i| i == name) {
                    plans.indexes.push(name.to_owned());
                }
            }
        }
        plans
    }
}
