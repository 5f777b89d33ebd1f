//! `GET /metrics`, for Prometheus.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::blocking;
use crate::app::AppState;
use crate::auth::require_bearer_secret;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{CONTENT_TYPE, Scrape};

/// Open, or with `Authorization: Bearer <METRICS_TOKEN>` when that is set. A database
/// that does not answer leaves the outbox gauges out but not the rest.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses(
    (status = 200, description = "Prometheus text format 0.0.4: the families of docs/operations.md",
        content_type = "text/plain", body = String),
    (status = 401, description = "`unauthorized`: `METRICS_TOKEN` is set and the bearer is missing or wrong",
        body = ErrorBody),
))]
pub async fn scrape(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        require_bearer_secret(&req, token, "wrong metrics token")?;
    }
    let store = state.store.clone();
    let backlog = blocking(move || store.outbox_backlog()).await.ok();
    let scrape = Scrape { now: state.clock.now(), backlog, pool: state.store.pool_state() };
    let text = state.metrics.render(&scrape).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}
