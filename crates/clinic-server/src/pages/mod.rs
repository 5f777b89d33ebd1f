//! The clinic's pages: `/` for patients, `/desk` for the front desk, and signing in by a
//! texted code. Server-rendered forms that call the same domain services as the API;
//! the markup is `clinic_web`'s. Every page route goes through [`guard::page_guard`]:
//! posts from another site are refused, and errors become pages, never JSON or traces.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{HttpRequest, HttpResponse, Route, guard as route_guard};
use clinic_web::Markup;

use crate::app::AppState;
use crate::config::Config;
use crate::error::ApiError;

mod desk;
mod guard;
mod home;
mod picking;
mod session;
mod sign_in;
mod visits;

pub use guard::PageError;
pub use session::{DeskStaff, Patient, SESSION_COOKIE, Visitor};

/// How the pages set their cookie and check where posts come from.
#[derive(Debug, Clone, Default)]
pub struct PageSettings {
    /// `PUBLIC_BASE_URL` is https: the session cookie is `Secure`.
    pub secure_cookies: bool,
    /// `PUBLIC_BASE_URL`'s origin: posts from it are the clinic's own (behind a proxy,
    /// the request's own host may not be what the browser sees).
    pub public_origin: Option<String>,
    /// No Twilio: sign-in codes go to the log, and the sign-in page says so.
    pub codes_in_terminal: bool,
    /// `REPLIES`: reminders invite C or X, and `/help` says so.
    pub replies: bool,
}

impl PageSettings {
    pub fn new(config: &Config) -> Self {
        let base = config.public_base_url.as_deref();
        Self {
            secure_cookies: base.is_some_and(|url| url.starts_with("https://")),
            public_origin: base.map(origin_of),
            codes_in_terminal: config.twilio.is_none(),
            replies: config.replies,
        }
    }
}

/// `https://clinic.example.com` of `https://clinic.example.com/base`.
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |at| after_scheme + at);
    url[..end].to_owned()
}

/// The page routes, each behind the guard.
pub fn configure(cfg: &mut web::ServiceConfig) {
    page(cfg, "/assets/{name}", vec![read().to(asset)]);
    page(cfg, "/", vec![read().to(home::show)]);
    page(cfg, "/book", vec![web::post().to(home::book)]);
    page(cfg, "/book/details", vec![web::post().to(home::save_details)]);
    page(cfg, "/help", vec![read().to(home::help)]);
    page(cfg, "/appointments", vec![read().to(visits::list)]);
    page(cfg, "/appointments/{id}/cancel", vec![read().to(visits::ask), web::post().to(visits::cancel)]);
    page(cfg, "/appointments/{id}/move", vec![read().to(visits::pick), web::post().to(visits::move_to)]);
    page(cfg, "/sign-in", vec![read().to(sign_in::show), web::post().to(sign_in::send_code)]);
    page(cfg, "/sign-in/code", vec![web::post().to(sign_in::check_code)]);
    page(cfg, "/sign-out", vec![web::post().to(sign_in::sign_out)]);
    desk::configure(cfg);
}

/// One page's resource: its routes behind the guard; other methods get a 405 page.
fn page(cfg: &mut web::ServiceConfig, path: &str, routes: Vec<Route>) {
    let mut resource = web::resource(path).default_service(web::to(not_allowed));
    for route in routes {
        resource = resource.route(route);
    }
    cfg.service(resource.wrap(from_fn(guard::page_guard)));
}

/// GET, and HEAD by the same handler (actix sends the headers without the body).
fn read() -> Route {
    web::route().guard(route_guard::Any(route_guard::Get()).or(route_guard::Head()))
}

async fn not_allowed() -> Result<HttpResponse, PageError> {
    Err(PageError::from(ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "that is not something this page does",
    )))
}

/// A page as the response: HTML, never cached (it may show a patient's visits).
pub(crate) fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// The clinic's name, for every page's header.
pub(crate) fn clinic_name(state: &Data<AppState>) -> &str {
    &state.booking.clinic().name
}

/// The compiled-in stylesheet and script; caches revalidate them by their ETag.
async fn asset(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, PageError> {
    let asset = clinic_web::assets::at(&format!("/assets/{name}"))
        .ok_or_else(|| ApiError::not_found("not_found", "no such file"))?;
    let etag = clinic_web::assets::etag(asset);
    let unchanged = req.headers().get(IF_NONE_MATCH).is_some_and(|given| given.as_bytes() == etag.as_bytes());
    let mut answer = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    answer.insert_header((ETAG, etag)).insert_header((CACHE_CONTROL, "no-cache"));
    if unchanged {
        return Ok(answer.finish());
    }
    Ok(answer.insert_header((CONTENT_TYPE, asset.content_type)).body(asset.body))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_public_origin_is_the_base_urls_scheme_and_host() {
        assert_eq!(origin_of("https://clinic.example.com"), "https://clinic.example.com");
        assert_eq!(origin_of("https://clinic.example.com:8443/base/"), "https://clinic.example.com:8443");
    }
}
