//! The walk-in queue: the desk issues, calls and finishes tickets (staff routes, behind
//! `admin::require_staff`); a visitor follows theirs on a public status URL that shows
//! no name and no phone.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path, Query};
use clinic_domain::ids::{DoctorId, PatientId, TicketId};
use clinic_domain::queue::{PlacedTicket, TicketStatus};
use clinic_domain::walk_ins::Visitor;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::public::clinic_date;
use super::views::utc;
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

/// Where a ticket's public status is read.
const STATUS_PATH: &str = "/api/queue/";

/// A patient on record, or a visitor by name and phone (who becomes a patient without a
/// login, or is the patient that phone already is).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketBody {
    #[serde(default)]
    patient_id: Option<Uuid>,
    /// With `phone`, for a visitor not on record: one line, 1 to 200 characters.
    #[serde(default)]
    #[schema(example = "Ahmad Yusof")]
    name: Option<String>,
    /// E.164.
    #[serde(default)]
    #[schema(example = "+6598765432")]
    phone: Option<String>,
    /// For one doctor; absent: whichever doctor is free.
    #[serde(default)]
    doctor_id: Option<Uuid>,
}

impl NewTicketBody {
    fn visitor(self) -> Result<Visitor, ApiError> {
        match (self.patient_id, self.name, self.phone) {
            (Some(id), None, None) => Ok(Visitor::Patient(PatientId::from_uuid(id))),
            (None, Some(name), Some(phone)) => Ok(Visitor::WalkIn { name, phone }),
            _ => Err(ApiError::invalid_input("give either patient_id, or name and phone")),
        }
    }
}

/// A ticket as the desk sees it; the phone is masked.
#[derive(Serialize, ToSchema)]
pub struct TicketView {
    #[schema(value_type = Uuid)]
    id: TicketId,
    #[schema(example = "A007")]
    number: String,
    /// `waiting`, `called`, `served` or `left`.
    status: &'static str,
    /// The place in its line, 1 = next; waiting tickets only.
    position: Option<u32>,
    estimated_wait_minutes: Option<u32>,
    /// The visitor's public status page (no login).
    #[schema(example = "/api/queue/3f2a...")]
    status_url: String,
    #[schema(value_type = Uuid)]
    patient_id: PatientId,
    #[schema(example = "Ahmad Yusof")]
    patient_name: String,
    #[schema(example = "+65****5432")]
    patient_phone: Option<String>,
    #[schema(value_type = Option<Uuid>)]
    doctor_id: Option<DoctorId>,
    /// The room the last call named.
    room: Option<String>,
    calls: u32,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    issued_at: OffsetDateTime,
}

impl From<PlacedTicket> for TicketView {
    fn from(placed: PlacedTicket) -> Self {
        let PlacedTicket { ticket, position, estimated_wait_minutes } = placed;
        Self {
            id: ticket.id,
            number: ticket.label(),
            status: ticket.status.as_str(),
            position,
            estimated_wait_minutes,
            status_url: format!("{STATUS_PATH}{}", ticket.status_token),
            patient_id: ticket.patient_id,
            patient_phone: ticket.patient_phone.as_ref().map(|p| p.masked()),
            patient_name: ticket.patient_name,
            doctor_id: ticket.doctor_id,
            room: ticket.room,
            calls: ticket.calls,
            issued_at: ticket.issued_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct QueueList {
    tickets: Vec<TicketView>,
}

/// What anyone with the status URL sees: no name, no phone, no room.
#[derive(Serialize, ToSchema)]
pub struct PublicTicketView {
    #[schema(example = "A007")]
    number: String,
    status: &'static str,
    position: Option<u32>,
    estimated_wait_minutes: Option<u32>,
}

#[utoipa::path(post, path = "/api/admin/queue", tag = "staff", security(("bearer" = [])),
    request_body = NewTicketBody,
    responses(
        (status = 201, description = "Today's next ticket, waiting, with its place and wait", body = TicketView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`patient_not_found`, `doctor_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn issue(state: Data<AppState>, body: Json<NewTicketBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let doctor = body.doctor_id.map(DoctorId::from_uuid);
    let visitor = body.visitor()?;
    let placed = blocking(move || state.walk_ins.issue(visitor, doctor)).await?;
    Ok(HttpResponse::Created().json(TicketView::from(placed)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Clinic-local day.
    #[param(value_type = String, format = Date, example = "2026-11-25")]
    date: String,
}

#[utoipa::path(get, path = "/api/admin/queue", tag = "staff", security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "The day's tickets by number, with places and waits", body = QueueList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn list(state: Data<AppState>, query: Query<QueueQuery>) -> Result<HttpResponse, ApiError> {
    let date = clinic_date(&query.date)?;
    let placed = blocking(move || state.walk_ins.day(date)).await?;
    Ok(HttpResponse::Ok().json(QueueList { tickets: placed.into_iter().map(Into::into).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// Named in the text as given: one line, 1 to 40 characters.
    #[schema(example = "Room 3")]
    room: String,
}

#[utoipa::path(post, path = "/api/admin/queue/{id}/call", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The ticket")),
    request_body = CallBody,
    responses(
        (status = 200, description = "Called; the patient is texted the room (each call once)", body = TicketView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_of_another_day`, `ticket_finished`, or `ticket_changed` \
            (another desk called it at the same moment)", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn call(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<CallBody>,
) -> Result<HttpResponse, ApiError> {
    let id: TicketId = path_id(&id, "ticket_not_found")?;
    let placed = blocking(move || state.walk_ins.call(id, &body.room)).await?;
    Ok(HttpResponse::Ok().json(TicketView::from(placed)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketStatusBody {
    /// `served` or `left`.
    #[schema(example = "served")]
    status: String,
}

#[utoipa::path(post, path = "/api/admin/queue/{id}/status", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The ticket")),
    request_body = TicketStatusBody,
    responses(
        (status = 200, description = "Served or left; the line moves up", body = TicketView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_of_another_day`, `ticket_finished`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn set_status(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<TicketStatusBody>,
) -> Result<HttpResponse, ApiError> {
    let id: TicketId = path_id(&id, "ticket_not_found")?;
    let status = ending(&body.status)?;
    let placed = blocking(move || state.walk_ins.finish(id, status)).await?;
    Ok(HttpResponse::Ok().json(TicketView::from(placed)))
}

/// How a ticket may end: served or left.
pub(crate) fn ending(raw: &str) -> Result<TicketStatus, ApiError> {
    raw.parse().map_err(|()| {
        ApiError::invalid_input("status must be served or left")
            .with_details(serde_json::json!({ "status": "must be one of served, left" }))
    })
}

#[utoipa::path(get, path = "/api/queue/{status_token}", tag = "public",
    params(("status_token" = String, Path, description = "The ticket's status URL's token")),
    responses(
        (status = 200, description = "The ticket's number, status, place and wait; no name or phone",
            body = PublicTicketView),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn public_status(state: Data<AppState>, token: Path<String>) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    let placed = blocking(move || state.walk_ins.status(&token)).await?;
    Ok(HttpResponse::Ok().json(PublicTicketView {
        number: placed.ticket.label(),
        status: placed.ticket.status.as_str(),
        position: placed.position,
        estimated_wait_minutes: placed.estimated_wait_minutes,
    }))
}
