//! What every page route shares: a post from another site is refused before it does
//! anything, an error becomes a page in plain words, and pages tell browsers to keep
//! them to this site.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderValue, LOCATION, ORIGIN, REFERRER_POLICY,
    RETRY_AFTER, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, HttpResponse, ResponseError};
use clinic_web::link::sign_in_href;
use clinic_web::problem::{Problem, TRY_AGAIN, problem_page};

use super::PageSettings;
use crate::app::AppState;
use crate::error::ApiError;

/// Everything scripts and styles may come from: this site, nothing inline.
const CONTENT_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Why a page could not be shown. The guard turns it into the page people see.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the sign-in page, then back to `next`.
    SignIn { next: String },
    /// What the API would answer, as a page.
    Refused(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self::Refused(error)
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SignIn { next } => write!(f, "sign in to see {next}"),
            Self::Refused(error) => error.fmt(f),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Refused(error) => error.status(),
        }
    }

    /// The redirect, or a bare status: the guard renders the page (it knows the clinic).
    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { next } => {
                HttpResponse::SeeOther().insert_header((LOCATION, sign_in_href(next))).finish()
            }
            Self::Refused(error) => HttpResponse::new(error.status()),
        }
    }
}

pub async fn page_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return Err(ApiError::internal("the app state is not configured").into());
    };
    let clinic = state.booking.clinic().name.clone();
    let changes_something = !matches!(*req.method(), Method::GET | Method::HEAD);
    let mut res = if changes_something && !from_this_site(&req, &state.pages) {
        let refused =
            ApiError::forbidden("This form was sent from another website, so we did not act on it.");
        req.into_response(problem_response(&clinic, &refused))
    } else {
        let res = next.call(req).await?.map_into_boxed_body();
        match res.response().error().and_then(refusal) {
            Some(refused) => {
                let page = problem_response(&clinic, refused);
                res.into_response(page)
            }
            None => res,
        }
    };
    let headers = res.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The API's answer inside an error, when it is one the guard shows as a page (a
/// sign-in redirect is already complete).
fn refusal(error: &Error) -> Option<&ApiError> {
    match error.as_error::<PageError>() {
        Some(PageError::Refused(refused)) => Some(refused),
        Some(PageError::SignIn { .. }) => None,
        None => error.as_error::<ApiError>(),
    }
}

/// A post's `Origin` is this site's: the request's own scheme and host, or
/// `PUBLIC_BASE_URL`'s. Browsers send `Origin` with every post; none is refused.
fn from_this_site(req: &ServiceRequest, settings: &PageSettings) -> bool {
    let Some(origin) = req.headers().get(ORIGIN).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let info = req.connection_info();
    origin == format!("{}://{}", info.scheme(), info.host())
        || settings.public_origin.as_deref() == Some(origin)
}

/// The page for an error: the API's status and, for people, its message (never a 5xx's
/// cause: that went to the log).
fn problem_response(clinic: &str, refused: &ApiError) -> HttpResponse {
    let status = refused.status();
    let problem = match status {
        StatusCode::SERVICE_UNAVAILABLE => TRY_AGAIN,
        StatusCode::NOT_FOUND => Problem { title: "Not found", message: "There is no such page here." },
        StatusCode::FORBIDDEN => Problem { title: "Not allowed", message: refused.message() },
        _ if status.is_server_error() => Problem {
            title: "Something went wrong",
            message: "We couldn't finish that. Please try again; if it keeps happening, call the clinic.",
        },
        _ => Problem { title: "That didn't work", message: refused.message() },
    };
    let mut answer = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        answer.insert_header((RETRY_AFTER, 60));
    } else if let Some(seconds) = refused.retry_after() {
        answer.insert_header((RETRY_AFTER, seconds));
    }
    answer.insert_header(header::ContentType::html()).body(problem_page(clinic, &problem).into_string())
}
