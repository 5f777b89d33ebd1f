//! What one client may make the server hold: a header's size, how long a request body
//! may take to arrive, and how long a connection may sit idle (actix's timeouts, set in
//! `app::http_server`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use futures_core::Stream;

use crate::error::ApiError;

/// One header (name and value) over this is refused with 431; a JWT is about 1 KiB.
pub const MAX_HEADER: usize = 8 * 1024;
/// How long a connection may take to send a request head, and may stay idle between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// A request body must have arrived this long after its head, or the request ends in 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Refuses oversized headers and puts a deadline on the body.
pub async fn request_limits<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let oversized = req.headers().iter().find(|(name, value)| name.as_str().len() + value.len() > MAX_HEADER);
    if let Some((name, _)) = oversized {
        let refused = ApiError::header_too_large(name.as_str());
        return Ok(req.error_response(refused).map_into_right_body());
    }
    let body = req.take_payload();
    if !matches!(body, Payload::None) {
        let timer = Box::pin(sleep(BODY_TIMEOUT));
        req.set_payload(Payload::Stream { payload: Box::pin(Deadline { body, timer, expired: false }) });
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// A body that fails with `TimedOut` once its deadline passes, however it trickles in.
struct Deadline {
    body: Payload,
    timer: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(chunk) = Pin::new(&mut this.body).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.expired = true;
                let late = io::Error::new(io::ErrorKind::TimedOut, "the request body took too long");
                Poll::Ready(Some(Err(PayloadError::Io(late))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Raises this process's soft limit of open files to its hard limit, so idle connections
/// cannot exhaust a default of 1024 while the machine allows more; the limit now.
pub fn raise_open_files_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}
