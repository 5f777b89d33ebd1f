//! The front desk: patients who phone or walk in are registered, found again, and booked
//! for. Staff routes, behind `admin::require_staff` like the rest of `/api/admin`.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use clinic_domain::booking::BookingRequest;
use clinic_domain::ids::{DoctorId, PatientId};
use clinic_domain::patient::ProfileInput;
use clinic_domain::patient_search::PatientSearch;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::patient::{booked, idempotency_key};
use super::views::{Booked, PatientFileView, PatientList, PatientView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    /// One line, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, example = "Sití Rahman")]
    full_name: String,
    /// E.164: how the clinic texts them, and how their login claims them.
    #[schema(pattern = r"^\+[1-9][0-9]{6,14}$", example = "+6591234567")]
    phone: String,
    /// Default true.
    #[serde(default)]
    sms_opt_in: Option<bool>,
    /// `sms` (default) or `whatsapp`.
    #[serde(default)]
    preferred_channel: Option<String>,
}

#[utoipa::path(post, path = "/api/admin/patients", tag = "staff", security(("bearer" = [])),
    request_body = NewPatient,
    responses(
        (status = 201, description = "The new patient, without a login; phone masked", body = PatientView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 409, description = "`patient_exists`: a patient has that phone (`details.patient_id`)",
            body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn register_patient(
    state: Data<AppState>,
    body: Json<NewPatient>,
) -> Result<HttpResponse, ApiError> {
    let NewPatient { full_name, phone, sms_opt_in, preferred_channel } = body.into_inner();
    let input = ProfileInput { full_name, phone: Some(phone), sms_opt_in, preferred_channel };
    let record = blocking(move || state.patients.register(&input)).await?;
    Ok(HttpResponse::Created().json(PatientView::from(&record)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a name (case and accents do not matter), a whole E.164 phone, or its last 4 digits.
    #[param(example = "siti")]
    q: String,
}

#[utoipa::path(get, path = "/api/admin/patients", tag = "staff", security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "At most 20 patients, by name; phones masked", body = PatientList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn search_patients(
    state: Data<AppState>,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let search = PatientSearch::parse(&query.q).map_err(|errors| ApiError::invalid_fields(&errors))?;
    let found = blocking(move || state.patients.search(&search)).await?;
    Ok(HttpResponse::Ok().json(PatientList { patients: found.iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/api/admin/patients/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The patient")),
    responses(
        (status = 200, description = "The patient and their appointments, by start", body = PatientFileView),
        (status = 404, description = "`patient_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn patient_file(state: Data<AppState>, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let id: PatientId = path_id(&id, "patient_not_found")?;
    let file = blocking(move || state.patients.file(id)).await?;
    Ok(HttpResponse::Ok().json(PatientFileView::from(&file)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBookBody {
    patient_id: Uuid,
    doctor_id: Uuid,
    /// A slot's start, any offset; one that started earlier today (clinic-local) is allowed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    scheduled_start: OffsetDateTime,
}

#[utoipa::path(post, path = "/api/admin/appointments", tag = "staff", security(("bearer" = [])),
    request_body = StaffBookBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "1 to 255 visible ASCII characters, the patient's; a repeat within 24 h replays the first answer")),
    responses(
        (status = 201, description = "Booked for the patient, or the replay of the booking this key made; \
            the confirmation goes to the patient's phone", body = Booked,
            headers(("Idempotent-Replayed" = String, description = "`true` for a replay, else `false`"))),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`patient_not_found`, `doctor_not_found`", body = ErrorBody),
        (status = 409, description = "`slot_taken`: another appointment holds that doctor and start",
            body = ErrorBody),
        (status = 422, description = "`slot_not_bookable` (`details.reason`: `in_the_past` for a slot of an \
            earlier day, `outside_schedule`, `not_on_slot_boundary`), or `idempotency_key_reused`",
            body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn book_for_patient(
    state: Data<AppState>,
    req: HttpRequest,
    body: Json<StaffBookBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let patient = PatientId::from_uuid(body.patient_id);
    let request = BookingRequest {
        doctor_id: DoctorId::from_uuid(body.doctor_id),
        scheduled_start: body.scheduled_start,
    };
    let booking = state.clone();
    let receipt = blocking(move || booking.booking.book_for(patient, request, key)).await?;
    Ok(booked(&state, &receipt))
}
