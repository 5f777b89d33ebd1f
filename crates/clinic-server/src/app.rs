//! Wiring: which adapter fills which port, and the actix app around the routes.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use clinic_domain::admin::Administration;
use clinic_domain::booking::Booking;
use clinic_domain::closures::Closures;
use clinic_domain::events::MessageEvents;
use clinic_domain::gateway::SmsGateway;
use clinic_domain::outbox::{DeliverySettings, Outbox};
use clinic_domain::patient_records::PatientRecords;
use clinic_domain::ports::{Clock, CodeSecrets};
use clinic_domain::profile::Profiles;
use clinic_domain::reminder::ReminderSchedule;
use clinic_domain::reminders::{DEFAULT_BUDGET, Reminders};
use clinic_domain::replies::Replies;
use clinic_domain::sign_in::SignIn;
use clinic_domain::walk_ins::WalkIns;
use clinic_postgres::PgStore;
use clinic_twilio::{LogGateway, RateLimiter, RequestValidator, Sender, TwilioConfig, TwilioGateway};
use time::OffsetDateTime;

use crate::auth::TokenKeys;
use crate::config::{Config, Secret};
use crate::cors::cors;
use crate::delivery_log::DeliveryLog;
use crate::error;
use crate::limits;
use crate::metrics::Metrics;
use crate::observe::observe;
use crate::outbox::Wakeup;
use crate::pages::{self, PageSettings};
use crate::routes;
use crate::routes::webhooks::WebhookSigning;

/// Where Twilio posts delivery status callbacks.
pub const TWILIO_STATUS_PATH: &str = "/api/webhooks/twilio/status";

/// Bodies over this are refused with 413.
const BODY_LIMIT: usize = 64 * 1024;

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// What handlers share: the domain services over their adapters.
pub struct AppState {
    pub booking: Arc<Booking>,
    pub admin: Administration,
    /// Doctors' leave and the clinic's holidays.
    pub closures: Closures,
    pub profiles: Profiles,
    /// Patients staff register and find; which patient a login is.
    pub patients: PatientRecords,
    /// The walk-in queue.
    pub walk_ins: WalkIns,
    /// Delivers the outbox: the worker and the reminders job run it.
    pub outbox: Arc<Outbox>,
    pub reminders: Arc<Reminders>,
    /// `None`: the cron endpoints answer 401.
    pub cron_secret: Option<Secret>,
    /// Status callbacks and incoming texts.
    pub events: MessageEvents,
    /// Replies to reminders, and the staff inbox of texts patients sent.
    pub replies: Arc<Replies>,
    /// `None` (no public URL or no Twilio): the webhooks answer 403.
    pub webhook_signing: Option<WebhookSigning>,
    pub store: PgStore,
    /// Tells the outbox worker a confirmation was just committed.
    pub wakeup: Wakeup,
    /// `CORS_ALLOWED_ORIGINS`, for the middleware.
    pub cors_allowed_origins: Vec<String>,
    pub metrics: Arc<Metrics>,
    /// `None`: `/metrics` is open.
    pub metrics_token: Option<Secret>,
    pub clock: Arc<dyn Clock>,
    /// Sign-in codes go straight through it (see [`AppState::sign_in`]).
    pub sms: Arc<dyn SmsGateway>,
    /// How the pages set their cookie and check where posts come from.
    pub pages: PageSettings,
}

impl AppState {
    pub fn new(config: &Config, store: PgStore, clock: Arc<dyn Clock>, gateway: Arc<dyn SmsGateway>) -> Self {
        let clinic = config.clinic.clone();
        let shared = Arc::new(store.clone());
        // A batch cut off from the database stops within a check and one send's time.
        let delivery = match &config.twilio {
            Some(twilio) => DeliverySettings {
                lost_batch_grace: time::Duration::try_from(twilio.timeout).unwrap_or(time::Duration::MINUTE)
                    + time::Duration::seconds(2),
                ..DeliverySettings::default()
            },
            None => DeliverySettings::default(),
        };
        let metrics = Arc::new(Metrics::default());
        let outbox = Outbox::new(clinic.clone(), shared.clone(), gateway.clone(), clock.clone(), delivery)
            .observed_by(Arc::new(DeliveryLog { metrics: metrics.clone() }))
            .inviting_replies(config.replies);
        let outbox = Arc::new(outbox);
        let schedule = ReminderSchedule {
            leads: config.reminder_leads.clone(),
            quiet: config.quiet_hours,
            zone: config.clinic.zone,
        };
        let reminders =
            Reminders::new(shared.clone(), outbox.clone(), clock.clone(), schedule, DEFAULT_BUDGET);
        let booking = Booking::new(clinic.clone(), shared.clone(), shared.clone(), clock.clone());
        let replies = Arc::new(Replies::new(
            clinic.clone(),
            shared.clone(),
            shared.clone(),
            clock.clone(),
            config.replies,
        ));
        Self {
            booking: Arc::new(booking),
            closures: Closures::new(clinic.clone(), shared.clone(), shared.clone(), clock.clone()),
            admin: Administration::new(clinic, shared.clone(), shared.clone(), shared.clone(), clock.clone()),
            events: MessageEvents::new(config.clinic.clone(), shared.clone(), shared.clone(), clock.clone())
                .answering(replies.clone()),
            replies,
            patients: PatientRecords::new(shared.clone(), shared.clone(), clock.clone()),
            walk_ins: WalkIns::new(
                config.clinic.clone(),
                shared.clone(),
                shared.clone(),
                shared.clone(),
                shared.clone(),
                clock.clone(),
                config.queue_alert_ahead,
            ),
            profiles: Profiles::new(shared, clock.clone()),
            outbox,
            reminders: Arc::new(reminders),
            cron_secret: config.cron_secret.clone(),
            webhook_signing: webhook_signing(config),
            store,
            wakeup: Wakeup::default(),
            cors_allowed_origins: config.cors_allowed_origins.clone(),
            metrics,
            metrics_token: config.metrics_token.clone(),
            clock,
            sms: gateway,
            pages: PageSettings::new(config),
        }
    }

    /// Signing in by a texted code, its codes hashed under the token secret's key.
    pub fn sign_in(&self, secrets: Arc<dyn CodeSecrets>) -> SignIn {
        let store = Arc::new(self.store.clone());
        SignIn::new(self.booking.clinic().clone(), store, secrets, self.sms.clone(), self.clock.clone())
    }
}

/// Signatures can be checked only with the auth token and the URL Twilio calls.
fn webhook_signing(config: &Config) -> Option<WebhookSigning> {
    let (twilio, base) = (config.twilio.as_ref()?, config.public_base_url.as_ref()?);
    Some(WebhookSigning {
        validator: RequestValidator::new(twilio.auth_token.expose()),
        public_base_url: base.clone(),
    })
}

/// Twilio when configured; otherwise messages go to the log and their rows say so.
pub fn sms_gateway(config: &Config) -> Arc<dyn SmsGateway> {
    let Some(twilio) = &config.twilio else { return Arc::new(LogGateway) };
    let sms_sender = match (&twilio.messaging_service_sid, &twilio.sms_from) {
        (Some(service), _) => Some(Sender::MessagingService(service.clone())),
        (None, Some(from)) => Some(Sender::From(from.clone())),
        (None, None) => None,
    };
    let status_callback = config.public_base_url.as_ref().map(|base| format!("{base}{TWILIO_STATUS_PATH}"));
    Arc::new(TwilioGateway::new(
        TwilioConfig {
            account_sid: twilio.account_sid.clone(),
            auth_token: twilio.auth_token.expose().to_owned(),
            sms_sender,
            whatsapp_from: twilio.whatsapp_from.clone(),
            api_base: twilio.api_base.clone(),
            status_callback,
            connect_timeout: Duration::from_secs(5).min(twilio.timeout),
            timeout: twilio.timeout,
        },
        Arc::new(RateLimiter::per_second(config.sms_max_per_second)),
    ))
}

/// The HTTP server on `listener`; run it by awaiting it, stop it through its handle.
/// With `handle_signals`, Ctrl-C and SIGTERM stop it gracefully.
pub fn http_server(
    listener: TcpListener,
    state: AppState,
    tokens: TokenKeys,
    handle_signals: bool,
) -> std::io::Result<Server> {
    let origins = state.cors_allowed_origins.clone();
    let sign_in = web::Data::new(state.sign_in(tokens.codes()));
    let state = web::Data::new(state);
    let tokens = web::Data::new(tokens);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(tokens.clone())
            .app_data(sign_in.clone())
            .app_data(web::JsonConfig::default().limit(BODY_LIMIT).error_handler(error::json_error))
            .app_data(web::FormConfig::default().limit(BODY_LIMIT).error_handler(error::form_error))
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .wrap(cors(&origins))
            .wrap(from_fn(limits::request_limits))
            .wrap(from_fn(observe))
            .configure(routes::configure)
            .configure(pages::configure)
            .default_service(web::to(pages::unknown_path))
    });
    // Idle and half-sent connections are closed, so a thousand of them hold no more than memory.
    let server = server.client_request_timeout(limits::IDLE_TIMEOUT).keep_alive(limits::IDLE_TIMEOUT);
    let server = if handle_signals { server } else { server.disable_signals() };
    Ok(server.listen(listener)?.run())
}
