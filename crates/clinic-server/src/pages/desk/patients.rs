//! Finding and registering patients, and booking for them.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use clinic_domain::booking::BookingRequest;
use clinic_domain::booking_record::IdempotencyKey;
use clinic_domain::ids::PatientId;
use clinic_domain::patient::ProfileInput;
use clinic_domain::patient_records::PatientRecordsError;
use clinic_domain::patient_search::PatientSearch;
use clinic_web::desk::patients::{Finding, patient_file, patients};
use serde::Deserialize;
use uuid::Uuid;

use super::slots::{Choice, SlotForm};
use super::{Outcome, clinic_day, doctor_field, done, respond};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::patient::record_booked;
use crate::routes::{blocking, path_id};

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

pub async fn show(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    query: Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(q) = query.into_inner().q else {
        return Ok(respond(&state, &staff, &Outcome::default(), "Patients", |desk| {
            patients(desk, &Finding::default())
        }));
    };
    let (searching, typed) = (state.clone(), q.clone());
    let found = blocking(move || {
        let search = PatientSearch::parse(&typed).map_err(|errors| ApiError::invalid_fields(&errors))?;
        Ok::<_, ApiError>(searching.patients.search(&search)?)
    })
    .await;
    let (outcome, found) = match found {
        Ok(found) => (Outcome::default(), Some(found)),
        Err(refused) => (Outcome::refused(refused)?, None),
    };
    Ok(respond(&state, &staff, &outcome, "Patients", |desk| {
        patients(desk, &Finding { query: &q, found: found.as_deref(), ..Finding::default() })
    }))
}

#[derive(Deserialize)]
pub struct NewPatient {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
}

pub async fn register(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    form: Form<NewPatient>,
) -> Result<HttpResponse, PageError> {
    let NewPatient { full_name, phone } = form.into_inner();
    let input = ProfileInput {
        full_name: full_name.clone(),
        phone: Some(phone.clone()),
        sms_opt_in: None,
        preferred_channel: None,
    };
    let registering = state.clone();
    // The domain's own error: a phone already registered offers that patient.
    let registered = blocking(move || Ok::<_, ApiError>(registering.patients.register(&input))).await?;
    let refused = match registered {
        Ok(record) => return Ok(done(&format!("/desk/patients/{}", record.profile.id), "registered")),
        Err(refused) => refused,
    };
    let existing = match refused {
        PatientRecordsError::PhoneTaken(existing) => Some(existing),
        _ => None,
    };
    let outcome = Outcome::refused(refused.into())?;
    Ok(respond(&state, &staff, &outcome, "Patients", |desk| {
        patients(desk, &Finding { full_name: &full_name, phone: &phone, existing, ..Finding::default() })
    }))
}

#[derive(Deserialize)]
pub struct FileQuery {
    doctor: Option<String>,
    date: Option<String>,
    done: Option<String>,
}

pub async fn file(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    query: Query<FileQuery>,
) -> Result<HttpResponse, PageError> {
    let FileQuery { doctor, date, done } = query.into_inner();
    file_page(state, &staff, &id, doctor.as_deref().unwrap_or_default(), date.as_deref(), Outcome::done(done))
        .await
}

async fn file_page(
    state: Data<AppState>,
    staff: &Caller,
    id: &str,
    doctor: &str,
    date: Option<&str>,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let id: PatientId = path_id(id, "patient_not_found")?;
    let choice = Choice::of(&state, doctor, date).await?;
    let reading = state.clone();
    let file = blocking(move || reading.patients.file(id)).await?;
    let (browse, action) = (format!("/desk/patients/{id}"), format!("/desk/patients/{id}/book"));
    // One key per page shown: a second click on the same page books once.
    let key = Uuid::new_v4().to_string();
    let hidden = [("key", key.as_str())];
    let picker = choice.picker(&browse, &action, "Book", &hidden);
    let title = file.record.profile.full_name.clone();
    Ok(respond(&state, staff, &outcome, &title, |desk| patient_file(desk, &file, choice.doctors(), &picker)))
}

pub async fn book(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<SlotForm>,
) -> Result<HttpResponse, PageError> {
    let raw_id = id.into_inner();
    let patient: PatientId = path_id(&raw_id, "patient_not_found")?;
    let start = form.start()?;
    let Some(doctor) = doctor_field("doctor_id", &form.doctor_id)? else {
        return Err(ApiError::invalid_input("doctor_id is required").into());
    };
    let key = IdempotencyKey::parse(&form.key);
    let request = BookingRequest { doctor_id: doctor, scheduled_start: start };
    let booking = state.clone();
    let date = clinic_day(&state, start);
    match blocking(move || booking.booking.book_for(patient, request, key)).await {
        Ok(receipt) => {
            record_booked(&state, &receipt);
            Ok(done(&format!("/desk/patients/{raw_id}?doctor={doctor}&date={date}"), "booked"))
        }
        Err(refused) => {
            file_page(state, &staff, &raw_id, &form.doctor_id, Some(&date), Outcome::refused(refused)?).await
        }
    }
}
