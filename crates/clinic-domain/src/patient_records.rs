//! The clinic's patients as staff keep them: registered without a login when they phone
//! or walk in, found again by name or phone, and claimed later by their own login.

use std::sync::Arc;

use thiserror::Error;

use crate::appointment::Appointment;
use crate::ids::{LoginId, PatientId};
use crate::patient::{PatientLogin, PatientProfile, PatientRecord, ProfileInput, Registered};
use crate::patient_search::{PatientSearch, SEARCH_LIMIT};
use crate::ports::{AppointmentRepository, Clock, PatientRecordRepository, StoreError};
use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatientRecordsError {
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error("a patient with that phone exists")]
    PhoneTaken(PatientId),
    #[error("no such patient")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A patient and their appointments, by start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientFile {
    pub record: PatientRecord,
    pub appointments: Vec<Appointment>,
}

pub struct PatientRecords {
    records: Arc<dyn PatientRecordRepository>,
    appointments: Arc<dyn AppointmentRepository>,
    clock: Arc<dyn Clock>,
}

impl PatientRecords {
    pub fn new(
        records: Arc<dyn PatientRecordRepository>,
        appointments: Arc<dyn AppointmentRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { records, appointments, clock }
    }

    /// A new patient without a login; refused when one with that phone exists.
    pub fn register(&self, input: &ProfileInput) -> Result<PatientRecord, PatientRecordsError> {
        let profile = PatientProfile::register(input).map_err(PatientRecordsError::Invalid)?;
        match self.records.register(&profile, self.clock.now())? {
            Registered::Created => Ok(PatientRecord { profile, has_login: false }),
            Registered::PhoneTaken(existing) => Err(PatientRecordsError::PhoneTaken(existing)),
        }
    }

    /// At most [`SEARCH_LIMIT`] patients, by name.
    pub fn search(&self, search: &PatientSearch) -> Result<Vec<PatientRecord>, PatientRecordsError> {
        Ok(self.records.search(search, SEARCH_LIMIT)?)
    }

    pub fn file(&self, id: PatientId) -> Result<PatientFile, PatientRecordsError> {
        let record = self.records.record(id)?.ok_or(PatientRecordsError::NotFound)?;
        let appointments = self.appointments.list_for_patient(id)?;
        Ok(PatientFile { record, appointments })
    }

    /// The patient a token's login is. `token.id` is the token's `sub`; the answer's is
    /// the patient's: the one the login already is; else the patient without a login
    /// whose phone is the token's verified phone, which the login claims now; else a
    /// patient still to be made, whose id will be the `sub`.
    pub fn patient_of(&self, token: &PatientLogin) -> Result<PatientLogin, StoreError> {
        let login = LoginId::from_uuid(token.id.as_uuid());
        let as_patient = |id: PatientId| PatientLogin { id, phone: token.phone.clone() };
        if let Some(id) = self.records.patient_of_login(login)? {
            return Ok(as_patient(id));
        }
        if let Some(phone) = &token.phone {
            if let Some(id) = self.records.claim(login, phone, self.clock.now())? {
                return Ok(as_patient(id));
            }
            // Another request of the same login may have claimed the patient meanwhile.
            if let Some(id) = self.records.patient_of_login(login)? {
                return Ok(as_patient(id));
            }
        }
        Ok(as_patient(PatientId::from_uuid(login.as_uuid())))
    }
}

#[cfg(test)]
mod tests;
