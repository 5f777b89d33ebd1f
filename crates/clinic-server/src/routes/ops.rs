//! Ops: the reminders job for any cron.

use std::sync::atomic::AtomicBool;

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::blocking;
use super::views::ReminderSummary;
use crate::app::AppState;
use crate::auth::require_bearer_secret;
use crate::config::Secret;
use crate::error::ApiError;

/// `POST /api/cron/reminders` with `Authorization: Bearer <CRON_SECRET>`.
pub async fn reminders(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    check_cron_secret(&req, state.cron_secret.as_ref())?;
    // The run spends at most its budget; an HTTP shutdown waits for it.
    let report = blocking(move || state.reminders.run(&AtomicBool::new(false))).await?;
    Ok(HttpResponse::Ok().json(ReminderSummary::from(report)))
}

/// The bearer must equal `CRON_SECRET`, compared in constant time; without a secret
/// configured nobody passes.
fn check_cron_secret(req: &HttpRequest, secret: Option<&Secret>) -> Result<(), ApiError> {
    let secret =
        secret.ok_or_else(|| ApiError::unauthorized("the cron endpoints are off: CRON_SECRET is not set"))?;
    require_bearer_secret(req, secret, "wrong cron secret")
}
