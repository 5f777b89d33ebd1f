//! The route table of api.md, and what every handler shares.

use std::str::FromStr;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{Resource, web};

use crate::app::TWILIO_STATUS_PATH;
use crate::error::{self, ApiError};
use crate::openapi;

pub(crate) mod admin;
pub(crate) mod closures;
pub(crate) mod health;
pub(crate) mod inbox;
pub(crate) mod metrics;
pub(crate) mod ops;
pub(crate) mod patient;
pub(crate) mod public;
pub(crate) mod reception;
pub(crate) mod reschedule;
pub(crate) mod sign_in;
pub mod views;
pub(crate) mod walk_ins;
pub mod webhooks;

/// Routes under this need a staff token.
const STAFF_SCOPE: &str = "/api/admin";

/// One route: the app serves exactly the table's, and a test holds the OpenAPI document
/// to it, so a route cannot go undocumented.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    handler: fn(actix_web::Route) -> actix_web::Route,
}

const fn route(
    method: Method,
    path: &'static str,
    handler: fn(actix_web::Route) -> actix_web::Route,
) -> Route {
    Route { method, path, handler }
}

/// Every route, in matching order: `/api/appointments/book` before `/api/appointments/{id}`.
pub fn table() -> Vec<Route> {
    vec![
        route(Method::GET, "/healthz", |r| r.to(health::live)),
        route(Method::GET, "/readyz", |r| r.to(health::ready)),
        route(Method::GET, "/metrics", |r| r.to(metrics::scrape)),
        route(Method::GET, "/api/openapi.json", |r| r.to(openapi::document_json)),
        route(Method::GET, "/api/clinic", |r| r.to(public::clinic)),
        route(Method::GET, "/api/doctors", |r| r.to(public::doctors)),
        route(Method::GET, "/api/doctors/{id}/slots", |r| r.to(public::slots)),
        route(Method::GET, "/api/me/profile", |r| r.to(patient::profile)),
        route(Method::PUT, "/api/me/profile", |r| r.to(patient::save_profile)),
        route(Method::POST, "/api/auth/otp", |r| r.to(sign_in::request_code)),
        route(Method::POST, "/api/auth/verify", |r| r.to(sign_in::verify)),
        route(Method::POST, "/api/cron/reminders", |r| r.to(ops::reminders)),
        route(Method::POST, TWILIO_STATUS_PATH, |r| r.to(webhooks::status)),
        route(Method::POST, "/api/webhooks/twilio/inbound", |r| r.to(webhooks::inbound)),
        route(Method::POST, "/api/appointments/book", |r| r.to(patient::book)),
        route(Method::GET, "/api/appointments", |r| r.to(patient::appointments)),
        route(Method::GET, "/api/appointments/{id}", |r| r.to(patient::appointment)),
        route(Method::POST, "/api/appointments/{id}/cancel", |r| r.to(patient::cancel)),
        route(Method::POST, "/api/appointments/{id}/reschedule", |r| r.to(reschedule::by_patient)),
        route(Method::POST, "/api/admin/doctors", |r| r.to(admin::create_doctor)),
        route(Method::PATCH, "/api/admin/doctors/{id}", |r| r.to(admin::update_doctor)),
        route(Method::PUT, "/api/admin/doctors/{id}/schedule", |r| r.to(admin::replace_schedule)),
        route(Method::GET, "/api/admin/appointments", |r| r.to(admin::day)),
        route(Method::POST, "/api/admin/appointments/{id}/status", |r| r.to(admin::set_status)),
        route(Method::POST, "/api/admin/appointments/{id}/arrived", |r| r.to(admin::mark_arrived)),
        route(Method::POST, "/api/admin/appointments/{id}/reschedule", |r| r.to(reschedule::by_staff)),
        route(Method::GET, "/api/admin/notifications", |r| r.to(admin::notifications)),
        route(Method::POST, "/api/admin/closures", |r| r.to(closures::close)),
        route(Method::GET, "/api/admin/closures", |r| r.to(closures::list)),
        route(Method::DELETE, "/api/admin/closures/{id}", |r| r.to(closures::reopen)),
        route(Method::POST, "/api/admin/patients", |r| r.to(reception::register_patient)),
        route(Method::GET, "/api/admin/patients", |r| r.to(reception::search_patients)),
        route(Method::GET, "/api/admin/patients/{id}", |r| r.to(reception::patient_file)),
        route(Method::POST, "/api/admin/appointments", |r| r.to(reception::book_for_patient)),
        route(Method::GET, "/api/admin/inbox", |r| r.to(inbox::list)),
        route(Method::POST, "/api/admin/inbox/{id}/read", |r| r.to(inbox::mark_read)),
        route(Method::POST, "/api/admin/queue", |r| r.to(walk_ins::issue)),
        route(Method::GET, "/api/admin/queue", |r| r.to(walk_ins::list)),
        route(Method::POST, "/api/admin/queue/{id}/call", |r| r.to(walk_ins::call)),
        route(Method::POST, "/api/admin/queue/{id}/status", |r| r.to(walk_ins::set_status)),
        route(Method::GET, "/api/queue/{status_token}", |r| r.to(walk_ins::public_status)),
    ]
}

/// The table as actix resources, one per path; the staff ones in a scope that checks the token.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&str, Vec<Route>)> = Vec::new();
    for route in table() {
        match paths.iter_mut().find(|(path, _)| *path == route.path) {
            Some((_, routes)) => routes.push(route),
            None => paths.push((route.path, vec![route])),
        }
    }
    let mut staff = web::scope(STAFF_SCOPE).wrap(from_fn(admin::require_staff));
    for (path, routes) in paths {
        let local = path.strip_prefix(STAFF_SCOPE);
        let mut resource = resource(local.unwrap_or(path));
        for Route { method, handler, .. } in routes {
            // HEAD wherever GET: the same handler; actix sends the headers without the body.
            if method == Method::GET {
                resource = resource.route(handler(web::head()));
            }
            resource = resource.route(handler(web::method(method)));
        }
        match local {
            Some(_) => staff = staff.service(resource),
            None => {
                cfg.service(resource);
            }
        }
    }
    cfg.service(staff);
}

/// A resource that answers other methods with a JSON 405.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(error::method_not_allowed))
}

/// Runs blocking work (the database) on the blocking pool, never on an async worker,
/// inside the request's span so that its log lines carry the request id, as one unit of
/// work: its store calls share one pooled connection.
pub(crate) async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    blocking_apart(|| clinic_postgres::unit_of_work(work)).await
}

/// As [`blocking`], but each store call checks out its own connection: for work that
/// waits on Twilio, so that no connection sits idle in a unit of work during a send.
pub(crate) async fn blocking_apart<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work)).await?.map_err(Into::into)
}

/// An id from the path; a malformed one is as unknown as a missing one.
pub(crate) fn path_id<Id: FromStr>(raw: &str, not_found: &'static str) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::not_found(not_found, format!("no such {}", not_found.trim_end_matches("_not_found")))
    })
}
