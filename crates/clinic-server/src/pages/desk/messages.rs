//! The inbox of texts patients sent, and the clinic's messages that failed.

use actix_web::HttpResponse;
use actix_web::web::{Data, Path, Query};
use clinic_domain::ids::InboundMessageId;
use clinic_domain::notification::NotificationFilter;
use clinic_web::desk::messages;

use super::{DoneQuery, Outcome, done, respond};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::{blocking, path_id};

/// The most failed messages listed.
const FAILED_LISTED: &str = "200";

pub async fn inbox(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    inbox_page(state, &staff, Outcome::done(query.into_inner().done)).await
}

async fn inbox_page(
    state: Data<AppState>,
    staff: &Caller,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let reading = state.clone();
    let entries = blocking(move || reading.replies.inbox(false)).await?;
    Ok(respond(&state, staff, &outcome, "Inbox", |desk| messages::inbox(desk, &entries)))
}

pub async fn mark_read(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: InboundMessageId = path_id(&id, "message_not_found")?;
    let marking = state.clone();
    match blocking(move || marking.replies.mark_read(id)).await {
        Ok(_) => Ok(done("/desk/inbox", "read")),
        Err(refused) => inbox_page(state, &staff, Outcome::refused(refused)?).await,
    }
}

pub async fn failed(state: Data<AppState>, DeskStaff(staff): DeskStaff) -> Result<HttpResponse, PageError> {
    let filter = NotificationFilter::parse(Some("failed"), None, Some(FAILED_LISTED))
        .map_err(|errors| ApiError::invalid_fields(&errors))?;
    let listing = state.clone();
    let failed = blocking(move || listing.admin.notifications(filter)).await?;
    Ok(respond(&state, &staff, &Outcome::default(), "Failed messages", |desk| {
        messages::failed(desk, &failed)
    }))
}
