//! Who is using the pages: the access token lives in an `HttpOnly`, `SameSite=Lax`
//! cookie (never in reach of scripts or `localStorage`), checked like a bearer token.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use clinic_domain::phone::PhoneNumber;
use clinic_web::layout::Who;

use super::PageError;
use super::PageSettings;
use crate::app::AppState;
use crate::auth::{Caller, as_patient, token_caller};
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

impl FromRequest for Visitor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(cookie) = req.cookie(SESSION_COOKIE) else {
            return Box::pin(async { Ok(Self(None)) });
        };
        let token = token_caller(req, Ok(cookie.value().to_owned()));
        let state = req.app_data::<Data<AppState>>().cloned();
        Box::pin(async move {
            // An expired or forged cookie is nobody: the page offers to sign in.
            let Ok(caller) = token.await else { return Ok(Self(None)) };
            Ok(Self(Some(as_patient(state, caller).await?)))
        })
    }
}

/// A signed-in visitor; anyone else is sent to sign in and brought back.
pub struct Patient(pub Caller);

impl FromRequest for Patient {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        // Back to the same page, with what was picked on it (its query).
        let next = req.uri().path_and_query().map_or_else(|| req.path(), |path| path.as_str()).to_owned();
        Box::pin(async move {
            match visitor.await? {
                Visitor(Some(caller)) => Ok(Self(caller)),
                Visitor(None) => Err(PageError::SignIn { next }),
            }
        })
    }
}

/// Staff signed in; patients are told the desk is not for them.
pub struct DeskStaff(pub Caller);

impl FromRequest for DeskStaff {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let patient = Patient::from_request(req, payload);
        Box::pin(async move {
            let Patient(caller) = patient.await?;
            if caller.role.is_staff() {
                return Ok(Self(caller));
            }
            Err(ApiError::forbidden(
                "The desk is for the clinic's staff. Sign in with a phone the clinic registered as staff.",
            )
            .into())
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
