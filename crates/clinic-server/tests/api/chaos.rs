//! Chaos: bookings while the service is killed with SIGKILL every few seconds, Twilio
//! answering in 200 ms, clients retrying with their Idempotency-Key. Every booking is
//! stored once and every patient is texted exactly once.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clinic_twilio::fake::{FakeTwilio, Reply};
use serde_json::{Value, json};
use time::macros::{offset, time};
use time::{OffsetDateTime, UtcOffset};

use crate::support::{SECRET, Settings, TestApp, User, clinic_command, rfc3339, spawn_app_with, twilio_vars};

const PATIENTS: usize = 120;
const CLIENTS: usize = 8;
/// Each client books at this pace, so that the bookings spread over ~15 s of kills.
const PACE: Duration = Duration::from_secs(1);
const KILL_EVERY: Duration = Duration::from_secs(2);

/// `clinic serve` on the test database at `addr`, against the fake.
fn serve(app: &TestApp, fake: &FakeTwilio, addr: &str) -> Child {
    clinic_command()
        .arg("serve")
        .env("DATABASE_URL", app.db.url())
        .env("AUTH_JWT_SECRET", String::from_utf8_lossy(SECRET).as_ref())
        .env("BIND_ADDR", addr)
        .envs(twilio_vars(fake))
        .env("TWILIO_TIMEOUT", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Sends until the service answers something other than a 5xx (it may be down, or
/// restarting), pausing briefly between tries as a client's retry policy would.
fn until_answered(
    agent: &ureq::Agent,
    send: impl Fn(&ureq::Agent) -> Result<(u16, Value), ureq::Error>,
) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match send(agent) {
            Ok((status, body)) if status < 500 => return (status, body),
            _ if Instant::now() > deadline => panic!("the service never answered"),
            _ => std::thread::park_timeout(Duration::from_millis(100)),
        }
    }
}

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    user: &User,
    key: Option<&str>,
    body: &Value,
) -> Result<(u16, Value), ureq::Error> {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {}", user.token))
        .header("Content-Type", "application/json");
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let mut response = agent.run(request.body(body.to_string()).unwrap())?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

#[test]
fn a_service_killed_every_few_seconds_stores_every_booking_once_and_texts_every_patient_once() {
    let fake = FakeTwilio::start();
    fake.always(Reply::AcceptThenHold(Duration::from_millis(200)));
    let app = spawn_app_with(Settings::twilio(&fake));
    // The service runs on the real clock: slots every 5 minutes from 01:00 the day after tomorrow.
    let singapore: UtcOffset = offset!(+8);
    let day = (OffsetDateTime::now_utc() + time::Duration::days(2)).to_offset(singapore).date();
    let first_slot = day.with_time(time!(01:00)).assume_offset(singapore);
    let every_day: Vec<_> = (1..=7).map(|d| (d, "01:00", "23:00")).collect();
    let doctor = app.doctor_with("Dr Tan", 5, &every_day);

    let addr = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let base = format!("http://{addr}");
    let service = Mutex::new(serve(&app, &fake, &addr));
    let booked = AtomicBool::new(false);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let users: Vec<User> = (0..PATIENTS).map(|_| app.login()).collect();

    let kills = std::thread::scope(|s| {
        let killer = s.spawn(|| {
            let mut kills = 0;
            while !booked.load(Ordering::SeqCst) {
                std::thread::park_timeout(KILL_EVERY);
                let mut running = service.lock().unwrap();
                running.kill().unwrap(); // SIGKILL: no shutdown, no goodbye
                running.wait().unwrap();
                *running = serve(&app, &fake, &addr);
                kills += 1;
            }
            kills
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (agent, base, users) = (&agent, &base, &users);
                s.spawn(move || {
                    for i in (client..PATIENTS).step_by(CLIENTS) {
                        let user = &users[i];
                        let profile =
                            json!({"full_name": format!("Patient {i}"), "phone": format!("+659{i:07}")});
                        let (status, _) = until_answered(agent, |a| {
                            call(a, "PUT", &format!("{base}/api/me/profile"), user, None, &profile)
                        });
                        assert_eq!(status, 200);
                        let start = first_slot + time::Duration::minutes(5 * i as i64);
                        let booking = json!({"doctor_id": doctor, "scheduled_start": rfc3339(start)});
                        let key = format!("chaos-{i}");
                        let (status, body) = until_answered(agent, |a| {
                            call(
                                a,
                                "POST",
                                &format!("{base}/api/appointments/book"),
                                user,
                                Some(&key),
                                &booking,
                            )
                        });
                        assert_eq!(status, 201, "booking {i}: {body}");
                        std::thread::park_timeout(PACE);
                    }
                })
            })
            .collect();
        clients.into_iter().for_each(|c| c.join().unwrap());
        booked.store(true, Ordering::SeqCst);
        killer.join().unwrap()
    });
    assert!(kills >= 5, "the service was killed {kills} times while booking");

    // The last instance runs on until every confirmation is out.
    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let rows: Vec<Value> = app.notifications();
        if rows.iter().filter(|r| r["status"] == "sent").count() >= PATIENTS || Instant::now() > deadline {
            break rows;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    };
    service.into_inner().unwrap().kill().unwrap();

    assert_eq!(rows.len(), PATIENTS, "one confirmation per booking, every booking stored once");
    let mut appointments: Vec<_> =
        rows.iter().map(|r| r["appointment_id"].as_str().unwrap().to_owned()).collect();
    appointments.sort();
    appointments.dedup();
    assert_eq!(appointments.len(), PATIENTS);
    assert!(rows.iter().all(|r| r["status"] == "sent"), "every patient confirmed");
    let accepted = fake.accepted();
    let mut phones: Vec<_> = accepted.iter().map(|m| m.to.clone()).collect();
    phones.sort();
    let texted = phones.len();
    phones.dedup();
    assert_eq!((texted, phones.len()), (PATIENTS, PATIENTS), "every patient texted exactly once");
    let mut sids: Vec<_> = rows.iter().map(|r| r["provider_sid"].as_str().unwrap().to_owned()).collect();
    let mut sent: Vec<_> = accepted.iter().map(|m| m.sid.clone()).collect();
    sids.sort();
    sent.sort();
    assert_eq!(sids, sent, "each row holds the SID of the one message it sent");
}
