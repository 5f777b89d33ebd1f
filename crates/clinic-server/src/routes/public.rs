use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use serde::Deserialize;
use serde_json::json;
use time::Date;
use time::macros::format_description;

use super::views::{DoctorView, SlotView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::ApiError;

pub async fn clinic(state: Data<AppState>) -> HttpResponse {
    let clinic = state.booking.clinic();
    HttpResponse::Ok().json(json!({ "name": clinic.name, "timezone": clinic.zone.name() }))
}

pub async fn doctors(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let doctors = blocking(move || state.booking.doctors()).await?;
    let views: Vec<DoctorView> = doctors.iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({ "doctors": views })))
}

#[derive(Deserialize)]
pub struct SlotsQuery {
    date: String,
}

pub async fn slots(
    state: Data<AppState>,
    id: Path<String>,
    query: Query<SlotsQuery>,
) -> Result<HttpResponse, ApiError> {
    let doctor_id = path_id(&id, "doctor_not_found")?;
    let date = clinic_date(&query.date)?;
    let zone = state.booking.clinic().zone;
    let slots = blocking(move || state.booking.free_slots(doctor_id, date)).await?;
    let views: Vec<SlotView> = slots.iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({
        "doctor_id": doctor_id,
        "date": query.date,
        "timezone": zone.name(),
        "slots": views,
    })))
}

/// A clinic-local `YYYY-MM-DD`.
pub fn clinic_date(raw: &str) -> Result<Date, ApiError> {
    Date::parse(raw, format_description!("[year]-[month]-[day]")).map_err(|_| {
        ApiError::invalid_input("date must be YYYY-MM-DD")
            .with_details(json!({ "date": "must be a date YYYY-MM-DD" }))
    })
}
