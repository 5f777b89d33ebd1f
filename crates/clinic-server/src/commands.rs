//! What each `clinic` subcommand does.

use std::error::Error;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use clinic_domain::booking::Booking;
use clinic_domain::ports::Clock;
use clinic_domain::sign_in::StaffPhones;
use clinic_postgres::PgStore;
use time::Duration as Span;
use uuid::Uuid;

use crate::app::{AppState, SystemClock, http_server, sms_gateway};
use crate::auth::TokenKeys;
use crate::cli::{Command, StaffArgs, StaffCommand, TokenArgs};
use crate::codes::CodesUnsent;
use crate::config::{Config, Secret};
use crate::outbox::{POLL, housekeeping, outbox_worker, reminder_schedule};
use crate::routes::views::ReminderSummary;
use crate::routes::views::rfc3339_utc;
use crate::runtime::{Database, jwt_secret};
use crate::seed::{DEMO_DESK_PHONE, DEMO_PATIENT, seed_demo};

pub type CommandResult = Result<(), Box<dyn Error>>;

/// How often `clinic serve` forgets expired idempotency keys.
const HOUSEKEEPING: Duration = Duration::from_secs(3600);

/// The staff login the dev banner prints a token for.
const DEMO_STAFF: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0002);

pub fn run(command: Command, config: Config) -> CommandResult {
    match command {
        Command::Serve => {
            // Before the database: a production config without a secret changes nothing.
            let secret = jwt_secret(&config)?;
            with_database(&config, |store| serve(&config, store, secret))
        }
        Command::Migrate => with_database(&config, |_| Ok(())),
        Command::Token(args) => token(&config, &args),
        Command::SeedDemo => with_database(&config, |store| {
            if seed_demo(&store, SystemClock.now())? {
                println!("Seeded the demo clinic.");
            } else {
                println!("The clinic already has doctors; nothing seeded.");
            }
            Ok(())
        }),
        Command::Worker => with_database(&config, |store| worker(&config, store)),
        Command::Remind => with_database(&config, |store| remind(&config, store)),
        Command::Db => db(&config),
        Command::Staff(StaffCommand::Add(args)) => with_database(&config, |store| add_staff(store, &args)),
    }
}

/// Opens (or starts) the database, migrates it, runs `work`, and stops what it started.
fn with_database(config: &Config, work: impl FnOnce(PgStore) -> CommandResult) -> CommandResult {
    let database = Database::open(config)?;
    let store = PgStore::connect(&database.url, config.pool_size);
    let result = match store.migrate() {
        Ok(applied) => {
            if !applied.is_empty() {
                log::info!("applied migrations {}", applied.join(", "));
            }
            work(store)
        }
        Err(e) => Err(format!("cannot prepare the database: {e}").into()),
    };
    if result.is_ok() {
        log::info!("database: {}", database.describe());
    }
    database.stop();
    result
}

fn serve(config: &Config, store: PgStore, (secret, dev_mode): (Secret, bool)) -> CommandResult {
    let tokens = TokenKeys::configured(secret.expose().as_bytes(), config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if dev_mode && seed_demo(&store, clock.now())? {
        log::info!("seeded the demo clinic");
    }
    let mut state = AppState::new(config, store, clock, sms_gateway(config));
    if !dev_mode && config.twilio.is_none() {
        state.sms = Arc::new(CodesUnsent);
    }
    match crate::limits::raise_open_files_limit() {
        Ok(files) => log::debug!("up to {files} open files"),
        Err(e) => log::warn!("cannot raise the open files limit: {e}"),
    }
    let listener = TcpListener::bind(config.bind_addr)
        .map_err(|e| format!("BIND_ADDR: cannot listen on {}: {e}", config.bind_addr))?;
    let worker = outbox_worker(state.outbox.clone(), state.wakeup.clone(), POLL);
    let schedule = config.reminder_interval.map(|every| reminder_schedule(state.reminders.clone(), every));
    let tidy = housekeeping(state.booking.clone(), HOUSEKEEPING);
    let base = format!("http://{}", listener.local_addr()?);
    if dev_mode {
        print_dev_banner(&base, &tokens, &state.booking, config.twilio.is_none())?;
    } else {
        log::info!("serving on {base}");
    }
    let served = actix_web::rt::System::new()
        .block_on(async move { http_server(listener, state, tokens, true)?.await });
    // The server has drained its requests; now background work finishes or releases its rows.
    if let Some(schedule) = schedule {
        schedule.stop();
    }
    tidy.stop();
    worker.stop();
    Ok(served?)
}

/// What a developer needs to try the API at once: tokens and a curl line that books.
fn print_dev_banner(base: &str, tokens: &TokenKeys, booking: &Booking, codes_logged: bool) -> CommandResult {
    let week = Duration::from_secs(7 * 86_400);
    let patient = tokens.issue(DEMO_PATIENT.as_uuid(), false, week)?;
    let staff = tokens.issue(DEMO_STAFF, true, week)?;
    println!("\nclinic is serving {base} (dev mode: no AUTH_JWT_SECRET set)\n");
    println!("Open {base}/ in a browser to book: sign in with any phone number;");
    if codes_logged {
        println!("no texts are sent in dev mode, so the sign-in code is printed here.");
    }
    println!("The reception desk: {base}/desk, signed in with the demo desk's phone {DEMO_DESK_PHONE}.\n");
    println!("Patient token (Demo Patient, valid 7 days):\n  export PATIENT={patient}");
    println!("Staff token (valid 7 days):\n  export STAFF={staff}\n");
    if codes_logged {
        println!(
            "Sign in by code: POST {base}/api/auth/otp {{\"phone\"}}; without Twilio the code is in this log, \
             then POST {base}/api/auth/verify {{\"phone\",\"code\"}}.\n"
        );
    }
    match next_free_slot(booking)? {
        Some((doctor, start)) => {
            println!("Book the next free slot:");
            println!(
                "  curl -s -X POST {base}/api/appointments/book -H \"Authorization: Bearer $PATIENT\" \
                 -H 'Content-Type: application/json' -d '{{\"doctor_id\":\"{doctor}\",\"scheduled_start\":\"{start}\"}}'\n"
            );
        }
        None => println!("No free slot in the next two weeks: give a doctor a schedule first.\n"),
    }
    Ok(())
}

fn next_free_slot(booking: &Booking) -> Result<Option<(Uuid, String)>, Box<dyn Error>> {
    let clinic = booking.clinic();
    let today = clinic.zone.local_date(SystemClock.now());
    let Some(doctor) = booking.doctors()?.into_iter().next() else {
        return Ok(None);
    };
    for day in 0..14 {
        let date = today + Span::days(day);
        if let Some(slot) = booking.free_slots(doctor.id, date)?.first() {
            return Ok(Some((doctor.id.as_uuid(), rfc3339_utc(slot.start))));
        }
    }
    Ok(None)
}

fn token(config: &Config, args: &TokenArgs) -> CommandResult {
    let (secret, _) = jwt_secret(config)?;
    println!("{}", TokenKeys::new(secret.expose().as_bytes()).issue(args.sub, args.staff, args.ttl)?);
    Ok(())
}

fn add_staff(store: PgStore, args: &StaffArgs) -> CommandResult {
    let staff =
        StaffPhones::new(Arc::new(store), Arc::new(SystemClock)).add(&args.phone, &args.name, args.admin)?;
    println!(
        "{} ({}) signs in as {} with a code texted to that phone.",
        staff.name,
        staff.phone.masked(),
        staff.role.as_str()
    );
    Ok(())
}

/// The outbox worker alone, until Ctrl-C or SIGTERM.
fn worker(config: &Config, store: PgStore) -> CommandResult {
    let state = AppState::new(config, store, Arc::new(SystemClock), sms_gateway(config));
    let worker = outbox_worker(state.outbox.clone(), state.wakeup.clone(), POLL);
    let stopped = actix_web::rt::System::new().block_on(shutdown_signal());
    worker.stop();
    Ok(stopped?)
}

/// One reminders run, for a system crontab: prints the summary the cron endpoint answers.
fn remind(config: &Config, store: PgStore) -> CommandResult {
    let state = AppState::new(config, store, Arc::new(SystemClock), sms_gateway(config));
    let report = state.reminders.run(&std::sync::atomic::AtomicBool::new(false))?;
    println!("{}", serde_json::to_string(&ReminderSummary::from(report))?);
    Ok(())
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() -> std::io::Result<()> {
    use std::task::Poll;

    use actix_web::rt::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = std::pin::pin!(actix_web::rt::signal::ctrl_c());
    std::future::poll_fn(|cx| match interrupt.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(result),
        Poll::Pending => terminate.poll_recv(cx).map(|_| Ok(())),
    })
    .await
}

fn db(config: &Config) -> CommandResult {
    if config.database_url.is_some() {
        return Err(
            "DATABASE_URL is set: `clinic db` starts the embedded PostgreSQL only when it is not".into()
        );
    }
    let database = Database::open(config)?;
    println!("Embedded PostgreSQL is running: {}\nPress Ctrl-C to stop it.", database.url);
    let waited = actix_web::rt::System::new().block_on(shutdown_signal());
    database.stop();
    Ok(waited?)
}
