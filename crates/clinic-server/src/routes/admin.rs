//! Staff routes. The whole `/api/admin` scope is behind [`require_staff`].

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{FromRequest, HttpResponse};
use clinic_domain::admin::DoctorChanges;
use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::ids::{AppointmentId, DoctorId};
use clinic_domain::notification::NotificationFilter;
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::public::clinic_date;
use super::views::{AppointmentView, ArrivalView, DayList, NotificationList, StaffDoctorView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

/// Staff or admin tokens pass; no token is 401, a patient's is 403. The refusal is an
/// answer, not an error, so the middleware around it sees it as any other.
pub async fn require_staff(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Err(refused) = Staff::extract(req.request()).await {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDoctor {
    name: String,
    specialty: String,
}

#[utoipa::path(post, path = "/api/admin/doctors", tag = "staff", security(("bearer" = [])),
    request_body = NewDoctor,
    responses(
        (status = 201, description = "The new doctor: active, no openings yet", body = StaffDoctorView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn create_doctor(state: Data<AppState>, body: Json<NewDoctor>) -> Result<HttpResponse, ApiError> {
    let doctor = blocking(move || state.admin.create_doctor(&body.name, &body.specialty)).await?;
    Ok(HttpResponse::Created().json(StaffDoctorView::from(&doctor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoctorPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    specialty: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

#[utoipa::path(patch, path = "/api/admin/doctors/{id}", tag = "staff", security(("bearer" = [])),
    request_body = DoctorPatch,
    params(("id" = Uuid, Path, description = "The doctor")),
    responses(
        (status = 200, description = "The changed doctor; an inactive one cannot be booked", body = StaffDoctorView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`doctor_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn update_doctor(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<DoctorPatch>,
) -> Result<HttpResponse, ApiError> {
    let id: DoctorId = path_id(&id, "doctor_not_found")?;
    let DoctorPatch { name, specialty, active } = body.into_inner();
    let changes = DoctorChanges { name, specialty, active };
    let doctor = blocking(move || state.admin.update_doctor(id, &changes)).await?;
    Ok(HttpResponse::Ok().json(StaffDoctorView::from(&doctor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    #[schema(minimum = 5, maximum = 240)]
    slot_minutes: i64,
    weekly: Vec<OpeningBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningBody {
    /// Monday = 1 to Sunday = 7.
    #[schema(minimum = 1, maximum = 7)]
    weekday: i64,
    /// Clinic-local `HH:MM`.
    #[schema(example = "09:00")]
    start: String,
    #[schema(example = "12:30")]
    end: String,
}

#[utoipa::path(put, path = "/api/admin/doctors/{id}/schedule", tag = "staff", security(("bearer" = [])),
    request_body = ScheduleBody,
    params(("id" = Uuid, Path, description = "The doctor")),
    responses(
        (status = 200, description = "The doctor with the new schedule; bookings stay", body = StaffDoctorView),
        (status = 400, description = "`invalid_input`, `details` per field (`slot_minutes`, `weekly[0].start`, …)",
            body = ErrorBody),
        (status = 404, description = "`doctor_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn replace_schedule(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<ScheduleBody>,
) -> Result<HttpResponse, ApiError> {
    let id: DoctorId = path_id(&id, "doctor_not_found")?;
    let ScheduleBody { slot_minutes, weekly } = body.into_inner();
    let input = ScheduleInput {
        slot_minutes,
        weekly: weekly
            .into_iter()
            .map(|o| OpeningHoursInput { weekday: o.weekday, start: o.start, end: o.end })
            .collect(),
    };
    let doctor = blocking(move || state.admin.replace_schedule(id, &input)).await?;
    Ok(HttpResponse::Ok().json(StaffDoctorView::from(&doctor)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// Clinic-local day.
    #[param(value_type = String, format = Date, example = "2026-11-25")]
    date: String,
    /// Only this doctor's.
    #[serde(default)]
    #[param(value_type = Option<Uuid>)]
    doctor_id: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/appointments", tag = "staff", security(("bearer" = [])),
    params(DayQuery),
    responses(
        (status = 200, description = "Every appointment starting that day, cancelled ones too, by start; \
            phones masked", body = DayList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn day(state: Data<AppState>, query: Query<DayQuery>) -> Result<HttpResponse, ApiError> {
    let date = clinic_date(&query.date)?;
    let doctor = match query.doctor_id.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(DoctorId::from_uuid(raw.parse::<Uuid>().map_err(|_| {
            ApiError::invalid_input("doctor_id must be a UUID")
                .with_details(json!({ "doctor_id": "must be a UUID" }))
        })?)),
    };
    let entries = blocking(move || state.admin.day(date, doctor)).await?;
    Ok(HttpResponse::Ok().json(DayList { appointments: entries.iter().map(Into::into).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `completed`, `no_show` or `cancelled`.
    #[schema(example = "completed")]
    status: String,
    /// For a cancel: told to the patient in their cancellation text (at most 160 characters).
    #[serde(default)]
    #[schema(example = "Doctor unwell")]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/admin/appointments/{id}/status", tag = "staff", security(("bearer" = [])),
    request_body = StatusBody,
    params(("id" = Uuid, Path, description = "The appointment")),
    responses(
        (status = 200, description = "The appointment with its new status", body = AppointmentView),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 404, description = "`appointment_not_found`", body = ErrorBody),
        (status = 409, description = "`status_change_refused`, `details.reason` `not_started` or `closed`",
            body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn set_status(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let wanted = outcome(&body.status)?;
    let appointment = blocking(move || state.admin.set_status(id, wanted, body.reason.as_deref())).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}

#[utoipa::path(post, path = "/api/admin/appointments/{id}/arrived", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The appointment")),
    responses(
        (status = 200, description = "The patient is at the clinic: `arrived_at` set (marking again keeps the \
            first time); the visit stays booked; nobody is texted", body = ArrivalView),
        (status = 404, description = "`appointment_not_found`", body = ErrorBody),
        (status = 409, description = "`status_change_refused`, `details.reason` `closed` (not booked) or \
            `not_today` (the visit is on another clinic-local day)", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn mark_arrived(state: Data<AppState>, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let (appointment, arrived_at) = blocking(move || state.admin.mark_arrived(id)).await?;
    Ok(HttpResponse::Ok().json(ArrivalView { appointment: AppointmentView::from(&appointment), arrived_at }))
}

/// The status staff may set: what became of a visit, or the clinic's cancel.
pub(crate) fn outcome(raw: &str) -> Result<AppointmentStatus, ApiError> {
    match raw.parse() {
        Ok(
            status
            @ (AppointmentStatus::Completed | AppointmentStatus::NoShow | AppointmentStatus::Cancelled),
        ) => Ok(status),
        _ => {
            let problem = "must be \"completed\", \"no_show\" or \"cancelled\"";
            Err(ApiError::invalid_input(format!("status {problem}"))
                .with_details(json!({ "status": problem })))
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only rows in this delivery state.
    #[serde(default)]
    status: Option<String>,
    /// `confirmation` or `reminder`.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// Default 50.
    #[serde(default)]
    #[param(value_type = Option<u16>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/notifications", tag = "staff", security(("bearer" = [])),
    params(NotificationQuery),
    responses(
        (status = 200, description = "The outbox, newest first; phones masked", body = NotificationList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn notifications(
    state: Data<AppState>,
    query: Query<NotificationQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter =
        NotificationFilter::parse(query.status.as_deref(), query.kind.as_deref(), query.limit.as_deref())
            .map_err(|errors| ApiError::invalid_fields(&errors))?;
    let notifications = blocking(move || state.admin.notifications(filter)).await?;
    Ok(HttpResponse::Ok()
        .json(NotificationList { notifications: notifications.iter().map(Into::into).collect() }))
}
