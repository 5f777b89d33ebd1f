//! The route table of api.md, and what every handler shares.

use std::str::FromStr;

use actix_web::middleware::from_fn;
use actix_web::{Resource, web};

use crate::app::TWILIO_STATUS_PATH;
use crate::error::{self, ApiError};

mod admin;
mod health;
mod metrics;
mod ops;
mod patient;
mod public;
pub mod views;
pub mod webhooks;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health::live)))
        .service(resource("/readyz").route(web::get().to(health::ready)))
        .service(resource("/metrics").route(web::get().to(metrics::scrape)))
        .service(resource("/api/clinic").route(web::get().to(public::clinic)))
        .service(resource("/api/doctors").route(web::get().to(public::doctors)))
        .service(resource("/api/doctors/{id}/slots").route(web::get().to(public::slots)))
        .service(
            resource("/api/me/profile")
                .route(web::get().to(patient::profile))
                .route(web::put().to(patient::save_profile)),
        )
        .service(resource("/api/cron/reminders").route(web::post().to(ops::reminders)))
        .service(resource(TWILIO_STATUS_PATH).route(web::post().to(webhooks::status)))
        .service(resource("/api/webhooks/twilio/inbound").route(web::post().to(webhooks::inbound)))
        .service(resource("/api/appointments/book").route(web::post().to(patient::book)))
        .service(resource("/api/appointments").route(web::get().to(patient::appointments)))
        .service(resource("/api/appointments/{id}").route(web::get().to(patient::appointment)))
        .service(resource("/api/appointments/{id}/cancel").route(web::post().to(patient::cancel)))
        .service(
            web::scope("/api/admin")
                .wrap(from_fn(admin::require_staff))
                .service(resource("/doctors").route(web::post().to(admin::create_doctor)))
                .service(resource("/doctors/{id}").route(web::patch().to(admin::update_doctor)))
                .service(resource("/doctors/{id}/schedule").route(web::put().to(admin::replace_schedule)))
                .service(resource("/appointments").route(web::get().to(admin::day)))
                .service(resource("/appointments/{id}/status").route(web::post().to(admin::set_status)))
                .service(resource("/notifications").route(web::get().to(admin::notifications))),
        );
}

/// A resource that answers other methods with a JSON 405.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(error::method_not_allowed))
}

/// Runs blocking work (the database, Twilio) on the blocking pool, never on an async
/// worker, inside the request's span so that its log lines carry the request id.
async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work)).await?.map_err(Into::into)
}

/// An id from the path; a malformed one is as unknown as a missing one.
fn path_id<Id: FromStr>(raw: &str, not_found: &'static str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::not_found(not_found, format!("no such {}", not_found.trim_end_matches("_not_found")))
    })
}
