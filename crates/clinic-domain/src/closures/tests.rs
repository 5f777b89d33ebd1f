use std::sync::Arc;

use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::appointment::Appointment;
use crate::clinic::ClinicZone;
use crate::doctor::Doctor;
use crate::ids::{DoctorId, PatientId};
use crate::ports::{MockClock, MockClosureRepository, MockDoctorRepository};
use crate::schedule::Slot;

const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

fn service(doctors: MockDoctorRepository, closures: MockClosureRepository) -> Closures {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    let clinic =
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
    Closures::new(clinic, Arc::new(doctors), Arc::new(closures), Arc::new(clock))
}

fn sick_day(doctor_id: Option<DoctorId>, cancel_booked: bool) -> ClosureRequest {
    ClosureRequest {
        doctor_id,
        starts: datetime!(2026-11-25 00:00 +08:00),
        ends: datetime!(2026-11-26 00:00 +08:00),
        reason: "Dr Tan is unwell".into(),
        cancel_booked,
    }
}

#[test]
fn closing_a_doctor_stores_the_closure_and_answers_what_it_affected() {
    let tan = Doctor::new("Dr Tan", "GP").unwrap();
    let mut doctors = MockDoctorRepository::new();
    let found = tan.clone();
    doctors.expect_find().returning(move |_| Ok(Some(found.clone())));
    let slot = Slot { start: datetime!(2026-11-25 01:00 UTC), end: datetime!(2026-11-25 01:30 UTC) };
    let booked = Appointment::book(PatientId::generate(), tan.id, slot, NOW);
    let mut closures = MockClosureRepository::new();
    let answer = vec![booked.clone()];
    closures
        .expect_close()
        .withf(move |closure, cancel, at| closure.doctor_id == Some(tan.id) && *cancel && *at == NOW)
        .times(1)
        .returning(move |_, _, _| Ok(answer.clone()));
    let made = service(doctors, closures).close(&sick_day(Some(tan.id), true)).unwrap();
    assert_eq!(made.affected, vec![booked]);
    assert_eq!(made.closure.reason, "Dr Tan is unwell");
}

#[test]
fn an_unknown_doctor_or_an_invalid_request_stores_nothing() {
    let mut doctors = MockDoctorRepository::new();
    doctors.expect_find().returning(|_| Ok(None));
    let closures = MockClosureRepository::new(); // no expectation: never called
    let service = service(doctors, closures);
    assert_eq!(
        service.close(&sick_day(Some(DoctorId::generate()), false)),
        Err(ClosureError::DoctorNotFound)
    );
    let mut backwards = sick_day(None, false);
    backwards.ends = backwards.starts - Duration::HOUR;
    assert!(matches!(service.close(&backwards), Err(ClosureError::Invalid(_))));
}

#[test]
fn the_whole_clinic_needs_no_doctor() {
    let mut closures = MockClosureRepository::new();
    closures
        .expect_close()
        .withf(|closure, _, _| closure.doctor_id.is_none())
        .returning(|_, _, _| Ok(vec![]));
    let made = service(MockDoctorRepository::new(), closures).close(&sick_day(None, false)).unwrap();
    assert!(made.affected.is_empty());
}

#[test]
fn listing_asks_for_the_clinic_local_days_from_and_to_inclusive() {
    let mut closures = MockClosureRepository::new();
    closures
        .expect_overlapping()
        .withf(|from, until| {
            *from == datetime!(2026-11-24 16:00 UTC) && *until == datetime!(2026-11-27 16:00 UTC)
        })
        .returning(|_, _| Ok(vec![]));
    let service = service(MockDoctorRepository::new(), closures);
    assert_eq!(service.between(date!(2026 - 11 - 25), date!(2026 - 11 - 27)), Ok(vec![]));
    let Err(ClosureError::Invalid(errors)) = service.between(date!(2026 - 11 - 27), date!(2026 - 11 - 25))
    else {
        panic!("to before from is refused")
    };
    assert_eq!(errors.fields()["to"], "must not be before from");
    assert!(service.between(date!(9998 - 12 - 31), date!(9998 - 12 - 31)).is_err());
}

#[test]
fn reopening_an_unknown_closure_is_not_found() {
    let mut closures = MockClosureRepository::new();
    closures.expect_remove().returning(|_| Ok(false));
    let service = service(MockDoctorRepository::new(), closures);
    assert_eq!(service.reopen(ClosureId::generate()), Err(ClosureError::ClosureNotFound));
}
