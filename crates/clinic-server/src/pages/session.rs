//! Who is using the pages: the access token lives in an `HttpOnly`, `SameSite=Lax`
//! cookie (never in reach of scripts or `localStorage`), checked like a bearer token.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use clinic_domain::phone::PhoneNumber;
use clinic_web::layout::Who;

use super::PageError;
use super::PageSettings;
use crate::app::AppState;
use crate::auth::{Caller, Role, as_patient, token_caller};
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "clinic_session";

/// Whoever is on the page: signed in or not.
pub struct Visitor(pub Option<Caller>);

impl Visitor {
    /// The header's account line.
    pub fn who(&self) -> Option<Who> {
        self.0.as_ref().map(who)
    }
}

/// The account line for `caller`: the phone masked, as staff pages show every phone.
pub fn who(caller: &Caller) -> Who {
    let phone = caller.login.phone.as_ref().map(PhoneNumber::masked);
    Who { phone, staff: caller.role.is_staff() }
}

/// The caller the session cookie's token makes, as the token says (no patient matched
/// yet); none when there is no cookie, or it has expired or is forged.
fn session(req: &HttpRequest) -> impl Future<Output = Option<Caller>> + 'static {
    let token = req.cookie(SESSION_COOKIE).map(|cookie| token_caller(req, Ok(cookie.value().to_owned())));
    async move {
        match token {
            Some(token) => token.await.ok(),
            None => None,
        }
    }
}

impl FromRequest for Visitor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = session(req);
        let state = req.app_data::<Data<AppState>>().cloned();
        Box::pin(async move {
            match session.await {
                // Only a patient's login is matched to a patient: staff signing in with
                // the phone of a patient the desk registered must not claim that patient.
                Some(caller) if caller.role == Role::Patient => {
                    Ok(Self(Some(as_patient(state, caller).await?)))
                }
                caller => Ok(Self(caller)),
            }
        })
    }
}

/// Where signing in brings the visitor back: the page itself, with what was picked on it
/// (its query); for a form sent after the session ended, the page the form was on (the
/// post's own path may have no page: a 405).
fn back_to(req: &HttpRequest) -> String {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return req.uri().path_and_query().map_or_else(|| req.path(), |path| path.as_str()).to_owned();
    }
    form_page(req.path()).to_owned()
}

/// The page a form posting to `path` is on: a desk section's page, or the patient's.
fn form_page(path: &str) -> &str {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        // Visits are acted on from the day list.
        (Some("desk"), Some("appointments") | None) => "/desk",
        (Some("desk"), Some(_)) => path.match_indices('/').nth(2).map_or(path, |(at, _)| &path[..at]),
        (Some("appointments"), _) => "/appointments",
        _ => "/",
    }
}

/// A signed-in visitor; anyone else is sent to sign in and brought back.
pub struct Patient(pub Caller);

impl FromRequest for Patient {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        let next = back_to(req);
        Box::pin(async move {
            match visitor.await? {
                Visitor(Some(caller)) => Ok(Self(caller)),
                Visitor(None) => Err(PageError::SignIn { next }),
            }
        })
    }
}

/// Staff signed in; patients are told the desk is not for them. Like the API's `Staff`,
/// the token alone: a staff login is never matched to a patient.
pub struct DeskStaff(pub Caller);

impl FromRequest for DeskStaff {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = session(req);
        let next = back_to(req);
        Box::pin(async move {
            match session.await {
                Some(caller) if caller.role.is_staff() => Ok(Self(caller)),
                Some(_) => Err(ApiError::forbidden(
                    "The desk is for the clinic's staff. Sign in with a phone the clinic registered as staff.",
                )
                .into()),
                None => Err(PageError::SignIn { next }),
            }
        })
    }
}

/// The cookie that keeps `token` for `ttl`.
pub fn session_cookie(token: String, ttl: Duration, settings: &PageSettings) -> Cookie<'static> {
    let max_age = time::Duration::try_from(ttl).unwrap_or(time::Duration::HOUR);
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies)
        .max_age(max_age)
        .finish()
}

/// The cookie that ends the session.
pub fn signed_out_cookie(settings: &PageSettings) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), Duration::ZERO, settings);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::form_page;

    #[test]
    fn a_form_is_on_its_sections_page() {
        assert_eq!(form_page("/desk/queue/1/call"), "/desk/queue");
        assert_eq!(form_page("/desk/queue"), "/desk/queue");
        assert_eq!(form_page("/desk/patients/1/book"), "/desk/patients");
        assert_eq!(form_page("/desk/appointments/1/arrived"), "/desk");
        assert_eq!(form_page("/appointments/1/cancel"), "/appointments");
        assert_eq!(form_page("/book"), "/");
    }
}
