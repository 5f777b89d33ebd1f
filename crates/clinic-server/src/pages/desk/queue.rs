//! The walk-in queue: issuing, calling and finishing tickets.

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Path, Query};
use clinic_domain::ids::{PatientId, TicketId};
use clinic_domain::walk_ins::{QueueError, Visitor};
use clinic_web::desk::queue::{Issuing, queue};
use serde::Deserialize;
use uuid::Uuid;

use super::{DoneQuery, Outcome, doctor_field, doctors, done, respond, today};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::walk_ins::ending;
use crate::routes::{blocking, path_id};

pub async fn show(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    page(state, &staff, &Issuing::default(), Outcome::done(query.into_inner().done)).await
}

async fn page(
    state: Data<AppState>,
    staff: &Caller,
    issuing: &Issuing<'_>,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let doctors = doctors(&state).await?;
    let (listing, day) = (state.clone(), today(&state));
    let tickets = blocking(move || listing.walk_ins.day(day)).await?;
    Ok(respond(&state, staff, &outcome, "Walk-in queue", |desk| queue(desk, &doctors, &tickets, issuing)))
}

#[derive(Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    doctor_id: String,
    /// A registered patient's ticket (offered when the phone is theirs).
    #[serde(default)]
    patient_id: String,
}

pub async fn issue(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    form: Form<TicketForm>,
) -> Result<HttpResponse, PageError> {
    let TicketForm { name, phone, doctor_id, patient_id } = form.into_inner();
    let doctor = doctor_field("doctor_id", &doctor_id)?;
    let visitor = match patient_id.trim().parse::<Uuid>() {
        Ok(id) => Visitor::Patient(PatientId::from_uuid(id)),
        Err(_) => Visitor::WalkIn { name: name.clone(), phone: phone.clone() },
    };
    let issuing = state.clone();
    // The domain's own error: a phone already registered offers that patient's ticket.
    let issued = blocking(move || Ok::<_, ApiError>(issuing.walk_ins.issue(visitor, doctor))).await?;
    let refused = match issued {
        Ok(_) => return Ok(done("/desk/queue", "issued")),
        Err(refused) => refused,
    };
    let existing = match refused {
        QueueError::PatientExists(existing) => Some(existing),
        _ => None,
    };
    let typed = Issuing { name: &name, phone: &phone, existing };
    page(state, &staff, &typed, Outcome::refused(refused.into())?).await
}

#[derive(Deserialize)]
pub struct CallForm {
    #[serde(default)]
    room: String,
}

pub async fn call(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<CallForm>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = path_id(&id, "ticket_not_found")?;
    let calling = state.clone();
    match blocking(move || calling.walk_ins.call(id, &form.room)).await {
        Ok(_) => Ok(done("/desk/queue", "called")),
        Err(refused) => page(state, &staff, &Issuing::default(), Outcome::refused(refused)?).await,
    }
}

#[derive(Deserialize)]
pub struct FinishForm {
    #[serde(default)]
    status: String,
}

pub async fn finish(
    state: Data<AppState>,
    DeskStaff(staff): DeskStaff,
    id: Path<String>,
    form: Form<FinishForm>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = path_id(&id, "ticket_not_found")?;
    let status = ending(&form.status)?;
    let finishing = state.clone();
    match blocking(move || finishing.walk_ins.finish(id, status)).await {
        Ok(_) => Ok(done("/desk/queue", status.as_str())),
        Err(refused) => page(state, &staff, &Issuing::default(), Outcome::refused(refused)?).await,
    }
}
