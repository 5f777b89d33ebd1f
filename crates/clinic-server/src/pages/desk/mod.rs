//! `/desk` and its parts, for staff: the day list, patients, the walk-in queue, the
//! inbox, failed messages, closures, staff phones. Each action posts a form, calls the
//! same domain service as its API route, and comes back to its page: on success by a
//! redirect that says what was done (a reload does not do it twice), on a refusal with
//! the page shown again, saying why next to the fields, with the API's status.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{self, Data};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_web::Markup;
use clinic_web::desk::{Desk, Said};
use clinic_web::form::Problems;
use clinic_web::layout::{Frame, Width};
use time::Date;
use uuid::Uuid;

use super::session::who;
use super::{PageError, clinic_name, page, read};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::routes::blocking;
use crate::routes::public::clinic_date;

mod closures;
mod messages;
mod patients;
mod queue;
mod slots;
mod staff;
mod today;

/// The desk's pages, each behind the page guard.
pub fn configure(cfg: &mut web::ServiceConfig) {
    page(cfg, "/desk", vec![read().to(today::show)]);
    page(cfg, "/desk/appointments/{id}/status", vec![web::post().to(today::set_status)]);
    page(cfg, "/desk/appointments/{id}/arrived", vec![web::post().to(today::arrived)]);
    page(
        cfg,
        "/desk/appointments/{id}/move",
        vec![read().to(today::show_move), web::post().to(today::move_to)],
    );
    page(cfg, "/desk/patients", vec![read().to(patients::show), web::post().to(patients::register)]);
    page(cfg, "/desk/patients/{id}", vec![read().to(patients::file)]);
    page(cfg, "/desk/patients/{id}/book", vec![web::post().to(patients::book)]);
    page(cfg, "/desk/queue", vec![read().to(queue::show), web::post().to(queue::issue)]);
    page(cfg, "/desk/queue/{id}/call", vec![web::post().to(queue::call)]);
    page(cfg, "/desk/queue/{id}/status", vec![web::post().to(queue::finish)]);
    page(cfg, "/desk/inbox", vec![read().to(messages::inbox)]);
    page(cfg, "/desk/inbox/{id}/read", vec![web::post().to(messages::mark_read)]);
    page(cfg, "/desk/messages", vec![read().to(messages::failed)]);
    page(cfg, "/desk/closures", vec![read().to(closures::show), web::post().to(closures::close)]);
    page(cfg, "/desk/closures/{id}/reopen", vec![web::post().to(closures::reopen)]);
    page(cfg, "/desk/staff", vec![read().to(staff::show), web::post().to(staff::add)]);
}

/// Why an action was refused, as its page shows it again.
pub(super) struct Refusal {
    status: StatusCode,
    problems: Problems,
    message: String,
}

impl Refusal {
    /// A 4xx is the page's to show; anything else (the database down) is the guard's page.
    fn of(refused: ApiError) -> Result<Self, PageError> {
        if !refused.status().is_client_error() {
            return Err(refused.into());
        }
        let problems = refused.field_messages();
        // Said above the page too: a field of a row's small form has no place for it.
        let why = if problems.is_empty() {
            refused.message().trim_end_matches('.').to_owned()
        } else {
            problems
                .iter()
                .map(|(field, problem)| format!("{} {problem}", field.replace('_', " ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let message = format!("That didn't work: {why}.");
        Ok(Self { status: refused.status(), problems, message })
    }
}

/// `?done=`: what the redirect after an action says was done.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What a page says about the last action: the `done` its redirect carried, or a refusal.
#[derive(Default)]
pub(super) struct Outcome {
    done: Option<String>,
    refusal: Option<Refusal>,
}

impl Outcome {
    fn done(done: Option<String>) -> Self {
        Self { done, refusal: None }
    }

    fn refused(refused: ApiError) -> Result<Self, PageError> {
        Ok(Self { done: None, refusal: Some(Refusal::of(refused)?) })
    }
}

/// A desk page for `staff`, with the API's status when it shows a refusal.
fn respond(
    state: &Data<AppState>,
    staff: &Caller,
    outcome: &Outcome,
    title: &str,
    draw: impl FnOnce(&Desk<'_>) -> Markup,
) -> HttpResponse {
    let who = who(staff);
    let refusal = outcome.refusal.as_ref();
    let desk = Desk {
        frame: Frame { clinic: clinic_name(state), title, width: Width::Desk, who: Some(&who) },
        zone: &state.booking.clinic().zone,
        now: state.clock.now(),
        admin: staff.role == Role::Admin,
        said: Said {
            done: outcome.done.as_deref(),
            refused: refusal.map(|r| r.message.as_str()),
            problems: refusal.map(|r| r.problems.clone()).unwrap_or_default(),
        },
    };
    let status = refusal.map_or(StatusCode::OK, |r| r.status);
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(draw(&desk).into_string())
}

/// Back to `to`, saying `done` there.
fn done(to: &str, done: &str) -> HttpResponse {
    let join = if to.contains('?') { '&' } else { '?' };
    HttpResponse::SeeOther().insert_header((LOCATION, format!("{to}{join}done={done}"))).finish()
}

/// The clinic's day today.
fn today(state: &AppState) -> Date {
    state.booking.clinic().zone.local_date(state.clock.now())
}

/// The clinic's day of `instant`, as `?date=` says it.
fn clinic_day(state: &AppState, instant: time::OffsetDateTime) -> String {
    clinic_web::when::iso_day(state.booking.clinic().zone.local_date(instant))
}

/// `?date=`, or today when absent or empty.
fn day_or_today(state: &AppState, raw: Option<&str>) -> Result<Date, ApiError> {
    match raw {
        None | Some("") => Ok(today(state)),
        Some(raw) => clinic_date(raw),
    }
}

/// A doctor's id from a form's `field`; empty is none.
fn doctor_field(field: &str, raw: &str) -> Result<Option<DoctorId>, ApiError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim().parse::<Uuid>().map(|id| Some(DoctorId::from_uuid(id))).map_err(|_| {
        ApiError::invalid_input(format!("{field} must be a doctor"))
            .with_details(serde_json::json!({ field: "must be one of the clinic's doctors" }))
    })
}

/// The doctors patients can book, for the desk's pickers and names.
async fn doctors(state: &Data<AppState>) -> Result<Vec<Doctor>, ApiError> {
    let booking = state.booking.clone();
    blocking(move || booking.doctors()).await
}
