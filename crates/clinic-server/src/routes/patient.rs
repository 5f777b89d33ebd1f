use actix_web::web::{Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use clinic_domain::booking::{BookingError, BookingReceipt, BookingRequest};
use clinic_domain::booking_record::IdempotencyKey;
use clinic_domain::ids::{AppointmentId, DoctorId};
use clinic_domain::patient::ProfileInput;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{AppointmentList, AppointmentView, Booked, ProfileView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::auth::{Caller, Login};
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

#[utoipa::path(get, path = "/api/me/profile", tag = "patient", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's profile", body = ProfileView),
    (status = 404, description = "`patient_profile_not_found`: none saved yet", body = ErrorBody),
    (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
))]
pub async fn profile(state: Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let profile = blocking(move || state.profiles.get(&caller.login)).await?;
    Ok(HttpResponse::Ok().json(ProfileView::from(&profile)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    full_name: String,
    /// E.164, e.g. `+6591234567`.
    #[serde(default)]
    phone: Option<String>,
    /// Default true.
    #[serde(default)]
    sms_opt_in: Option<bool>,
    /// `sms` (default) or `whatsapp`.
    #[serde(default)]
    preferred_channel: Option<String>,
}

#[utoipa::path(put, path = "/api/me/profile", tag = "patient", security(("bearer" = [])),
    request_body = ProfileBody,
    responses(
        (status = 200, description = "The saved profile", body = ProfileView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn save_profile(
    state: Data<AppState>,
    caller: Caller,
    body: Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let ProfileBody { full_name, phone, sms_opt_in, preferred_channel } = body.into_inner();
    let input = ProfileInput { full_name, phone, sms_opt_in, preferred_channel };
    let profile = blocking(move || state.profiles.save(&caller.login, &input)).await?;
    Ok(HttpResponse::Ok().json(ProfileView::from(&profile)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    doctor_id: Uuid,
    /// A slot's start, any offset.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    scheduled_start: OffsetDateTime,
}

#[utoipa::path(post, path = "/api/appointments/book", tag = "patient", security(("bearer" = [])),
    request_body = BookBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "1 to 255 visible ASCII characters; a repeat within 24 h replays the first answer")),
    responses(
        (status = 201, description = "Booked, or the replay of the booking this key made", body = Booked,
            headers(("Idempotent-Replayed" = String, description = "`true` for a replay, else `false`"))),
        (status = 400, description = "`invalid_input`, or `patient_profile_not_found`: no profile yet",
            body = ErrorBody),
        (status = 404, description = "`doctor_not_found`", body = ErrorBody),
        (status = 409, description = "`slot_taken`: another appointment holds that doctor and start",
            body = ErrorBody),
        (status = 422, description = "`slot_not_bookable` (`details.reason`: `in_the_past`, \
            `outside_schedule`, `not_on_slot_boundary`), or `idempotency_key_reused`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn book(
    state: Data<AppState>,
    Login(caller): Login,
    req: HttpRequest,
    body: Json<BookBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let request = BookingRequest {
        doctor_id: DoctorId::from_uuid(body.doctor_id),
        scheduled_start: body.scheduled_start,
    };
    let booking = state.clone();
    // Which patient the login is, in the booking's unit of work: one checkout.
    let receipt = blocking(move || {
        let login = booking.patients.patient_of(&caller.login).map_err(BookingError::from)?;
        booking.booking.book(&login, request, key)
    })
    .await?;
    Ok(booked(&state, &receipt))
}

/// A booking's 201, first or replayed.
pub(super) fn booked(state: &AppState, receipt: &BookingReceipt) -> HttpResponse {
    record_booked(state, receipt);
    HttpResponse::Created()
        .insert_header(("Idempotent-Replayed", if receipt.created { "false" } else { "true" }))
        .json(Booked { success: true, appointment: AppointmentView::from(receipt) })
}

/// A new booking (not a replay) wakes the outbox for its confirmation and is counted.
pub(crate) fn record_booked(state: &AppState, receipt: &BookingReceipt) {
    if receipt.created {
        state.wakeup.wake();
        state.metrics.record_booking();
    }
}

pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(header) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    header.to_str().ok().and_then(IdempotencyKey::parse).map(Some).ok_or_else(|| {
        let problem = "must be 1 to 255 visible ASCII characters";
        ApiError::invalid_input(format!("Idempotency-Key {problem}"))
            .with_details(json!({ "Idempotency-Key": problem }))
    })
}

#[utoipa::path(get, path = "/api/appointments", tag = "patient", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's appointments, by start", body = AppointmentList),
    (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
))]
pub async fn appointments(state: Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let appointments = blocking(move || state.booking.appointments_of(caller.login.id)).await?;
    Ok(HttpResponse::Ok()
        .json(AppointmentList { appointments: appointments.iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/api/appointments/{id}", tag = "patient", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "One of the caller's appointments")),
    responses(
        (status = 200, description = "The appointment", body = AppointmentView),
        (status = 404, description = "`appointment_not_found`, also for another patient's", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn appointment(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let appointment = blocking(move || state.booking.appointment_of(caller.login.id, id)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}

#[utoipa::path(post, path = "/api/appointments/{id}/cancel", tag = "patient", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "One of the caller's appointments")),
    responses(
        (status = 200, description = "Cancelled (also when it already was); its slot is free", body = AppointmentView),
        (status = 404, description = "`appointment_not_found`, also for another patient's", body = ErrorBody),
        (status = 409, description = "`appointment_not_cancellable`: completed or no-show", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn cancel(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let appointment = blocking(move || state.booking.cancel(caller.login.id, id)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}
