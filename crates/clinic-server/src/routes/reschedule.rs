//! Moving a visit: `POST /api/appointments/{id}/reschedule` for the patient,
//! `POST /api/admin/appointments/{id}/reschedule` for staff; one body, one rule set.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path};
use clinic_domain::booking::{Move, Requester};
use clinic_domain::ids::{AppointmentId, DoctorId};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::AppointmentView;
use super::{blocking, path_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// The new slot's start, any offset.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    scheduled_start: OffsetDateTime,
    /// Another doctor; the same one when absent.
    #[serde(default)]
    doctor_id: Option<Uuid>,
}

async fn reschedule(
    state: Data<AppState>,
    who: Requester,
    id: &str,
    body: RescheduleBody,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(id, "appointment_not_found")?;
    let to =
        Move { scheduled_start: body.scheduled_start, doctor_id: body.doctor_id.map(DoctorId::from_uuid) };
    let appointment = blocking(move || state.booking.reschedule(who, id, to)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}

#[utoipa::path(post, path = "/api/appointments/{id}/reschedule", tag = "patient", security(("bearer" = [])),
    request_body = RescheduleBody,
    params(("id" = Uuid, Path, description = "One of the caller's appointments")),
    responses(
        (status = 200, description = "The appointment at its new time, same `id`; the old slot is free",
            body = AppointmentView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`appointment_not_found` (also another patient's), `doctor_not_found`",
            body = ErrorBody),
        (status = 409, description = "`slot_taken`; `status_change_refused` (only a booked appointment moves)",
            body = ErrorBody),
        (status = 422, description = "`slot_not_bookable`, `details.reason` as for booking", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn by_patient(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    body: Json<RescheduleBody>,
) -> Result<HttpResponse, ApiError> {
    reschedule(state, Requester::Patient(caller.login.id), &id, body.into_inner()).await
}

#[utoipa::path(post, path = "/api/admin/appointments/{id}/reschedule", tag = "staff", security(("bearer" = [])),
    request_body = RescheduleBody,
    params(("id" = Uuid, Path, description = "The appointment")),
    responses(
        (status = 200, description = "The appointment at its new time, same `id`; the old slot is free",
            body = AppointmentView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`appointment_not_found`, `doctor_not_found`", body = ErrorBody),
        (status = 409, description = "`slot_taken`; `status_change_refused` (only a booked appointment moves)",
            body = ErrorBody),
        (status = 422, description = "`slot_not_bookable`, `details.reason` as for booking", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn by_staff(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<RescheduleBody>,
) -> Result<HttpResponse, ApiError> {
    reschedule(state, Requester::Staff, &id, body.into_inner()).await
}
