//! Closing a doctor's days or the clinic's, listing closures, reopening one.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use clinic_domain::closure::ClosureRequest;
use clinic_domain::ids::ClosureId;
use clinic_web::desk::closures::{Closing, closures};
use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::{DoneQuery, Outcome, doctor_field, doctors, done, respond, today};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::public::clinic_date_in;
use crate::routes::{blocking, path_id};

/// How far ahead the list looks.
const LISTED_DAYS: i64 = 180;

pub async fn show(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    page(state, &staff, &Closing::default(), Outcome::done(query.into_inner().done)).await
}

async fn page(
    state: Data<AppState>,
    staff: &Caller,
    closing: &Closing<'_>,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let doctors = doctors(&state).await?;
    let from = today(&state);
    let to = from.saturating_add(time::Duration::days(LISTED_DAYS));
    let listing = state.clone();
    let listed = blocking(move || listing.closures.between(from, to)).await?;
    Ok(respond(&state, staff, &outcome, "Closures", |desk| closures(desk, &doctors, &listed, closing)))
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    doctor_id: String,
    /// The first day closed.
    #[serde(default)]
    starts: String,
    /// The last day closed, included.
    #[serde(default)]
    ends: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    cancel_booked: Option<String>,
}

pub async fn close(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    form: Form<CloseForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let closing = Closing {
        first_day: &form.starts,
        last_day: &form.ends,
        reason: &form.reason,
        cancel_booked: form.cancel_booked.is_some(),
    };
    let request = match closure_request(&state, &form) {
        Ok(request) => request,
        Err(refused) => return page(state, &staff, &closing, Outcome::refused(refused)?).await,
    };
    let closing_now = state.clone();
    match blocking(move || closing_now.closures.close(&request)).await {
        Ok(_) => Ok(done("/desk/closures", "closed")),
        Err(refused) => page(state, &staff, &closing, Outcome::refused(refused)?).await,
    }
}

/// Whole clinic-local days, from the start of the first to the end of the last.
fn closure_request(state: &AppState, form: &CloseForm) -> Result<ClosureRequest, ApiError> {
    let zone = &state.booking.clinic().zone;
    let first = clinic_date_in("starts", &form.starts)?;
    let last = clinic_date_in("ends", &form.ends)?;
    let bounds =
        |day: Date| zone.day(day).ok_or_else(|| ApiError::invalid_input("that day is outside the calendar"));
    let starts: OffsetDateTime = bounds(first)?.0;
    let ends: OffsetDateTime = bounds(last)?.1;
    Ok(ClosureRequest {
        doctor_id: doctor_field("doctor_id", &form.doctor_id)?,
        starts,
        ends,
        reason: form.reason.clone(),
        cancel_booked: form.cancel_booked.is_some(),
    })
}

pub async fn reopen(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: ClosureId = path_id(&id, "closure_not_found")?;
    let reopening = state.clone();
    match blocking(move || reopening.closures.reopen(id)).await {
        Ok(()) => Ok(done("/desk/closures", "reopened")),
        Err(refused) => page(state, &staff, &Closing::default(), Outcome::refused(refused)?).await,
    }
}
