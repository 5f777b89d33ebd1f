//! The day list, marking outcomes and cancels, and moving a visit.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use clinic_domain::booking::{Move, Requester};
use clinic_domain::ids::AppointmentId;
use clinic_web::desk::slots::move_visit;
use clinic_web::desk::today::{DayList, today};
use clinic_web::when;
use serde::Deserialize;

use super::slots::{Choice, SlotForm};
use super::{Outcome, clinic_day, day_or_today, doctor_field, doctors, done, respond};
use crate::app::AppState;
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::admin::outcome;
use crate::routes::{blocking, path_id};

#[derive(Deserialize)]
pub struct DayQuery {
    date: Option<String>,
    done: Option<String>,
}

pub async fn show(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    query: Query<DayQuery>,
) -> Result<HttpResponse, PageError> {
    let DayQuery { date, done } = query.into_inner();
    day_page(state, &staff, date.as_deref(), Outcome::done(done)).await
}

async fn day_page(
    state: Data<AppState>,
    staff: &crate::auth::Caller,
    date: Option<&str>,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let date = day_or_today(&state, date)?;
    let doctors = doctors(&state).await?;
    let day = state.clone();
    let entries = blocking(move || day.admin.day(date, None)).await?;
    let list = DayList { date, doctors: &doctors, entries: &entries };
    Ok(respond(&state, staff, &outcome, "Day list", |desk| today(desk, &list)))
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    /// The day the list showed, to go back to.
    #[serde(default)]
    date: String,
}

pub async fn set_status(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<StatusForm>,
) -> Result<HttpResponse, PageError> {
    let StatusForm { status, reason, date } = form.into_inner();
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let wanted = outcome(&status)?;
    let changing = state.clone();
    let reason = Some(reason).filter(|r| !r.trim().is_empty());
    let changed = blocking(move || changing.admin.set_status(id, wanted, reason.as_deref())).await;
    back_to_day(state, &staff, &date, changed, wanted.as_str()).await
}

/// Back to the day list of `date`, saying `done`; or, refused, the list saying why.
async fn back_to_day<T>(
    state: Data<AppState>,
    staff: &crate::auth::Caller,
    date: &str,
    changed: Result<T, ApiError>,
    done_key: &str,
) -> Result<HttpResponse, PageError> {
    match changed {
        Ok(_) => {
            let day = when::iso_day(day_or_today(&state, Some(date))?);
            Ok(done(&format!("/desk?date={day}"), done_key))
        }
        Err(refused) => day_page(state, staff, Some(date), Outcome::refused(refused)?).await,
    }
}

#[derive(Deserialize)]
pub struct ArrivedForm {
    #[serde(default)]
    date: String,
}

pub async fn arrived(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<ArrivedForm>,
) -> Result<HttpResponse, PageError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let marking = state.clone();
    let marked = blocking(move || marking.admin.mark_arrived(id)).await;
    back_to_day(state, &staff, &form.date, marked, "arrived").await
}

#[derive(Deserialize)]
pub struct MoveQuery {
    doctor: Option<String>,
    date: Option<String>,
}

pub async fn show_move(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    query: Query<MoveQuery>,
) -> Result<HttpResponse, PageError> {
    let MoveQuery { doctor, date } = query.into_inner();
    move_page(state, &staff, &id, doctor.as_deref().unwrap_or_default(), date.as_deref(), Outcome::default())
        .await
}

async fn move_page(
    state: Data<AppState>,
    staff: &crate::auth::Caller,
    id: &str,
    doctor: &str,
    date: Option<&str>,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let id: AppointmentId = path_id(id, "appointment_not_found")?;
    let choice = Choice::of(&state, doctor, date).await?;
    let path = format!("/desk/appointments/{id}/move");
    let picker = choice.picker(&path, &path, "Move here", &[]);
    Ok(respond(&state, staff, &outcome, "Move a visit", |desk| move_visit(desk, &picker)))
}

pub async fn move_to(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<SlotForm>,
) -> Result<HttpResponse, PageError> {
    let raw_id = id.into_inner();
    let id: AppointmentId = path_id(&raw_id, "appointment_not_found")?;
    let start = form.start()?;
    let to = Move { scheduled_start: start, doctor_id: doctor_field("doctor_id", &form.doctor_id)? };
    let moving = state.clone();
    match blocking(move || moving.booking.reschedule(Requester::Staff, id, to)).await {
        Ok(moved) => Ok(done(&format!("/desk?date={}", clinic_day(&state, moved.scheduled_start)), "moved")),
        Err(refused) => {
            let date = clinic_day(&state, start);
            move_page(state, &staff, &raw_id, &form.doctor_id, Some(&date), Outcome::refused(refused)?).await
        }
    }
}
