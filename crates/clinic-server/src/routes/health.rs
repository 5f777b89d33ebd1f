use actix_web::HttpResponse;
use actix_web::web::Data;
use serde_json::json;

use super::blocking;
use crate::app::AppState;
use crate::error::ApiError;

/// The process is up.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers; 503 when it does not.
pub async fn ready(state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    blocking(move || state.store.ping()).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
