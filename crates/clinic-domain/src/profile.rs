//! A patient's own profile.

use std::sync::Arc;

use thiserror::Error;

use crate::patient::{PatientLogin, PatientProfile, ProfileInput};
use crate::ports::{Clock, PatientRepository, StoreError};
use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    #[error("no patient profile yet")]
    NotFound,
    #[error(transparent)]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Profiles {
    patients: Arc<dyn PatientRepository>,
    clock: Arc<dyn Clock>,
}

impl Profiles {
    pub fn new(patients: Arc<dyn PatientRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { patients, clock }
    }

    pub fn get(&self, login: &PatientLogin) -> Result<PatientProfile, ProfileError> {
        self.patients.find(login.id)?.ok_or(ProfileError::NotFound)
    }

    /// Creates or replaces the caller's profile; consent not mentioned stays as it was.
    pub fn save(&self, login: &PatientLogin, input: &ProfileInput) -> Result<PatientProfile, ProfileError> {
        let existing = self.patients.find(login.id)?;
        let profile =
            PatientProfile::parse(login, input, existing.as_ref()).map_err(ProfileError::Invalid)?;
        self.patients.save(&profile, self.clock.now())?;
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::ids::PatientId;
    use crate::ports::{MockClock, MockPatientRepository};

    fn profiles(patients: MockPatientRepository) -> Profiles {
        let mut clock = MockClock::new();
        clock.expect_now().returning(|| datetime!(2026-11-24 08:00 UTC));
        Profiles::new(Arc::new(patients), Arc::new(clock))
    }

    fn login() -> PatientLogin {
        PatientLogin { id: PatientId::generate(), phone: None }
    }

    #[test]
    fn a_valid_profile_is_saved_as_the_callers() {
        let login = login();
        let mut patients = MockPatientRepository::new();
        let id = login.id;
        patients.expect_find().returning(|_| Ok(None));
        patients
            .expect_save()
            .withf(move |p, at| p.id == id && p.full_name == "Siti" && *at == datetime!(2026-11-24 08:00 UTC))
            .times(1)
            .returning(|_, _| Ok(()));
        let input = ProfileInput { full_name: "Siti".into(), ..ProfileInput::default() };
        assert_eq!(profiles(patients).save(&login, &input).unwrap().id, login.id);
    }

    #[test]
    fn an_invalid_profile_is_not_saved() {
        let input =
            ProfileInput { full_name: "Siti".into(), phone: Some("12345".into()), ..ProfileInput::default() };
        let mut patients = MockPatientRepository::new();
        patients.expect_find().returning(|_| Ok(None));
        let err = profiles(patients).save(&login(), &input).unwrap_err();
        assert!(matches!(err, ProfileError::Invalid(fields) if fields.fields().contains_key("phone")));
    }

    #[test]
    fn a_missing_profile_is_not_found() {
        let mut patients = MockPatientRepository::new();
        patients.expect_find().returning(|_| Ok(None));
        assert_eq!(profiles(patients).get(&login()), Err(ProfileError::NotFound));
    }
}
