use mockall::predicate::eq;
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::phone::PhoneNumber;
use crate::ports::{MockAppointmentRepository, MockClock, MockPatientRecordRepository};

const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

fn records(repository: MockPatientRecordRepository) -> PatientRecords {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| NOW);
    PatientRecords::new(Arc::new(repository), Arc::new(MockAppointmentRepository::new()), Arc::new(clock))
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+6591234567").unwrap()
}

fn token(phone: Option<PhoneNumber>) -> PatientLogin {
    PatientLogin { id: PatientId::generate(), phone }
}

fn input(phone: Option<&str>) -> ProfileInput {
    ProfileInput { full_name: "Siti Rahman".into(), phone: phone.map(Into::into), ..ProfileInput::default() }
}

#[test]
fn a_registered_patient_has_no_login_and_a_new_id() {
    let mut repository = MockPatientRecordRepository::new();
    repository
        .expect_register()
        .withf(|p, at| p.phone == Some(phone()) && p.sms_opt_in && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(Registered::Created));
    let record = records(repository).register(&input(Some("+6591234567"))).unwrap();
    assert!(!record.has_login);
    assert_eq!(record.profile.full_name, "Siti Rahman");
}

#[test]
fn registering_a_phone_a_patient_has_names_that_patient() {
    let existing = PatientId::generate();
    let mut repository = MockPatientRecordRepository::new();
    repository.expect_register().returning(move |_, _| Ok(Registered::PhoneTaken(existing)));
    let refused = records(repository).register(&input(Some("+6591234567")));
    assert_eq!(refused, Err(PatientRecordsError::PhoneTaken(existing)));
}

#[test]
fn a_registration_without_a_phone_or_with_a_long_name_is_refused_unstored() {
    let long = ProfileInput { full_name: "x".repeat(201), ..input(Some("+6591234567")) };
    for (bad, field) in [(input(None), "phone"), (long, "full_name")] {
        let err = records(MockPatientRecordRepository::new()).register(&bad).unwrap_err();
        assert!(matches!(&err, PatientRecordsError::Invalid(f) if f.fields().contains_key(field)), "{err:?}");
    }
}

#[test]
fn a_login_that_is_a_patient_stays_that_patient() {
    let (token, patient) = (token(Some(phone())), PatientId::generate());
    let mut repository = MockPatientRecordRepository::new();
    let login = LoginId::from_uuid(token.id.as_uuid());
    repository.expect_patient_of_login().with(eq(login)).returning(move |_| Ok(Some(patient)));
    repository.expect_claim().never();
    let resolved = records(repository).patient_of(&token).unwrap();
    assert_eq!(resolved, PatientLogin { id: patient, phone: Some(phone()) });
}

#[test]
fn a_new_login_with_a_registered_phone_claims_that_patient() {
    let (token, registered) = (token(Some(phone())), PatientId::generate());
    let login = LoginId::from_uuid(token.id.as_uuid());
    let mut repository = MockPatientRecordRepository::new();
    repository.expect_patient_of_login().times(1).returning(|_| Ok(None));
    repository
        .expect_claim()
        .withf(move |l, p, at| *l == login && *p == phone() && *at == NOW)
        .times(1)
        .returning(move |_, _, _| Ok(Some(registered)));
    assert_eq!(records(repository).patient_of(&token).unwrap().id, registered);
}

#[test]
fn a_login_whose_claim_lost_to_its_own_other_request_is_the_patient_that_request_claimed() {
    let (token, registered) = (token(Some(phone())), PatientId::generate());
    let mut repository = MockPatientRecordRepository::new();
    let mut lookups = 0;
    repository.expect_patient_of_login().times(2).returning(move |_| {
        lookups += 1;
        Ok((lookups == 2).then_some(registered))
    });
    repository.expect_claim().times(1).returning(|_, _, _| Ok(None));
    assert_eq!(records(repository).patient_of(&token).unwrap().id, registered);
}

#[test]
fn a_new_login_with_nothing_to_claim_is_a_patient_to_be_whose_id_is_the_login() {
    for phone in [None, Some(phone())] {
        let token = token(phone.clone());
        let mut repository = MockPatientRecordRepository::new();
        repository.expect_patient_of_login().returning(|_| Ok(None));
        repository.expect_claim().times(usize::from(phone.is_some())).returning(|_, _, _| Ok(None));
        assert_eq!(records(repository).patient_of(&token).unwrap(), token);
    }
}
