//! What booking and moving share: the day asked for, the slot picked, and a slot the
//! booking rules refused, in words, for the day's page shown again.

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use actix_web::web::Data;
use clinic_domain::schedule::Slot;
use clinic_web::form::Problems;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::public::clinic_date_in;

/// The clinic's today.
pub fn today(state: &Data<AppState>) -> Date {
    state.booking.clinic().zone.local_date(state.clock.now())
}

/// The day `raw` names (today when empty), or today and the problem to show next to the
/// day field, in the API's words.
pub fn day_asked(raw: &str, today: Date) -> (Date, Problems) {
    match raw.trim() {
        "" => (today, Problems::new()),
        raw => clinic_date_in("day", raw)
            .map_or_else(|refused| (today, refused.field_messages()), |day| (day, Problems::new())),
    }
}

/// The slot `raw` (a link's `slot`) names, if it is among the free `slots`.
pub fn slot_picked<'a>(raw: &str, slots: &'a [Slot]) -> Option<&'a Slot> {
    let start = OffsetDateTime::parse(raw, &Rfc3339).ok()?;
    slots.iter().find(|slot| slot.start == start)
}

/// A slot was asked for and is not free any more (or never was).
pub const NO_LONGER_FREE: &str = "That time is no longer free, pick another.";

/// The start a form posted.
pub fn start_posted(raw: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(raw.trim(), &Rfc3339).map_err(|_| {
        ApiError::invalid_input("start must be an RFC 3339 date-time")
            .with_details(json!({ "start": "must be an RFC 3339 date-time" }))
    })
}

/// A refusal the patient can act on by picking another time, in words; `None` for any
/// other (the guard's error page shows those).
pub fn refusal(refused: &ApiError) -> Option<&'static str> {
    Some(match (refused.code(), refused.reason()) {
        ("slot_taken", _) => "That slot was just taken, pick another.",
        ("slot_not_bookable", Some("in_the_past")) => "That time has already passed, pick another.",
        ("slot_not_bookable", Some("closed")) => {
            "The clinic is closed then (the doctor is away, or it is a holiday), pick another time."
        }
        ("slot_not_bookable", Some("outside_schedule")) => {
            "The doctor does not see patients at that time, pick another."
        }
        ("slot_not_bookable", _) => "That is not one of the doctor's appointment times, pick another.",
        ("idempotency_key_reused", _) => "That form was used for another booking already; pick a time again.",
        _ => return None,
    })
}

/// After a post: on to `path` (so that reloading the page posts nothing again).
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, path.to_owned())).finish()
}
