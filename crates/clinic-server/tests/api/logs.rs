//! A whole day's flow through the real `clinic` binary, its log captured: no phone
//! number, token or secret in any line, and a request's lines carry its id.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use clinic_domain::doctor::Doctor;
use clinic_domain::ports::DoctorRepository;
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput, WeeklySchedule};
use clinic_postgres::testing::TestDatabase;
use clinic_server::auth::TokenKeys;
use clinic_twilio::fake::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, Reply};
use serde_json::json;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::support::{Answer, CRON_SECRET, SMS_FROM, clinic_command, send, twilio_vars};
use crate::webhooks::{BASE, form_encode, sign};

const JWT_SECRET: &str = "jwt-secret-of-the-log-scan-that-must-not-be-logged";
const METRICS_TOKEN: &str = "metrics-token-of-the-log-scan";
const PHONE: &str = "+6591234567";
const WAIT: Duration = Duration::from_secs(60);

/// `clinic serve` with every secret set; its stdout and stderr, line by line.
struct Clinic {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    base: String,
    agent: ureq::Agent,
}

impl Clinic {
    fn start(database_url: &str, fake: &FakeTwilio) -> Self {
        let mut command = clinic_command();
        command
            .envs(twilio_vars(fake))
            .env("DATABASE_URL", database_url)
            .env("AUTH_JWT_SECRET", JWT_SECRET)
            .env("CRON_SECRET", CRON_SECRET)
            .env("METRICS_TOKEN", METRICS_TOKEN)
            .env("PUBLIC_BASE_URL", BASE)
            // Every appointment of the next two weeks is due a reminder at the cron call.
            .env("REMINDER_LEAD_HOURS", "336")
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info");
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, lines) = mpsc::channel();
        forward(child.stdout.take().unwrap(), tx.clone());
        forward(child.stderr.take().unwrap(), tx);
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut clinic = Self { child, lines, seen: Vec::new(), base: String::new(), agent };
        clinic.base = clinic.wait_for_line(|line| line.split("serving on ").nth(1).map(str::to_owned));
        clinic
    }

    fn wait_for_line<T>(&mut self, found: impl Fn(&str) -> Option<T>) -> T {
        loop {
            let line = self.lines.recv_timeout(WAIT).expect("the log line awaited");
            let hit = found(&line);
            self.seen.push(line);
            if let Some(hit) = hit {
                return hit;
            }
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        send(&self.agent, method, &format!("{}{path}", self.base), bearer, headers, body)
    }

    /// The first free slot of `doctor` two days from now, booked by `patient`, with this
    /// request id.
    fn book_in_two_days(&self, doctor: Uuid, patient: &str, request_id: &str) {
        let singapore = UtcOffset::from_hms(8, 0, 0).unwrap();
        let date = (OffsetDateTime::now_utc() + time::Duration::days(2)).to_offset(singapore).date();
        let slots = self.call("GET", &format!("/api/doctors/{doctor}/slots?date={date}"), None, &[], None);
        let start = slots.body["slots"][0]["start"].clone();
        let booking = json!({"doctor_id": doctor, "scheduled_start": start}).to_string();
        let id = [("X-Request-Id", request_id)];
        let booked = self.call("POST", "/api/appointments/book", Some(patient), &id, Some(&booking));
        assert_eq!((booked.status, booked.request_id.as_deref()), (201, Some(request_id)), "{booked:?}");
    }

    /// A form POST signed as Twilio signs it.
    fn signed_by_twilio(&self, path: &str, params: &[(&str, &str)]) -> u16 {
        let signature = sign(AUTH_TOKEN, &format!("{BASE}{path}"), params);
        let headers =
            [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", &signature)];
        self.call("POST", path, None, &headers, Some(&form_encode(params))).status
    }

    /// Ctrl-C, then every line it printed.
    fn stop(mut self) -> Vec<String> {
        Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(self.child.wait().unwrap().success());
        self.seen.extend(self.lines.iter());
        self.seen
    }
}

fn forward(stream: impl Read + Send + 'static, lines: Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
}

/// A doctor seen every day, all day, so that the real clock always finds a slot.
fn doctor_every_day(db: &TestDatabase) -> Uuid {
    let weekly =
        (1..=7).map(|weekday| OpeningHoursInput { weekday, start: "00:00".into(), end: "23:30".into() });
    let schedule =
        WeeklySchedule::parse(&ScheduleInput { slot_minutes: 30, weekly: weekly.collect() }).unwrap();
    let doctor = Doctor { schedule, ..Doctor::new("Dr Tan", "Family medicine").unwrap() };
    db.store().insert(&doctor, OffsetDateTime::now_utc()).unwrap();
    doctor.id.as_uuid()
}

#[test]
fn a_full_run_logs_no_phone_token_or_secret_and_each_request_its_id() {
    let (db, fake) = (TestDatabase::new(), FakeTwilio::start());
    // The confirmation goes out; the reminder fails, so that its sender logs.
    fake.script([Reply::Created, Reply::ServerError]);
    let doctor = doctor_every_day(&db);
    let mut clinic = Clinic::start(db.url(), &fake);
    let patient = TokenKeys::new(JWT_SECRET.as_bytes()).issue(Uuid::new_v4(), false, WAIT).unwrap();

    let profile = json!({"full_name": "Siti Rahman", "phone": PHONE}).to_string();
    assert_eq!(clinic.call("PUT", "/api/me/profile", Some(&patient), &[], Some(&profile)).status, 200);
    clinic.book_in_two_days(doctor, &patient, "log-scan-booking");
    let sent = fake.wait_until(|sent| sent.first().is_some_and(|s| s.sid.is_some()), WAIT);
    assert_eq!(sent[0].form["To"], PHONE);
    let sid = sent[0].sid.clone().unwrap();
    // The callback after the worker's commit, as it usually comes.
    clinic.wait_for_line(|line| line.contains("outbox: 1 sent").then_some(()));
    let callback = [
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", &sid),
        ("MessageStatus", "delivered"),
        ("To", PHONE),
        ("From", SMS_FROM),
    ];
    assert_eq!(clinic.signed_by_twilio("/api/webhooks/twilio/status", &callback), 204);

    // Booked weeks ago, as far as the reminder rule is concerned: its lead's moment had not passed.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE appointments SET created_at = created_at - interval '30 days'"),
        &mut db.connection(),
    )
    .unwrap();
    let cron_id = [("X-Request-Id", "log-scan-cron")];
    let summary = clinic.call("POST", "/api/cron/reminders", Some(CRON_SECRET), &cron_id, None);
    assert_eq!((summary.status, &summary.body["failed"]), (200, &json!(1)), "{summary:?}");
    let stop = [("From", PHONE), ("To", SMS_FROM), ("Body", "STOP"), ("OptOutType", "STOP")];
    assert_eq!(clinic.signed_by_twilio("/api/webhooks/twilio/inbound", &stop), 200);
    // Signing in by a texted code: neither the code nor the token it earns is logged.
    let phone = json!({ "phone": PHONE }).to_string();
    assert_eq!(clinic.call("POST", "/api/auth/otp", None, &[], Some(&phone)).status, 202);
    let texted = fake.wait_for_accepted(2, WAIT).pop().unwrap().body;
    let code: String = texted.split("code is ").nth(1).unwrap().chars().take(6).collect();
    let verify = json!({ "phone": PHONE, "code": code }).to_string();
    let signed_in = clinic.call("POST", "/api/auth/verify", None, &[], Some(&verify));
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let metrics = clinic.call("GET", "/metrics", Some(METRICS_TOKEN), &[], None);
    assert!(metrics.body.as_str().unwrap().contains("clinic_bookings_created_total 1\n"), "{metrics:?}");
    let log = clinic.stop();

    let text = log.join("\n");
    let earned = signed_in.body["access_token"].as_str().unwrap();
    for secret in [
        "6591234567",
        "eyJ",
        JWT_SECRET,
        CRON_SECRET,
        METRICS_TOKEN,
        AUTH_TOKEN,
        &patient,
        earned,
        "code is ",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
    let of = |id: &str| log.iter().filter(|line| line.contains(id)).cloned().collect::<Vec<_>>();
    let cron_lines = of("request_id=log-scan-cron");
    assert!(cron_lines.iter().any(|l| l.contains("\"POST /api/cron/reminders\" 200")), "{text}");
    // Logged by a sender the reminders run started from the blocking pool.
    assert!(cron_lines.iter().any(|l| l.contains("Twilio send to +65****4567")), "{text}");
    assert!(of("request_id=log-scan-booking").iter().any(|l| l.contains("\" 201 ")), "{text}");
    let worker = log.iter().find(|line| line.contains("outbox: 1 sent")).unwrap();
    assert!(worker.contains("job{name=\"outbox worker\" run="), "{worker}");
}
