//! Staff routes. The whole `/api/admin` scope is behind [`require_staff`].

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{FromRequest, HttpResponse};
use clinic_domain::admin::{DoctorChanges, NotificationFilter};
use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::ids::{AppointmentId, DoctorId};
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::public::clinic_date;
use super::views::{AppointmentView, DayEntryView, NotificationView, StaffDoctorView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::auth::Staff;
use crate::error::ApiError;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDoctor {
    name: String,
    specialty: String,
}

pub async fn create_doctor(state: Data<AppState>, body: Json<NewDoctor>) -> Result<HttpResponse, ApiError> {
    let doctor = blocking(move || state.admin.create_doctor(&body.name, &body.specialty)).await?;
    Ok(HttpResponse::Created().json(StaffDoctorView::from(&doctor)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctorPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    specialty: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    slot_minutes: i64,
    weekly: Vec<OpeningBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningBody {
    weekday: i64,
    start: String,
    end: String,
}

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

#[derive(Deserialize)]
pub struct DayQuery {
    date: String,
    #[serde(default)]
    doctor_id: Option<String>,
}

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
    let views: Vec<DayEntryView> = entries.iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({ "appointments": views })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    status: String,
}

pub async fn set_status(
    state: Data<AppState>,
    id: Path<String>,
    body: Json<StatusBody>,
) -> Result<HttpResponse, ApiError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let wanted = match body.status.parse() {
        Ok(
            status
            @ (AppointmentStatus::Completed | AppointmentStatus::NoShow | AppointmentStatus::Cancelled),
        ) => status,
        _ => {
            let problem = "must be \"completed\", \"no_show\" or \"cancelled\"";
            return Err(ApiError::invalid_input(format!("status {problem}"))
                .with_details(json!({ "status": problem })));
        }
    };
    let appointment = blocking(move || state.admin.set_status(id, wanted)).await?;
    Ok(HttpResponse::Ok().json(AppointmentView::from(&appointment)))
}

#[derive(Deserialize)]
pub struct NotificationQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

pub async fn notifications(
    state: Data<AppState>,
    query: Query<NotificationQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter =
        NotificationFilter::parse(query.status.as_deref(), query.kind.as_deref(), query.limit.as_deref())
            .map_err(|errors| ApiError::invalid_fields(&errors))?;
    let notifications = blocking(move || state.admin.notifications(filter)).await?;
    let views: Vec<NotificationView> = notifications.iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({ "notifications": views })))
}
