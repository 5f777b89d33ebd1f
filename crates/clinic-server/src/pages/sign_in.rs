//! Signing in on the pages: the phone, then the code texted to it, then the session
//! cookie. The same `SignIn` service and limits as `POST /api/auth/otp` and `/verify`.

use actix_web::http::StatusCode;
use actix_web::http::header::{LOCATION, RETRY_AFTER};
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use clinic_domain::sign_in::SignIn;
use clinic_web::form::Problems;
use clinic_web::layout::{Frame, Width};
use clinic_web::sign_in::{SignInPage, code_form, phone_form};
use serde::Deserialize;

use super::session::{session_cookie, signed_out_cookie};
use super::{PageError, Visitor};
use crate::app::AppState;
use crate::auth::TokenKeys;
use crate::error::ApiError;
use crate::routes::blocking;
use crate::routes::sign_in::TOKEN_TTL;

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct PhoneGiven {
    #[serde(default)]
    next: String,
    #[serde(default)]
    phone: String,
}

#[derive(Deserialize)]
pub struct CodeGiven {
    #[serde(default)]
    next: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// Where to go once signed in: a path of this site only, never elsewhere (`//evil`),
/// with a plain query (the doctor, day and slot picked before signing in).
fn local_path(next: &str) -> &str {
    let (path, query) = next.split_once('?').unwrap_or((next, ""));
    let plain = path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
        && query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:=&%".contains(&b));
    if plain { next } else { "/" }
}

/// A form shown again: what was wrong, next to its field or above the form.
struct Retry {
    status: StatusCode,
    problems: Problems,
    notice: Option<String>,
    retry_after: Option<u64>,
}

/// A 4xx is the form's to show; anything else (the database down) is the guard's page.
fn retry(refused: ApiError, field: &str) -> Result<Retry, PageError> {
    if !refused.status().is_client_error() {
        return Err(refused.into());
    }
    let mut problems = refused.field_messages();
    let notice = match refused.retry_after() {
        Some(seconds) => Some(format!("Too many tries. Please wait {} and try again.", wait(seconds))),
        None if problems.is_empty() => {
            problems.insert(field.to_owned(), refused.message().to_owned());
            None
        }
        None => None,
    };
    Ok(Retry { status: refused.status(), problems, notice, retry_after: refused.retry_after() })
}

/// `a minute`, `3 minutes`: a wait as people say it, rounded up.
fn wait(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 | 1 => "a minute".to_owned(),
        minutes => format!("{minutes} minutes"),
    }
}

fn sign_in_page<'a>(
    state: &'a AppState,
    next: &'a str,
    problems: &'a Problems,
    notice: Option<&'a str>,
) -> SignInPage<'a> {
    SignInPage {
        frame: Frame {
            clinic: &state.booking.clinic().name,
            title: "Sign in",
            width: Width::Phone,
            who: None,
        },
        next: local_path(next),
        problems,
        notice,
        codes_in_terminal: state.pages.codes_in_terminal,
    }
}

fn shown_again(retry: &Retry, body: String) -> HttpResponse {
    let mut answer = HttpResponse::build(retry.status);
    if let Some(seconds) = retry.retry_after {
        answer.insert_header((RETRY_AFTER, seconds));
    }
    answer.content_type("text/html; charset=utf-8").body(body)
}

pub async fn show(state: Data<AppState>, query: Query<Next>, _visitor: Visitor) -> HttpResponse {
    let none = Problems::new();
    let page = sign_in_page(&state, &query.next, &none, None);
    super::html(phone_form(&page, ""))
}

pub async fn send_code(
    req: HttpRequest,
    state: Data<AppState>,
    sign_in: Data<SignIn>,
    form: Form<PhoneGiven>,
) -> Result<HttpResponse, PageError> {
    let PhoneGiven { next, phone } = form.into_inner();
    // The connection's own address: a forwarded-for header is whatever the caller says.
    let client = req.peer_addr().map(|addr| addr.ip().to_string()).unwrap_or_default();
    let asked = phone.clone();
    match blocking(move || sign_in.request_code(&asked, &client)).await {
        Ok(()) => {
            let none = Problems::new();
            let page = sign_in_page(&state, &next, &none, None);
            Ok(super::html(code_form(&page, phone.trim())))
        }
        Err(refused) => {
            let retry = retry(refused, "phone")?;
            let page = sign_in_page(&state, &next, &retry.problems, retry.notice.as_deref());
            Ok(shown_again(&retry, phone_form(&page, &phone).into_string()))
        }
    }
}

pub async fn check_code(
    state: Data<AppState>,
    sign_in: Data<SignIn>,
    tokens: Data<TokenKeys>,
    form: Form<CodeGiven>,
) -> Result<HttpResponse, PageError> {
    let CodeGiven { next, phone, code } = form.into_inner();
    let (asked, given) = (phone.clone(), code.trim().to_owned());
    match blocking(move || sign_in.verify(&asked, &given)).await {
        Ok(signed_in) => {
            let token = tokens.issue_signed_in(&signed_in, TOKEN_TTL).map_err(ApiError::internal)?;
            let landing = match local_path(&next) {
                "/" if signed_in.staff.is_some() => "/desk",
                path => path,
            };
            Ok(HttpResponse::SeeOther()
                .cookie(session_cookie(token, TOKEN_TTL, &state.pages))
                .insert_header((LOCATION, landing.to_owned()))
                .finish())
        }
        Err(refused) => {
            let retry = retry(refused, "code")?;
            let page = sign_in_page(&state, &next, &retry.problems, retry.notice.as_deref());
            Ok(shown_again(&retry, code_form(&page, &phone).into_string()))
        }
    }
}

pub async fn sign_out(state: Data<AppState>) -> HttpResponse {
    HttpResponse::SeeOther().cookie(signed_out_cookie(&state.pages)).insert_header((LOCATION, "/")).finish()
}

#[cfg(test)]
mod tests {
    use super::{local_path, wait};

    #[test]
    fn a_wait_is_said_in_whole_minutes_rounded_up() {
        assert_eq!(wait(1), "a minute");
        assert_eq!(wait(60), "a minute");
        assert_eq!(wait(61), "2 minutes");
        assert_eq!(wait(3600), "60 minutes");
    }

    #[test]
    fn only_a_plain_path_of_this_site_is_a_place_to_return_to() {
        assert_eq!(local_path("/desk"), "/desk");
        assert_eq!(local_path("//evil.example.com"), "/");
        assert_eq!(local_path("https://evil.example.com/"), "/");
        assert_eq!(local_path("/desk?x=\"><script>"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/\\evil.example.com"), "/");
        assert_eq!(local_path("/?//evil.example.com"), "/", "no slash in the query");
        assert_eq!(local_path("?next=/"), "/");
        assert_eq!(local_path("/?doctor=x&day=y/../"), "/");
    }

    #[test]
    fn the_page_picked_before_signing_in_is_returned_to_with_its_query() {
        let next = "/?doctor=2c8a1f0e-7d9b-4c39-9f1e-1a2b3c4d5e6f&day=2026-11-25&slot=2026-11-25T01:30:00Z";
        assert_eq!(local_path(next), next);
        assert_eq!(
            local_path("/appointments/x/move?day=2026-11-25&slot=2026-11-25T01%3A30%3A00Z"),
            "/appointments/x/move?day=2026-11-25&slot=2026-11-25T01%3A30%3A00Z"
        );
    }
}
