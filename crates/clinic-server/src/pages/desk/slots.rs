//! A doctor, a day and its free slots, as the move and booking pages offer them.

use actix_web::web::Data;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_domain::schedule::Slot;
use clinic_web::desk::slots::SlotPicker;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{day_or_today, doctor_field, doctors};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::blocking;

/// The doctors, the one chosen (the first when none was), the day and its free slots.
pub(super) struct Choice {
    doctors: Vec<Doctor>,
    doctor: Option<DoctorId>,
    date: Date,
    slots: Vec<Slot>,
}

impl Choice {
    /// What `?doctor=` and `?date=` ask for.
    pub(super) async fn of(
        state: &Data<AppState>,
        doctor: &str,
        date: Option<&str>,
    ) -> Result<Self, ApiError> {
        let date = day_or_today(state, date)?;
        let doctors = doctors(state).await?;
        let doctor = doctor_field("doctor", doctor)?.or_else(|| doctors.first().map(|d| d.id));
        let slots = match doctor {
            Some(doctor) => {
                let booking = state.booking.clone();
                blocking(move || booking.free_slots(doctor, date)).await?
            }
            None => Vec::new(),
        };
        Ok(Self { doctors, doctor, date, slots })
    }

    pub(super) fn doctors(&self) -> &[Doctor] {
        &self.doctors
    }

    /// The picker: browsing at `browse`, posting the slot to `action` with `hidden`.
    pub(super) fn picker<'a>(
        &'a self,
        browse: &'a str,
        action: &'a str,
        verb: &'a str,
        hidden: &'a [(&'a str, &'a str)],
    ) -> SlotPicker<'a> {
        SlotPicker {
            browse,
            action,
            verb,
            doctors: &self.doctors,
            doctor: self.doctor,
            date: self.date,
            slots: &self.slots,
            hidden,
        }
    }
}

/// A slot chosen on a page: its doctor and start.
#[derive(Deserialize)]
pub struct SlotForm {
    #[serde(default)]
    pub doctor_id: String,
    #[serde(default)]
    pub start: String,
    /// A booking's idempotency key (the page's).
    #[serde(default)]
    pub key: String,
}

impl SlotForm {
    pub(super) fn start(&self) -> Result<OffsetDateTime, ApiError> {
        OffsetDateTime::parse(self.start.trim(), &Rfc3339).map_err(|_| {
            ApiError::invalid_input("start must be a slot's time")
                .with_details(serde_json::json!({ "start": "pick one of the free slots" }))
        })
    }
}
