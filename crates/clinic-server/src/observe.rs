//! What every request leaves behind: an id, echoed as `X-Request-Id` and carried by every
//! log line of the request (blocking work included, see `routes::blocking`); one access
//! log line; and its count and latency in the metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use tracing::Instrument;
use uuid::Uuid;

use crate::app::AppState;
use crate::metrics::UNMATCHED_ROUTE;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's id longer than this is replaced, so nobody can fill the log through it.
const MAX_REQUEST_ID: usize = 128;

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(req.headers().get(&REQUEST_ID));
    let span = tracing::info_span!("request", request_id = %id);
    // Read before the call: routing needs the request to itself meanwhile.
    let (method, path) = (req.method().clone(), req.path().to_owned());
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let peer = req.peer_addr().map(|addr| addr.ip().to_string()).unwrap_or_default();
    let metrics = req.app_data::<Data<AppState>>().map(|state| state.metrics.clone());
    // Handlers, extractors and our middlewares answer their errors; an `Err` here would
    // come from actix itself, and is still logged and counted, though without the header.
    let result = next.call(req).instrument(span.clone()).await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    let took = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.record_request(&route, &method, status.as_u16(), took);
    }
    // The path without its query: a query is the client's to fill, and may hold anything.
    let ms = took.as_secs_f64() * 1e3;
    span.in_scope(|| tracing::info!("{peer} \"{method} {path}\" {} {ms:.1}ms", status.as_u16()));
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// The client's `X-Request-Id` when it is 1 to 128 visible ASCII characters (so it can
/// go into a log line and a header as it is); otherwise a new UUID.
fn request_id(given: Option<&HeaderValue>) -> String {
    given
        .and_then(|value| value.to_str().ok())
        .filter(|id| (1..=MAX_REQUEST_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_for(given: &str) -> String {
        request_id(Some(&HeaderValue::from_str(given).unwrap()))
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        assert_eq!(id_for("checkout-7f3a.2"), "checkout-7f3a.2");
        assert_eq!(id_for(&"a".repeat(128)), "a".repeat(128));
    }

    #[test]
    fn a_missing_empty_long_or_odd_id_is_replaced_by_a_uuid() {
        let replaced = [id_for(""), id_for(&"a".repeat(129)), id_for("two words"), request_id(None)];
        for id in replaced {
            assert!(Uuid::parse_str(&id).is_ok(), "{id}");
        }
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(Uuid::parse_str(&request_id(Some(&latin1))).is_ok());
    }
}
