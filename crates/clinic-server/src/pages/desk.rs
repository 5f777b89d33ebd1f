//! `/desk`: the reception desk, for staff.

use actix_web::HttpResponse;
use actix_web::web::Data;
use clinic_web::layout::{Frame, Width};

use super::session::who;
use super::{DeskStaff, clinic_name, html};
use crate::app::AppState;

pub async fn show(state: Data<AppState>, DeskStaff(staff): DeskStaff) -> HttpResponse {
    let who = who(&staff);
    let frame = Frame { clinic: clinic_name(&state), title: "Desk", width: Width::Desk, who: Some(&who) };
    html(clinic_web::desk::today(&frame, &state.booking.clinic().zone, state.clock.now()))
}
