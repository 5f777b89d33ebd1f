//! CORS for a clinic's browser front end on another origin: off unless
//! `CORS_ALLOWED_ORIGINS` names the origins.

use actix_cors::Cors;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName};
use actix_web::middleware::Condition;

/// Allows `origins` the API's methods and headers, preflight included; nothing when empty.
pub fn cors(origins: &[String]) -> Condition<Cors> {
    let headers = [AUTHORIZATION, CONTENT_TYPE, HeaderName::from_static("idempotency-key")];
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(headers)
        .expose_headers([HeaderName::from_static("idempotent-replayed")])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    Condition::new(!origins.is_empty(), cors)
}
