//! `/`: the patient page.

use actix_web::HttpResponse;
use actix_web::web::Data;
use clinic_web::layout::{Frame, Width};

use super::{PageError, Visitor, clinic_name, html};
use crate::app::AppState;
use crate::routes::blocking;

pub async fn show(state: Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let booking = state.booking.clone();
    let doctors = blocking(move || booking.doctors()).await?;
    let who = visitor.who();
    let frame =
        Frame { clinic: clinic_name(&state), title: "Book a visit", width: Width::Phone, who: who.as_ref() };
    Ok(html(clinic_web::patient::home(&frame, &doctors)))
}
