use time::macros::{date, datetime};

use super::*;
use crate::clinic::ClinicZone;
use crate::ids::PatientId;

fn request(starts: OffsetDateTime, ends: OffsetDateTime) -> ClosureRequest {
    ClosureRequest {
        doctor_id: Some(DoctorId::generate()),
        starts,
        ends,
        reason: "Dr Tan is on leave".into(),
        cancel_booked: false,
    }
}

fn closure(doctor_id: Option<DoctorId>, starts: OffsetDateTime, ends: OffsetDateTime) -> Closure {
    Closure { doctor_id, ..Closure::new(&request(starts, ends)).unwrap() }
}

#[test]
fn a_closure_must_end_after_it_starts() {
    let at = datetime!(2026-12-25 00:00 +08:00);
    for ends in [at, at - Duration::minutes(1)] {
        let errors = Closure::new(&request(at, ends)).unwrap_err();
        assert_eq!(errors.fields()["ends"], "must be after starts");
    }
    assert!(Closure::new(&request(at, at + Duration::minutes(1))).is_ok());
}

#[test]
fn a_closure_lasts_at_most_a_leap_year() {
    let starts = datetime!(2028-01-01 00:00 UTC);
    assert!(Closure::new(&request(starts, starts + LONGEST_CLOSURE)).is_ok());
    let errors = Closure::new(&request(starts, starts + LONGEST_CLOSURE + Duration::SECOND)).unwrap_err();
    assert_eq!(errors.fields()["ends"], "a closure lasts at most 366 days");
}

#[test]
fn reasons_are_short_single_lines_and_times_inside_the_calendar() {
    let starts = datetime!(2026-12-25 00:00 UTC);
    let mut long = request(starts, starts + Duration::DAY);
    long.reason = "x".repeat(201);
    assert_eq!(Closure::new(&long).unwrap_err().fields()["reason"], "must be at most 200 characters");
    long.reason = "  ".into();
    assert_eq!(Closure::new(&long).unwrap_err().fields()["reason"], "must not be empty");
    long.reason = " Public holiday ".into();
    assert_eq!(Closure::new(&long).unwrap().reason, "Public holiday");

    let edge = request(datetime!(9999-12-31 20:00 -05:00), datetime!(9999-12-31 23:00 -05:00));
    let errors = Closure::new(&edge).unwrap_err();
    assert!(errors.fields().contains_key("starts") && errors.fields().contains_key("ends"));
}

#[test]
fn a_closure_covers_what_shares_an_instant_with_it_and_not_what_only_touches_it() {
    let (starts, ends) = (datetime!(2026-11-25 01:00 UTC), datetime!(2026-11-25 04:00 UTC));
    let doctor = DoctorId::generate();
    let own = closure(Some(doctor), starts, ends);
    let slot = |start: OffsetDateTime| Slot { start, end: start + Duration::minutes(30) };
    assert!(own.closes(doctor, &slot(starts)));
    assert!(own.closes(doctor, &slot(starts - Duration::minutes(29))), "ends inside");
    assert!(own.closes(doctor, &slot(ends - Duration::minutes(1))), "starts inside");
    assert!(!own.closes(doctor, &slot(starts - Duration::minutes(30))), "ends as it starts");
    assert!(!own.closes(doctor, &slot(ends)), "starts as it ends");
    assert!(!own.closes(DoctorId::generate(), &slot(starts)), "another doctor's time");
    assert!(closure(None, starts, ends).closes(DoctorId::generate(), &slot(starts)), "the whole clinic");
}

#[test]
fn only_booked_appointments_inside_it_are_affected() {
    let (starts, ends) = (datetime!(2026-11-25 01:00 UTC), datetime!(2026-11-25 04:00 UTC));
    let doctor = DoctorId::generate();
    let slot = Slot { start: starts, end: starts + Duration::minutes(30) };
    let booked = Appointment::book(PatientId::generate(), doctor, slot, starts - Duration::DAY);
    let own = closure(Some(doctor), starts, ends);
    assert!(own.affects(&booked));
    let cancelled = Appointment { status: AppointmentStatus::Cancelled, ..booked.clone() };
    assert!(!own.affects(&cancelled));
    let later = Appointment { scheduled_start: ends, scheduled_end: ends + Duration::minutes(30), ..booked };
    assert!(!own.affects(&later));
}

#[test]
fn midnight_to_midnight_on_the_spring_forward_day_is_that_clinic_day_exactly() {
    let zone = ClinicZone::parse("America/New_York").unwrap();
    let sunday = closure(None, datetime!(2026-03-08 00:00 -05:00), datetime!(2026-03-09 00:00 -04:00));
    assert_eq!(sunday.ends - sunday.starts, Duration::hours(23));
    assert_eq!(zone.day(date!(2026 - 03 - 08)), Some((sunday.starts, sunday.ends)));
}
