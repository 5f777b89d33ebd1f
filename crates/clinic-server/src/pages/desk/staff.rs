//! Staff phones, registered by an admin from the desk as `clinic staff add` does.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::web::{Data, Form, Query};
use clinic_domain::sign_in::StaffPhones;
use clinic_web::desk::staff::{Adding, staff};
use serde::Deserialize;

use super::{DoneQuery, Outcome, done, respond};
use crate::app::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::pages::{DeskStaff, PageError};
use crate::routes::blocking;

/// Staff who are not admins see the refusal page.
fn admin_only(caller: &Caller) -> Result<(), PageError> {
    if caller.role == Role::Admin {
        return Ok(());
    }
    Err(ApiError::forbidden("Only an admin may add staff phones.").into())
}

pub async fn show(
    state: Data<AppState>,
    DeskStaff(caller): DeskStaff,
    query: Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    admin_only(&caller)?;
    let outcome = Outcome::done(query.into_inner().done);
    Ok(respond(&state, &caller, &outcome, "Staff phones", |desk| staff(desk, &Adding::default())))
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    admin: Option<String>,
}

pub async fn add(
    state: Data<AppState>,
    DeskStaff(caller): DeskStaff,
    form: Form<StaffForm>,
) -> Result<HttpResponse, PageError> {
    admin_only(&caller)?;
    let StaffForm { phone, name, admin } = form.into_inner();
    let phones = StaffPhones::new(Arc::new(state.store.clone()), state.clock.clone());
    let (typed_phone, typed_name, admin) = (phone.clone(), name.clone(), admin.is_some());
    match blocking(move || phones.add(&typed_phone, &typed_name, admin)).await {
        Ok(_) => Ok(done("/desk/staff", "staff_added")),
        Err(refused) => {
            let adding = Adding { phone: &phone, name: &name, admin };
            Ok(respond(&state, &caller, &Outcome::refused(refused)?, "Staff phones", |desk| {
                staff(desk, &adding)
            }))
        }
    }
}
