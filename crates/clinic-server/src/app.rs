//! Wiring: which adapter fills which port, and the actix app around the routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};
use clinic_domain::admin::Administration;
use clinic_domain::booking::Booking;
use clinic_domain::clinic::Clinic;
use clinic_domain::ports::Clock;
use clinic_domain::profile::Profiles;
use clinic_postgres::PgStore;
use time::OffsetDateTime;

use crate::auth::TokenKeys;
use crate::error;
use crate::outbox::Wakeup;
use crate::routes;

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
    pub booking: Booking,
    pub admin: Administration,
    pub profiles: Profiles,
    pub store: PgStore,
    /// Tells the outbox worker a confirmation was just committed.
    pub outbox: Wakeup,
}

impl AppState {
    pub fn new(clinic: Clinic, store: PgStore, clock: Arc<dyn Clock>, outbox: Wakeup) -> Self {
        let shared = Arc::new(store.clone());
        Self {
            booking: Booking::new(
                clinic.clone(),
                shared.clone(),
                shared.clone(),
                shared.clone(),
                clock.clone(),
            ),
            admin: Administration::new(clinic, shared.clone(), shared.clone(), shared.clone(), clock.clone()),
            profiles: Profiles::new(shared, clock),
            store,
            outbox,
        }
    }
}

/// The HTTP server on `listener`; run it by awaiting it, stop it through its handle.
/// With `handle_signals`, Ctrl-C and SIGTERM stop it gracefully.
pub fn http_server(
    listener: TcpListener,
    state: AppState,
    tokens: TokenKeys,
    handle_signals: bool,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let tokens = web::Data::new(tokens);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(tokens.clone())
            .app_data(web::JsonConfig::default().limit(BODY_LIMIT).error_handler(error::json_error))
            .app_data(web::FormConfig::default().limit(BODY_LIMIT).error_handler(error::form_error))
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(routes::configure)
            .default_service(web::to(error::not_found))
    });
    let server = if handle_signals { server } else { server.disable_signals() };
    Ok(server.listen(listener)?.run())
}
