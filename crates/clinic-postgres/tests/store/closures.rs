use std::collections::BTreeSet;

use clinic_domain::appointment::{Appointment, AppointmentStatus};
use clinic_domain::booking_record::BookingStored;
use clinic_domain::closure::Closure;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::{AppointmentId, ClosureId};
use clinic_domain::ports::{AppointmentRepository, ClosureRepository};
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use time::{Duration, OffsetDateTime};

use crate::fixtures::{NOW, SLOT, booking_of, cancel, closure, count, doctor, patient};

/// Books `start` with the doctor for a new patient.
fn book(store: &PgStore, doctor: &Doctor, start: OffsetDateTime) -> (Appointment, BookingStored) {
    let booking = booking_of(&patient(store, None), doctor, start);
    let stored = store.book(&booking).unwrap();
    (booking.appointment, stored)
}

fn ids(appointments: &[Appointment]) -> BTreeSet<AppointmentId> {
    appointments.iter().map(|a| a.id).collect()
}

enum Outcome {
    Booking(AppointmentId, BookingStored),
    Closure(Vec<Appointment>),
}

#[test]
fn of_bookings_racing_a_closure_each_is_either_among_its_affected_or_refused_as_closed() {
    let db = TestDatabase::new();
    // A connection for every racer, so that none waits for the pool instead of the lock.
    let store = PgStore::connect(db.url(), 24);
    let (tan, lee) = (doctor(&store, "Dr Tan"), doctor(&store, "Dr Lee"));
    for round in 0..6 {
        let day = SLOT + Duration::days(round);
        let (doctor, closed_doctor) = if round % 2 == 0 { (&tan, Some(&tan)) } else { (&lee, None) };
        let bookings: Vec<_> = (0..16)
            .map(|i| booking_of(&patient(&store, None), doctor, day + Duration::minutes(30 * i)))
            .collect();
        let sick_day = closure(closed_doctor, day - Duration::hours(2), day + Duration::hours(10));
        let outcomes = concurrently(bookings.len() + 1, |i| match bookings.get(i) {
            Some(booking) => Outcome::Booking(booking.appointment.id, store.book(booking).unwrap()),
            None => Outcome::Closure(store.close(&sick_day, false, NOW).unwrap()),
        });
        let (mut booked, mut refused, mut affected) = (BTreeSet::new(), 0, BTreeSet::new());
        for outcome in outcomes {
            match outcome {
                Outcome::Booking(id, BookingStored::Booked) => _ = booked.insert(id),
                Outcome::Booking(_, BookingStored::Closed) => refused += 1,
                Outcome::Booking(_, other) => panic!("round {round}: a booking answered {other:?}"),
                Outcome::Closure(appointments) => affected = ids(&appointments),
            }
        }
        assert_eq!(booked, affected, "round {round}: every booking that won is affected, and only those");
        assert_eq!(booked.len() + refused, 16, "round {round}");
    }
}

#[test]
fn the_sql_closes_and_affects_exactly_what_the_domains_rule_says() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, lee) = (doctor(&store, "Dr Tan"), doctor(&store, "Dr Lee"));
    for (day, closed_doctor) in [(0, Some(&tan)), (1, None)] {
        let (starts, ends) = (SLOT + Duration::days(day), SLOT + Duration::days(day) + Duration::hours(2));
        let candidates = [
            (&tan, starts - Duration::minutes(30)),
            (&tan, starts - Duration::minutes(29)),
            (&tan, starts),
            (&tan, ends - Duration::minutes(1)),
            (&tan, ends),
            (&lee, starts + Duration::minutes(30)),
            (&lee, ends),
        ];
        let booked: Vec<Appointment> =
            candidates.iter().map(|(d, start)| book(&store, d, *start).0).collect();
        let cancelled = &cancel(&store, &booked[2]);
        let rule = closure(closed_doctor, starts, ends);
        let affected = store.close(&rule, false, NOW).unwrap();
        let expected: Vec<&Appointment> =
            booked.iter().filter(|a| a.id != cancelled.id && rule.affects(a)).collect();
        assert_eq!(ids(&affected), expected.iter().map(|a| a.id).collect(), "day {day}");
        assert!(affected.windows(2).all(|w| w[0].scheduled_start <= w[1].scheduled_start), "by start");

        for (d, start) in candidates {
            let again = book(&store, d, start).1;
            let covered = rule.covers(d.id, start, start + Duration::minutes(30));
            let cancelled_here = d.id == cancelled.doctor_id && start == cancelled.scheduled_start;
            let expected = match (covered, cancelled_here) {
                (true, _) => BookingStored::Closed,
                (false, true) => BookingStored::Booked,
                (false, false) => BookingStored::SlotTaken,
            };
            assert_eq!(again, expected, "day {day}, {} at {start}", d.name);
        }
    }
}

#[test]
fn cancel_booked_cancels_the_affected_with_the_closure_and_not_without_it() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let inside: Vec<Appointment> =
        (0..3).map(|i| book(&store, &tan, SLOT + Duration::minutes(30 * i)).0).collect();
    let outside = book(&store, &tan, SLOT + Duration::hours(3)).0;
    let first = closure(Some(&tan), SLOT, SLOT + Duration::hours(2));
    let affected = store.close(&first, true, NOW).unwrap();
    assert_eq!(ids(&affected), ids(&inside));
    assert!(affected.iter().all(|a| a.status == AppointmentStatus::Cancelled));
    for appointment in &inside {
        assert_eq!(store.find(appointment.id).unwrap().unwrap().status, AppointmentStatus::Cancelled);
    }
    assert_eq!(store.find(outside.id).unwrap().unwrap().status, AppointmentStatus::Booked);

    // A closure that cannot be stored (its id is taken) cancels nothing.
    let next_day = SLOT + Duration::days(1);
    let untouched = book(&store, &tan, next_day).0;
    let clash = Closure { starts: next_day, ends: next_day + Duration::hours(1), ..first.clone() };
    assert!(store.close(&clash, true, NOW).is_err());
    assert_eq!(store.find(untouched.id).unwrap().unwrap().status, AppointmentStatus::Booked);
    assert_eq!(count(&mut db.connection(), "closures"), 1);
}

#[test]
fn closures_are_listed_by_overlap_and_removing_one_opens_its_slots_again() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let leave = closure(Some(&tan), SLOT, SLOT + Duration::days(2));
    let holiday = closure(None, SLOT + Duration::days(3), SLOT + Duration::days(4));
    for closure in [&holiday, &leave] {
        store.close(closure, false, NOW).unwrap();
    }
    assert_eq!(
        store.overlapping(SLOT - Duration::days(1), SLOT + Duration::days(7)).unwrap(),
        vec![leave.clone(), holiday.clone()]
    );
    assert_eq!(store.overlapping(SLOT + Duration::days(2), SLOT + Duration::days(3)).unwrap(), vec![]);
    assert_eq!(
        store.overlapping(SLOT + Duration::days(1), SLOT + Duration::days(1) + Duration::SECOND).unwrap(),
        vec![leave.clone()]
    );

    assert_eq!(book(&store, &tan, SLOT).1, BookingStored::Closed);
    assert!(store.remove(leave.id).unwrap());
    assert!(!store.remove(leave.id).unwrap(), "gone already");
    assert!(!store.remove(ClosureId::generate()).unwrap());
    assert_eq!(book(&store, &tan, SLOT).1, BookingStored::Booked);
    assert_eq!(book(&store, &doctor(&store, "Dr Lee"), SLOT + Duration::days(3)).1, BookingStored::Closed);
}
