//! `/`: the patient page. A doctor, a day, a free slot, "Book"; a first booking asks the
//! patient's name first; a slot taken meanwhile shows the day again, never an error page.
//! `/help`: what the clinic's texts mean.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use clinic_domain::booking::BookingRequest;
use clinic_domain::booking_record::IdempotencyKey;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_domain::patient::ProfileInput;
use clinic_web::form::Problems;
use clinic_web::layout::{Frame, Who, Width};
use clinic_web::link::{href, sign_in_href};
use clinic_web::patient::{BookingFields, Details, DoctorDay, Home, details_form};
use clinic_web::picking::DayPicker;
use clinic_web::when;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::picking::{NO_LONGER_FREE, day_asked, refusal, see_other, slot_picked, start_posted, today};
use super::{PageError, Visitor};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::patient::record_booked;
use crate::routes::{blocking, path_id};

/// What the page's links and day form carry.
#[derive(Deserialize, Default)]
pub struct Choice {
    #[serde(default)]
    doctor: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    slot: String,
}

/// A booking form as posted.
#[derive(Deserialize)]
pub struct BookingForm {
    #[serde(default)]
    doctor: String,
    #[serde(default)]
    start: String,
    /// The form's Idempotency-Key: the same form posted twice books once.
    #[serde(default)]
    key: String,
}

/// The details a first booking asks for, with the booking they are for.
#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(flatten)]
    booking: BookingForm,
    #[serde(default)]
    full_name: String,
    /// Present (`yes`) when the box is ticked.
    #[serde(default)]
    sms_opt_in: Option<String>,
}

pub(super) fn frame<'a>(state: &'a AppState, title: &'a str, who: Option<&'a Who>) -> Frame<'a> {
    Frame { clinic: &state.booking.clinic().name, title, width: Width::Phone, who }
}

pub async fn show(
    state: Data<AppState>,
    visitor: Visitor,
    choice: Query<Choice>,
) -> Result<HttpResponse, PageError> {
    booking_page(&state, &visitor, &choice, None, StatusCode::OK).await
}

/// The page for `choice`, with `notice` on top, answered with `status`.
async fn booking_page(
    state: &Data<AppState>,
    visitor: &Visitor,
    choice: &Choice,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let booking = state.booking.clone();
    let doctors = blocking(move || booking.doctors()).await?;
    let doctor = match choice.doctor.as_str() {
        "" => None,
        raw => Some(chosen_doctor(&doctors, raw)?),
    };
    let today = today(state);
    let (day, problems) = day_asked(&choice.day, today);
    let slots = match doctor {
        Some(doctor) if problems.is_empty() => {
            let (booking, id) = (state.booking.clone(), doctor.id);
            blocking(move || booking.free_slots(id, day)).await?
        }
        _ => Vec::new(),
    };
    let signed_in = visitor.0.is_some();
    let picked = slot_picked(&choice.slot, &slots).filter(|_| signed_in);
    let notice =
        notice.or((!choice.slot.is_empty() && signed_in && picked.is_none()).then_some(NO_LONGER_FREE));
    let (doctor_id, start, key) = (
        doctor.map(|d| d.id.to_string()).unwrap_or_default(),
        picked.map(|slot| when::iso_instant(slot.start)).unwrap_or_default(),
        Uuid::new_v4().to_string(),
    );
    let keep = [("doctor", doctor_id.as_str())];
    let who = visitor.who();
    let chosen = doctor.map(|doctor| DoctorDay {
        doctor,
        picker: DayPicker { path: "/", keep: &keep, day, today, problems: &problems },
        slots: &slots,
        picked: picked.map(|slot| (slot, BookingFields { doctor: &doctor_id, start: &start, key: &key })),
        signed_in,
    });
    let home = Home {
        frame: frame(state, "Book a visit", who.as_ref()),
        zone: &state.booking.clinic().zone,
        doctors: &doctors,
        notice,
        chosen,
    };
    let status = if problems.is_empty() { status } else { StatusCode::BAD_REQUEST };
    Ok(page_with(status, clinic_web::patient::home(&home)))
}

fn chosen_doctor<'a>(doctors: &'a [Doctor], raw: &str) -> Result<&'a Doctor, ApiError> {
    let id: DoctorId = path_id(raw, "doctor_not_found")?;
    doctors
        .iter()
        .find(|doctor| doctor.id == id)
        .ok_or_else(|| ApiError::not_found("doctor_not_found", "no such doctor"))
}

pub(super) fn page_with(status: StatusCode, markup: clinic_web::Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

pub async fn book(
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<BookingForm>,
) -> Result<HttpResponse, PageError> {
    match &visitor.0 {
        Some(caller) => book_as(&state, &visitor, caller, form.into_inner()).await,
        None => Ok(sign_in_first(&state, &form)),
    }
}

/// Signed out meanwhile (the session ended): sign in, then back to the same slot.
fn sign_in_first(state: &Data<AppState>, form: &BookingForm) -> HttpResponse {
    let next = match start_posted(&form.start) {
        Ok(start) => {
            let day = when::iso_day(state.booking.clinic().zone.local_date(start));
            href("/", &[("doctor", &form.doctor), ("day", &day), ("slot", &when::iso_instant(start))])
        }
        Err(_) => "/".to_owned(),
    };
    see_other(&sign_in_href(&next))
}

/// Books the form's slot: on to the patient's appointments; a first booking asks the
/// patient's details; a slot refused shows its day again with why.
async fn book_as(
    state: &Data<AppState>,
    visitor: &Visitor,
    caller: &Caller,
    form: BookingForm,
) -> Result<HttpResponse, PageError> {
    let start = start_posted(&form.start)?;
    let request =
        BookingRequest { doctor_id: path_id(&form.doctor, "doctor_not_found")?, scheduled_start: start };
    let key = IdempotencyKey::parse(&form.key).ok_or_else(|| {
        ApiError::invalid_input("key must be 1 to 255 visible ASCII characters")
            .with_details(json!({ "key": "must be 1 to 255 visible ASCII characters" }))
    })?;
    let (booking, login) = (state.booking.clone(), caller.login.clone());
    match blocking(move || booking.book(&login, request, Some(key))).await {
        Ok(receipt) => {
            record_booked(state, &receipt);
            Ok(see_other("/appointments?done=booked"))
        }
        Err(refused) if refused.code() == "patient_profile_not_found" => {
            let none = Problems::new();
            details_page(state, visitor, &form, ("", true), &none, StatusCode::OK).await
        }
        Err(refused) => {
            let Some(words) = refusal(&refused) else { return Err(refused.into()) };
            let day = when::iso_day(state.booking.clinic().zone.local_date(start));
            let choice = Choice { doctor: form.doctor, day, slot: String::new() };
            booking_page(state, visitor, &choice, Some(words), refused.status()).await
        }
    }
}

/// The first booking's details form, for the slot `form` books; `typed` is what was
/// typed (the name, the consent).
async fn details_page(
    state: &Data<AppState>,
    visitor: &Visitor,
    form: &BookingForm,
    typed: (&str, bool),
    problems: &Problems,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let start = start_posted(&form.start)?;
    let booking = state.booking.clone();
    let doctors = blocking(move || booking.doctors()).await?;
    let doctor = chosen_doctor(&doctors, &form.doctor)?;
    let who = visitor.who();
    let details = Details {
        frame: frame(state, "Your details", who.as_ref()),
        zone: &state.booking.clinic().zone,
        doctor,
        start,
        fields: BookingFields { doctor: &form.doctor, start: &form.start, key: &form.key },
        full_name: typed.0,
        sms_opt_in: typed.1,
        problems,
    };
    Ok(page_with(status, details_form(&details)))
}

/// Saves the first booking's details as the patient's profile (as `PUT /api/me/profile`
/// does), then books.
pub async fn save_details(
    state: Data<AppState>,
    visitor: Visitor,
    form: Form<DetailsForm>,
) -> Result<HttpResponse, PageError> {
    let DetailsForm { booking, full_name, sms_opt_in } = form.into_inner();
    let Some(caller) = &visitor.0 else { return Ok(sign_in_first(&state, &booking)) };
    let input = ProfileInput {
        full_name: full_name.clone(),
        phone: None,
        sms_opt_in: Some(sms_opt_in.is_some()),
        preferred_channel: None,
    };
    let (profiles, login) = (state.clone(), caller.login.clone());
    match blocking(move || profiles.profiles.save(&login, &input)).await {
        Ok(_) => book_as(&state, &visitor, caller, booking).await,
        Err(refused) if refused.status() == StatusCode::BAD_REQUEST => {
            let problems = refused.field_messages();
            let typed = (full_name.as_str(), sms_opt_in.is_some());
            details_page(&state, &visitor, &booking, typed, &problems, StatusCode::BAD_REQUEST).await
        }
        Err(refused) => Err(refused.into()),
    }
}

pub async fn help(state: Data<AppState>, visitor: Visitor) -> HttpResponse {
    let who = visitor.who();
    let frame = frame(&state, "Questions about our texts", who.as_ref());
    super::html(clinic_web::help::help(&frame, state.pages.replies))
}
