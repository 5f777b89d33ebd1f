//! The staff inbox: texts patients sent that no reply rule handled, newest first.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use clinic_domain::ids::{AppointmentId, InboundMessageId, PatientId};
use clinic_domain::inbound::InboxEntry;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::views::{utc, utc_option};
use super::{blocking, path_id};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::{DATABASE_UNAVAILABLE, INVALID_INPUT};

/// A kept text as staff see it; the sender's phone is masked.
#[derive(Serialize, ToSchema)]
pub struct InboxMessageView<'a> {
    #[schema(value_type = Uuid)]
    pub id: InboundMessageId,
    /// The patient, when the clinic knows the number (the visit's patient, or the
    /// oldest profile with that phone).
    #[schema(value_type = Option<Uuid>)]
    pub patient_id: Option<PatientId>,
    pub patient_name: Option<&'a str>,
    /// Masked, e.g. `+65****4567`; null when the sender was no phone number.
    pub from: Option<String>,
    /// As sent: any Unicode, possibly empty; cut with a note past 2000 characters.
    pub body: &'a str,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(serialize_with = "utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<OffsetDateTime>,
    /// The visit last reminded at that number, when there was one.
    #[schema(value_type = Option<Uuid>)]
    pub appointment_id: Option<AppointmentId>,
}

impl<'a> From<&'a InboxEntry> for InboxMessageView<'a> {
    fn from(entry: &'a InboxEntry) -> Self {
        let m = &entry.message;
        Self {
            id: m.id,
            patient_id: m.patient_id,
            patient_name: entry.patient_name.as_deref(),
            from: m.from.as_ref().map(|p| p.masked()),
            body: &m.body,
            received_at: m.received_at,
            read_at: m.read_at,
            appointment_id: m.appointment_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InboxList<'a> {
    pub messages: Vec<InboxMessageView<'a>>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only messages nobody marked read yet.
    #[serde(default)]
    unread: bool,
}

#[utoipa::path(get, path = "/api/admin/inbox", tag = "staff", security(("bearer" = [])),
    params(InboxQuery),
    responses(
        (status = 200, description = "Texts patients sent that were no STOP, START, HELP or acted-on reply, \
            newest first, at most 500; phones masked", body = InboxList),
        (status = 400, description = INVALID_INPUT, body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn list(state: Data<AppState>, query: Query<InboxQuery>) -> Result<HttpResponse, ApiError> {
    let unread = query.unread;
    let entries = blocking(move || state.replies.inbox(unread)).await?;
    Ok(HttpResponse::Ok().json(InboxList { messages: entries.iter().map(Into::into).collect() }))
}

#[utoipa::path(post, path = "/api/admin/inbox/{id}/read", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The message")),
    responses(
        (status = 200, description = "The message, read; marking it again keeps the first `read_at`",
            body = InboxMessageView),
        (status = 404, description = "`message_not_found`", body = ErrorBody),
        (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
    ))]
pub async fn mark_read(state: Data<AppState>, id: Path<String>) -> Result<HttpResponse, ApiError> {
    let id: InboundMessageId = path_id(&id, "message_not_found")?;
    let entry = blocking(move || state.replies.mark_read(id)).await?;
    Ok(HttpResponse::Ok().json(InboxMessageView::from(&entry)))
}
