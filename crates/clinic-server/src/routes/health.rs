use actix_web::HttpResponse;
use actix_web::web::Data;

use super::blocking;
use super::views::HealthView;
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::DATABASE_UNAVAILABLE;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "`ok` while the process runs", body = HealthView)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthView { status: "ok" })
}

/// The database answers; 503 when it does not.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "`ready`: the database answers", body = HealthView),
    (status = 503, description = DATABASE_UNAVAILABLE, body = ErrorBody),
))]
pub async fn ready(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    blocking(move || state.store.ping()).await?;
    Ok(HttpResponse::Ok().json(HealthView { status: "ready" }))
}
