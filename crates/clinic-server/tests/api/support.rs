//! `spawn_app()`: the service on 127.0.0.1:0 with a database of its own and a clock the
//! test sets; a client that reads every answer as status + JSON.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use clinic_domain::appointment::Appointment;
use clinic_domain::booking_record::{BookingStored, NewBooking};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::{DoctorId, PatientId};
use clinic_domain::notification::NewNotification;
use clinic_domain::outbox::{DeliveryReport, Outbox, Until};
use clinic_domain::ports::{AppointmentRepository, DoctorRepository, ManualClock, PatientRepository};
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput, Slot, WeeklySchedule};
use clinic_postgres::PgStore;
use clinic_postgres::testing::{StatementCounter, TestDatabase};
use clinic_server::app::{AppState, http_server, sms_gateway};
use clinic_server::auth::TokenKeys;
use clinic_server::config::Config;
use clinic_server::outbox::{Background, Wakeup, outbox_worker};
use clinic_twilio::fake::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// Tuesday 2026-11-24, 16:00 in Singapore.
pub const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);
/// Wednesday 2026-11-25, 09:30 in Singapore.
pub const SLOT: &str = "2026-11-25T01:30:00Z";

pub const SECRET: &[u8] = b"test-secret-for-the-clinic-api-tests";

pub struct TestApp {
    pub base: String,
    pub db: TestDatabase,
    pub store: PgStore,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    pub outbox: Arc<Outbox>,
    pub wakeup: Wakeup,
    pub statements: Option<StatementCounter>,
    tokens: TokenKeys,
    agent: ureq::Agent,
    server: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

/// What a test may change about the service.
pub struct Settings {
    pub vars: Vec<(&'static str, String)>,
    pub now: OffsetDateTime,
    /// A store other than the test database's (e.g. one that is down).
    pub store: Option<PgStore>,
    /// Count the SQL statements the service sends (`TestApp::statements`).
    pub count_statements: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            vars: vec![("CRON_SECRET", CRON_SECRET.into())],
            now: NOW,
            store: None,
            count_statements: false,
        }
    }
}

pub const CRON_SECRET: &str = "cron-secret-for-the-tests";

impl Settings {
    /// Twilio configured against the fake (SMS and WhatsApp senders, 1 s timeout).
    pub fn twilio(fake: &FakeTwilio) -> Self {
        let mut settings = Self::default();
        settings.vars.extend(twilio_vars(fake));
        settings
    }

    /// Twilio configured against the fake, waiting `seconds` for each answer.
    pub fn twilio_waiting(fake: &FakeTwilio, seconds: u32) -> Self {
        let mut settings = Self::twilio(fake);
        settings.vars.retain(|(name, _)| *name != "TWILIO_TIMEOUT");
        settings.vars.push(("TWILIO_TIMEOUT", seconds.to_string()));
        settings
    }
}

pub fn twilio_vars(fake: &FakeTwilio) -> Vec<(&'static str, String)> {
    vec![
        ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.into()),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.into()),
        ("TWILIO_SMS_FROM", SMS_FROM.into()),
        ("TWILIO_WHATSAPP_FROM", WHATSAPP_FROM.into()),
        ("TWILIO_API_BASE", fake.base_url().into()),
        ("TWILIO_TIMEOUT", "1".into()),
    ]
}

pub const SMS_FROM: &str = "+15005550006";
pub const WHATSAPP_FROM: &str = "whatsapp:+14155238886";

pub fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default())
}

pub fn spawn_app_with(settings: Settings) -> TestApp {
    let db = TestDatabase::new();
    let vars = settings.vars.clone();
    let config =
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let (store, statements) = match (settings.store, settings.count_statements) {
        (Some(store), _) => (store, None),
        (None, true) => {
            let (store, counter) = db.counted_store();
            (store, Some(counter))
        }
        (None, false) => (db.store(), None),
    };
    let clock = Arc::new(ManualClock::new(settings.now));
    let state = AppState::new(&config, store.clone(), clock.clone(), sms_gateway(&config));
    let (outbox, wakeup) = (state.outbox.clone(), state.wakeup.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (handle_tx, handle_rx) = mpsc::channel();
    let keys_config = config.clone();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = http_server(listener, state, TokenKeys::configured(SECRET, &keys_config), false)?;
            handle_tx.send(server.handle()).expect("the test waits for the handle");
            server.await
        })
    });
    let server = handle_rx.recv().unwrap();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    TestApp {
        base,
        db,
        store,
        clock,
        config,
        outbox,
        wakeup,
        statements,
        tokens: TokenKeys::new(SECRET),
        agent,
        server,
        thread: Some(thread),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An answer: status, headers of interest, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: Option<String>,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// A logged-in user: their id and bearer token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub token: String,
}

impl TestApp {
    /// Delivers everything due, as the worker would.
    pub fn deliver(&self) -> DeliveryReport {
        let stop = std::sync::atomic::AtomicBool::new(false);
        self.outbox.deliver_due(&Until { deadline: None, stop: &stop }).unwrap()
    }

    /// The in-process outbox worker, woken by bookings.
    pub fn start_worker(&self, poll: Duration) -> Background {
        outbox_worker(self.outbox.clone(), self.wakeup.clone(), poll)
    }

    /// The services as another instance on the same database has them: its own pool,
    /// its own gateway, the same clock.
    pub fn other_instance(&self) -> AppState {
        AppState::new(&self.config, self.db.store(), self.clock.clone(), sms_gateway(&self.config))
    }

    /// A worker as another instance would run it, woken by nobody.
    pub fn start_other_instance_worker(&self, poll: Duration) -> Background {
        let state = self.other_instance();
        outbox_worker(state.outbox.clone(), state.wakeup.clone(), poll)
    }

    /// The outbox as staff see it, newest first.
    pub fn notifications(&self) -> Vec<Value> {
        let answer = self.get("/api/admin/notifications?limit=500", Some(&self.staff()));
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["notifications"].as_array().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Any request; `body` is sent as JSON when given.
    pub fn request(&self, method: &str, path: &str, user: Option<&User>, body: Option<&Value>) -> Answer {
        let body = body.map(Value::to_string);
        self.send(method, path, user, &[], body.as_deref())
    }

    /// A request with extra headers and a raw body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        user: Option<&User>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        send(&self.agent, method, &self.url(path), user.map(|u| u.token.as_str()), headers, body)
    }

    pub fn get(&self, path: &str, user: Option<&User>) -> Answer {
        self.request("GET", path, user, None)
    }

    pub fn post(&self, path: &str, user: Option<&User>, body: &Value) -> Answer {
        self.request("POST", path, user, Some(body))
    }

    pub fn put(&self, path: &str, user: Option<&User>, body: &Value) -> Answer {
        self.request("PUT", path, user, Some(body))
    }

    /// A login with no profile yet.
    pub fn login(&self) -> User {
        let id = Uuid::new_v4();
        User { id, token: self.tokens.issue(id, false, Duration::from_secs(3600)).unwrap() }
    }

    /// A login with no profile yet whose token carries a verified `phone`, as Supabase
    /// writes it (E.164 without the `+`).
    pub fn login_with_phone(&self, phone: &str) -> User {
        let id = Uuid::new_v4();
        let exp = OffsetDateTime::now_utc().unix_timestamp() + 3600;
        let claims =
            json!({"sub": id, "exp": exp, "aud": "authenticated", "phone": phone.trim_start_matches('+')});
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
        User { id, token: jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap() }
    }

    /// A staff login.
    pub fn staff(&self) -> User {
        let id = Uuid::new_v4();
        User { id, token: self.tokens.issue(id, true, Duration::from_secs(3600)).unwrap() }
    }

    /// A patient with a profile (phone `+6591234567`).
    pub fn patient(&self) -> User {
        let user = self.login();
        let saved = self.put(
            "/api/me/profile",
            Some(&user),
            &json!({"full_name": "Siti Rahman", "phone": "+6591234567"}),
        );
        assert_eq!(saved.status, 200, "{saved:?}");
        user
    }

    /// A doctor seen Monday to Saturday 09:00 to 12:00, in 30-minute slots.
    pub fn doctor(&self, name: &str) -> Uuid {
        self.doctor_with(name, 30, &(1..=6).map(|d| (d, "09:00", "12:00")).collect::<Vec<_>>())
    }

    pub fn doctor_with(&self, name: &str, slot_minutes: i64, weekly: &[(i64, &str, &str)]) -> Uuid {
        let schedule = WeeklySchedule::parse(&ScheduleInput {
            slot_minutes,
            weekly: weekly
                .iter()
                .map(|&(weekday, start, end)| OpeningHoursInput {
                    weekday,
                    start: start.into(),
                    end: end.into(),
                })
                .collect(),
        })
        .unwrap();
        let doctor = Doctor { schedule, ..Doctor::new(name, "Family medicine").unwrap() };
        self.store.insert(&doctor, NOW).unwrap();
        doctor.id.as_uuid()
    }

    /// `POST /api/cron/reminders` with the right secret.
    pub fn cron(&self) -> Answer {
        self.send(
            "POST",
            "/api/cron/reminders",
            None,
            &[("Authorization", &format!("Bearer {CRON_SECRET}"))],
            None,
        )
    }

    /// An appointment stored as booked at `booked_at`, whatever the schedule and clock say.
    pub fn appointment_at(
        &self,
        user: &User,
        doctor: Uuid,
        start: OffsetDateTime,
        booked_at: OffsetDateTime,
    ) -> Uuid {
        let profile = PatientRepository::find(&self.store, PatientId::from_uuid(user.id)).unwrap().unwrap();
        let doctor = DoctorRepository::find(&self.store, DoctorId::from_uuid(doctor)).unwrap().unwrap();
        let slot = Slot { start, end: start + time::Duration::minutes(30) };
        let appointment = Appointment::book(profile.id, doctor.id, slot, booked_at);
        let confirmation = NewNotification::confirmation(
            &self.config.clinic,
            &doctor.name,
            &profile,
            profile.phone.clone(),
            &appointment,
        );
        let keys_used_since = booked_at;
        let booking =
            NewBooking { appointment: appointment.clone(), confirmation, key: None, keys_used_since };
        assert_eq!(self.store.book(&booking).unwrap(), BookingStored::Booked);
        appointment.id.as_uuid()
    }

    pub fn book(&self, user: &User, doctor: Uuid, start: &str) -> Answer {
        self.post(
            "/api/appointments/book",
            Some(user),
            &json!({"doctor_id": doctor, "scheduled_start": start}),
        )
    }

    /// Books and returns the new appointment's id.
    pub fn booked(&self, user: &User, doctor: Uuid, start: &str) -> Uuid {
        let answer = self.book(user, doctor, start);
        assert_eq!(answer.status, 201, "{answer:?}");
        answer.body["appointment"]["id"].as_str().unwrap().parse().unwrap()
    }
}

/// A request with `bearer`, extra headers and a raw body (JSON unless a Content-Type is given).
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    bearer: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let build = || {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        if let Some(bearer) = bearer {
            request = request.header("Authorization", format!("Bearer {bearer}"));
        }
        if body.is_some() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            request = request.header("Content-Type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    };
    let run = || match body {
        Some(body) => agent.run(build().body(body.to_owned()).unwrap()),
        None => agent.run(build().body(()).unwrap()),
    };
    // A pooled keep-alive connection the server has just closed fails before any answer;
    // clients send such a request again on a new connection (RFC 9112, 9.3.1), once.
    let mut response = match run() {
        Err(ureq::Error::Io(e))
            if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset) =>
        {
            run().unwrap()
        }
        answer => answer.unwrap(),
    };
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (replayed, content_type) = (header("Idempotent-Replayed"), header("Content-Type"));
    let (request_id, retry_after) = (header("X-Request-Id"), header("Retry-After"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer { status, body, replayed, content_type, request_id, retry_after }
}

pub fn rfc3339(instant: OffsetDateTime) -> String {
    instant.format(&time::format_description::well_known::Rfc3339).unwrap()
}

/// The `clinic` binary with a clean environment: nothing configured but what the test sets.
pub fn clinic_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_clinic"));
    command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("RUST_LOG", "warn");
    command
}
