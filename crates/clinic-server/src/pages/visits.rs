//! "My appointments": the patient's visits, moving one to another slot of its doctor, and
//! cancelling one after a confirmation. Every id is checked by the booking service: a
//! patient reaches only their own appointments (another's is "not found").

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Path, Query};
use clinic_domain::appointment::{Appointment, AppointmentStatus};
use clinic_domain::booking::{BookingError, Move, Requester};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::{AppointmentId, PatientId};
use clinic_web::picking::DayPicker;
use clinic_web::visits::{MovePage, Visit, cancel_confirm, move_page};
use clinic_web::when;
use serde::Deserialize;

use super::home::{frame, page_with};
use super::picking::{NO_LONGER_FREE, day_asked, refusal, see_other, slot_picked, start_posted, today};
use super::{PageError, Patient};
use crate::app::AppState;
use crate::routes::{blocking, path_id};

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

#[derive(Deserialize)]
pub struct MoveChoice {
    #[serde(default)]
    day: String,
    #[serde(default)]
    slot: String,
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    start: String,
}

/// A doctor's name for a visit: an inactive doctor's visits keep their times.
fn doctor_name(doctors: &[Doctor], appointment: &Appointment) -> String {
    let doctor = doctors.iter().find(|doctor| doctor.id == appointment.doctor_id);
    doctor.map_or_else(|| "your doctor".to_owned(), |doctor| doctor.name.clone())
}

/// The patient's appointments and the doctors taking bookings.
async fn appointments_and_doctors(
    state: &Data<AppState>,
    patient: PatientId,
) -> Result<(Vec<Appointment>, Vec<Doctor>), PageError> {
    let booking = state.booking.clone();
    Ok(blocking(move || Ok::<_, BookingError>((booking.appointments_of(patient)?, booking.doctors()?)))
        .await?)
}

pub async fn list(
    state: Data<AppState>,
    Patient(caller): Patient,
    done: Query<Done>,
) -> Result<HttpResponse, PageError> {
    let (appointments, doctors) = appointments_and_doctors(&state, caller.login.id).await?;
    let now = state.clock.now();
    let names: Vec<String> = appointments.iter().map(|a| doctor_name(&doctors, a)).collect();
    let visits = appointments.iter().zip(&names).map(|(appointment, doctor)| Visit { appointment, doctor });
    // Still to come and still booked: these may be moved or cancelled. The rest, newest first.
    let (upcoming, mut past): (Vec<_>, Vec<_>) = visits.partition(|visit| {
        visit.appointment.status == AppointmentStatus::Booked && visit.appointment.scheduled_start > now
    });
    past.reverse();
    let done = match done.done.as_str() {
        "booked" => Some("Your visit is booked. We'll text you a confirmation."),
        "moved" => Some("Your visit is moved. We'll text you the new time."),
        "cancelled" => Some("Your visit is cancelled."),
        _ => None,
    };
    let who = super::session::who(&caller);
    let frame = frame(&state, "My appointments", Some(&who));
    Ok(super::html(clinic_web::visits::list(&frame, &state.booking.clinic().zone, &upcoming, &past, done)))
}

/// One of the caller's appointments (another patient's is not found) and its doctor's name.
async fn own_visit(
    state: &Data<AppState>,
    patient: PatientId,
    id: &str,
) -> Result<(Appointment, String), PageError> {
    let id: AppointmentId = path_id(id, "appointment_not_found")?;
    let booking = state.booking.clone();
    let (appointment, doctors) =
        blocking(move || Ok::<_, BookingError>((booking.appointment_of(patient, id)?, booking.doctors()?)))
            .await?;
    let name = doctor_name(&doctors, &appointment);
    Ok((appointment, name))
}

/// "Cancel this visit?": nothing changes until the patient says yes.
pub async fn ask(
    state: Data<AppState>,
    Patient(caller): Patient,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let (appointment, doctor) = own_visit(&state, caller.login.id, &id).await?;
    let who = super::session::who(&caller);
    let frame = frame(&state, "Cancel this visit?", Some(&who));
    let visit = Visit { appointment: &appointment, doctor: &doctor };
    Ok(super::html(cancel_confirm(&frame, &state.booking.clinic().zone, &visit)))
}

pub async fn cancel(
    state: Data<AppState>,
    Patient(caller): Patient,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: AppointmentId = path_id(&id, "appointment_not_found")?;
    let (booking, patient) = (state.booking.clone(), caller.login.id);
    blocking(move || booking.cancel(patient, id)).await?;
    state.wakeup.wake();
    Ok(see_other("/appointments?done=cancelled"))
}

/// Picking the visit's new day and slot.
pub async fn pick(
    state: Data<AppState>,
    Patient(caller): Patient,
    id: Path<String>,
    choice: Query<MoveChoice>,
) -> Result<HttpResponse, PageError> {
    move_picker(&state, &caller, &id, &choice, None, StatusCode::OK).await
}

/// The move page for `choice`, with `notice` on top, answered with `status`.
async fn move_picker(
    state: &Data<AppState>,
    caller: &crate::auth::Caller,
    id: &str,
    choice: &MoveChoice,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (appointment, doctor) = own_visit(state, caller.login.id, id).await?;
    let zone = state.booking.clinic().zone;
    let today = today(state);
    // Without a day asked for, the visit's own day (when it is still to come).
    let own_day = zone.local_date(appointment.scheduled_start).max(today);
    let (day, problems) = match choice.day.as_str() {
        "" => (own_day, Default::default()),
        raw => day_asked(raw, today),
    };
    let slots = if problems.is_empty() {
        let (booking, doctor_id) = (state.booking.clone(), appointment.doctor_id);
        blocking(move || booking.free_slots(doctor_id, day)).await?
    } else {
        Vec::new()
    };
    let picked = slot_picked(&choice.slot, &slots);
    let notice = notice.or((!choice.slot.is_empty() && picked.is_none()).then_some(NO_LONGER_FREE));
    let path = format!("/appointments/{}/move", appointment.id);
    let who = super::session::who(caller);
    let page = MovePage {
        frame: frame(state, "Move your visit", Some(&who)),
        zone: &zone,
        visit: Visit { appointment: &appointment, doctor: &doctor },
        picker: DayPicker { path: &path, keep: &[], day, today, problems: &problems },
        slots: &slots,
        picked,
        notice,
    };
    let status = if problems.is_empty() { status } else { StatusCode::BAD_REQUEST };
    Ok(page_with(status, move_page(&page)))
}

/// Moves the visit to the posted slot (same doctor); a slot refused shows its day again.
pub async fn move_to(
    state: Data<AppState>,
    Patient(caller): Patient,
    id: Path<String>,
    form: Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let start = start_posted(&form.start)?;
    let appointment: AppointmentId = path_id(&id, "appointment_not_found")?;
    let (booking, who) = (state.booking.clone(), Requester::Patient(caller.login.id));
    let to = Move { scheduled_start: start, doctor_id: None };
    match blocking(move || booking.reschedule(who, appointment, to)).await {
        Ok(_) => {
            state.wakeup.wake();
            Ok(see_other("/appointments?done=moved"))
        }
        Err(refused) => {
            let Some(words) = refusal(&refused) else { return Err(refused.into()) };
            let day = when::iso_day(state.booking.clinic().zone.local_date(start));
            let choice = MoveChoice { day, slot: String::new() };
            move_picker(&state, &caller, &id, &choice, Some(words), refused.status()).await
        }
    }
}
