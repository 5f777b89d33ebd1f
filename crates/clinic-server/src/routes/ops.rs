//! Ops: the reminders job for any cron.

use std::sync::atomic::AtomicBool;

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::blocking_apart;
use super::views::ReminderSummary;
use crate::app::AppState;
use crate::auth::require_bearer_secret;
use crate::config::Secret;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::DATABASE_UNAVAILABLE;

/// `POST /api/cron/reminders` with `Authorization: Bearer <CRON_SECRET>`.
#[utoipa::path(post, path = "/api/cron/reminders", tag = "ops", security(("cron_secret" = [])), responses(
    (status = 200, description = "Rows this run handled, sent, failed or left for a retry, skipped",
        body = ReminderSummary),
    (status = 401, description = "`unauthorized`: missing or wrong secret, or `CRON_SECRET` unset",
        body = ErrorBody),
    (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
))]
pub async fn reminders(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    check_cron_secret(&req, state.cron_secret.as_ref())?;
    // The run spends at most its budget; an HTTP shutdown waits for it.
    let report = blocking_apart(move || state.reminders.run(&AtomicBool::new(false))).await?;
    Ok(HttpResponse::Ok().json(ReminderSummary::from(report)))
}

/// The bearer must equal `CRON_SECRET`, compared in constant time; without a secret
/// configured nobody passes.
fn check_cron_secret(req: &HttpRequest, secret: Option<&Secret>) -> Result<(), ApiError> {
    let secret =
        secret.ok_or_else(|| ApiError::unauthorized("the cron endpoints are off: CRON_SECRET is not set"))?;
    require_bearer_secret(req, secret, "wrong cron secret")
}
