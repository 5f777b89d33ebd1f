use actix_web::web::{Data, Json, Path};
use actix_web::{HttpRequest, HttpResponse};
use clinic_domain::booking::{BookingRequest, IdempotencyKey};
use clinic_domain::ids::{AppointmentId, DoctorId};
use clinic_domain::patient::ProfileInput;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::views::{AppointmentView, ProfileView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

pub async fn profile(state: Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let profile = blocking(move || state.profiles.get(&caller.login)).await?;
    Ok(HttpResponse::Ok().json(ProfileView::from(&profile)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    full_name: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    sms_opt_in: Option<bool>,
    #[serde(default)]
    preferred_channel: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    doctor_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    scheduled_start: OffsetDateTime,
}

pub async fn book(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: Json<BookBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let request = BookingRequest {
        doctor_id: DoctorId::from_uuid(body.doctor_id),
        scheduled_start: body.scheduled_start,
    };
    let (wakeup, metrics) = (state.wakeup.clone(), state.metrics.clone());
    let receipt = blocking(move || state.booking.book(&caller.login, request, key)).await?;
    if receipt.created {
        wakeup.wake();
        metrics.record_booking();
    }
    Ok(HttpResponse::Created()
        .insert_header(("Idempotent-Replayed", if receipt.created { "false" } else { "true" }))
        .json(json!({ "success": true, "appointment": AppointmentView::from(&receipt) })))
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(header) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    header.to_str().ok().and_then(IdempotencyKey::parse).map(Some).ok_or_else(|| {
        let problem = "must be 1 to 255 visible ASCII characters";
        ApiError::invalid_input(format!("Idempotency-Key {problem}"))
            .with_details(json!({ "Idempotency-Key": problem }))
    })
}

pub async fn appointments(state: Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let appointments = blocking(move || state.booking.appointments_of(caller.login.id)).await?;
    let views: Vec<AppointmentView> = appointments.iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({ "appointments": views })))
}

pub async fn appointment(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let appointment = blocking(move || state.booking.appointment_of(caller.login.id, id)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}

pub async fn cancel(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let appointment = blocking(move || state.booking.cancel(caller.login.id, id)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}
