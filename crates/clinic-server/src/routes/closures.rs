//! Staff close a doctor's diary (leave, a sick day) or the whole clinic (a public
//! holiday), list the closures, and remove one.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path, Query};
use clinic_domain::closure::ClosureRequest;
use clinic_domain::ids::{ClosureId, DoctorId};
use serde::{Deserialize, Deserializer};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::public::clinic_date_in;
use super::views::{ClosureList, ClosureMadeView};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    /// The doctor, or null for the whole clinic. Required: leaving it out must not
    /// close the clinic by accident.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, required = true)]
    doctor_id: Option<Option<Uuid>>,
    /// Any offset; inclusive.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-25T00:00:00+08:00")]
    starts: OffsetDateTime,
    /// Any offset; exclusive; after `starts`, at most 366 days later.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime, example = "2026-12-26T00:00:00+08:00")]
    ends: OffsetDateTime,
    /// 1 to 200 characters, one line; for the patients' cancellation texts.
    #[schema(example = "Public holiday")]
    reason: String,
    /// Cancel the appointments booked inside it; default false (they are only listed).
    #[serde(default)]
    cancel_booked: bool,
}

/// A field that is present, null or not: `Some(None)` for null, `None` when absent.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(deserializer).map(Some)
}

#[utoipa::path(post, path = "/api/admin/closures", tag = "staff", security(("bearer" = [])),
    request_body = ClosureBody,
    responses(
        (status = 201, description = "The closure, and the appointments booked inside it (`affected`), \
            cancelled with `cancel_booked`; its slots are neither offered nor bookable", body = ClosureMadeView),
        (status = 400, description = "`invalid_input`: `details` per field (`ends` not after `starts` or over \
            366 days later, `reason` empty or over 200 characters, `doctor_id` missing, …)", body = ErrorBody),
        (status = 404, description = "`doctor_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn close(state: Data<AppState>, body: Json<ClosureBody>) -> Result<HttpResponse, ApiError> {
    let ClosureBody { doctor_id, starts, ends, reason, cancel_booked } = body.into_inner();
    let Some(doctor_id) = doctor_id else {
        let problem = "required: a doctor's id, or null for the whole clinic";
        return Err(ApiError::invalid_input(format!("doctor_id is {problem}"))
            .with_details(json!({ "doctor_id": problem })));
    };
    let request =
        ClosureRequest { doctor_id: doctor_id.map(DoctorId::from_uuid), starts, ends, reason, cancel_booked };
    let made = blocking(move || state.closures.close(&request)).await?;
    Ok(HttpResponse::Created().json(ClosureMadeView::from(&made)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClosureRange {
    /// First clinic-local day.
    #[param(value_type = String, format = Date, example = "2026-12-01")]
    from: String,
    /// Last clinic-local day, included.
    #[param(value_type = String, format = Date, example = "2026-12-31")]
    to: String,
}

#[utoipa::path(get, path = "/api/admin/closures", tag = "staff", security(("bearer" = [])),
    params(ClosureRange),
    responses(
        (status = 200, description = "The closures overlapping those days, every doctor's and the clinic's, \
            by start", body = ClosureList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn list(state: Data<AppState>, range: Query<ClosureRange>) -> Result<HttpResponse, ApiError> {
    let (from, to) = (clinic_date_in("from", &range.from)?, clinic_date_in("to", &range.to)?);
    let closures = blocking(move || state.closures.between(from, to)).await?;
    Ok(HttpResponse::Ok().json(ClosureList { closures: closures.iter().map(Into::into).collect() }))
}

#[utoipa::path(delete, path = "/api/admin/closures/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The closure")),
    responses(
        (status = 204, description = "Removed: its slots are offered again; appointments it cancelled stay \
            cancelled"),
        (status = 404, description = "`closure_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn reopen(state: Data<AppState>, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let id: ClosureId = path_id(&id, "closure_not_found")?;
    blocking(move || state.closures.reopen(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
