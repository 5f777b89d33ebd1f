use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use serde::Deserialize;
use serde_json::json;
use time::Date;
use time::macros::format_description;
use utoipa::IntoParams;

use super::views::{ClinicView, DoctorList, FreeSlots};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

#[utoipa::path(get, path = "/api/clinic", tag = "public",
    responses((status = 200, description = "The clinic's name and zone", body = ClinicView)))]
pub async fn clinic(state: Data<AppState>) -> HttpResponse {
    let clinic = state.booking.clinic();
    HttpResponse::Ok().json(ClinicView { name: &clinic.name, timezone: clinic.zone.name() })
}

#[utoipa::path(get, path = "/api/doctors", tag = "public", responses(
    (status = 200, description = "Active doctors, by name", body = DoctorList),
    (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
))]
pub async fn doctors(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let doctors = blocking(move || state.booking.doctors()).await?;
    Ok(HttpResponse::Ok().json(DoctorList { doctors: doctors.iter().map(Into::into).collect() }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    /// Clinic-local day.
    #[param(value_type = String, format = Date, example = "2026-11-25")]
    date: String,
}

#[utoipa::path(get, path = "/api/doctors/{id}/slots", tag = "public",
    params(("id" = Uuid, Path, description = "The doctor"), SlotsQuery),
    responses(
        (status = 200, description = "The free slots of that day that have not started", body = FreeSlots),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`doctor_not_found`: unknown or inactive doctor", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn slots(
    state: Data<AppState>,
    id: Path<String>,
    query: Query<SlotsQuery>,
) -> Result<HttpResponse, ApiError> {
    let doctor_id = path_id(&id, "doctor_not_found")?;
    let date = clinic_date(&query.date)?;
    let zone = state.booking.clinic().zone;
    let slots = blocking(move || state.booking.free_slots(doctor_id, date)).await?;
    Ok(HttpResponse::Ok().json(FreeSlots {
        doctor_id,
        date: &query.date,
        timezone: zone.name(),
        slots: slots.iter().map(Into::into).collect(),
    }))
}

/// A clinic-local `YYYY-MM-DD`.
pub fn clinic_date(raw: &str) -> Result<Date, ApiError> {
    clinic_date_in("date", raw)
}

/// A clinic-local `YYYY-MM-DD` in the query parameter `field`.
pub fn clinic_date_in(field: &str, raw: &str) -> Result<Date, ApiError> {
    Date::parse(raw, format_description!("[year]-[month]-[day]")).map_err(|_| {
        ApiError::invalid_input(format!("{field} must be YYYY-MM-DD"))
            .with_details(json!({ field: "must be a date YYYY-MM-DD" }))
    })
}
