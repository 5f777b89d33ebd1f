use clinic_domain::doctor::Doctor;
use clinic_domain::doctor_day::DoctorDay;
use clinic_domain::ids::DoctorId;
use clinic_domain::ports::{ClosureRepository, DoctorRepository};
use clinic_postgres::testing::TestDatabase;
use time::Duration;

use crate::fixtures::{NOW, SLOT, booking_of, cancel, closure, doctor, patient, weekdays_nine_to_five};

#[test]
fn a_doctor_is_stored_with_its_schedule() {
    let db = TestDatabase::new();
    let store = db.store();
    assert!(!store.any().unwrap());
    let tan = doctor(&store, "Dr Tan");
    assert!(store.any().unwrap());
    assert_eq!(store.find(tan.id).unwrap(), Some(tan));
    assert_eq!(store.find(DoctorId::generate()).unwrap(), None);
}

#[test]
fn only_active_doctors_are_listed_by_name() {
    let db = TestDatabase::new();
    let store = db.store();
    let lee = doctor(&store, "Dr Lee");
    let tan = doctor(&store, "Dr Tan");
    let abu = doctor(&store, "Dr Abu");
    store.update(&Doctor { active: false, ..abu.clone() }, NOW).unwrap();
    assert_eq!(store.list_active().unwrap(), vec![lee, tan]);
    assert!(!store.find(abu.id).unwrap().unwrap().active, "an inactive doctor keeps its record");
}

#[test]
fn updating_a_doctor_keeps_its_schedule_and_reports_unknown_ones() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let renamed = Doctor { name: "Dr Tan Wei Ming".into(), specialty: "Paediatrics".into(), ..tan.clone() };
    assert!(store.update(&renamed, NOW).unwrap());
    assert_eq!(store.find(tan.id).unwrap(), Some(renamed));
    assert!(!store.update(&Doctor::new("Dr Nobody", "None").unwrap(), NOW).unwrap());
}

#[test]
fn replacing_a_schedule_replaces_every_opening_and_the_slot_length() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let new_schedule = weekdays_nine_to_five(20);
    assert!(store.replace_schedule(tan.id, &new_schedule, NOW).unwrap());
    assert_eq!(store.find(tan.id).unwrap().unwrap().schedule, new_schedule);
    assert!(!store.replace_schedule(DoctorId::generate(), &new_schedule, NOW).unwrap());
}

#[test]
fn a_doctors_day_holds_its_schedule_its_held_starts_and_the_closures_over_it() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, lee, siti) = (doctor(&store, "Dr Tan"), doctor(&store, "Dr Lee"), patient(&store, None));
    // Imported, its `find` would clash with the doctors'.
    use clinic_domain::ports::AppointmentRepository;
    let later = SLOT + Duration::hours(1);
    for (doctor, start) in [(&tan, later), (&tan, SLOT), (&lee, SLOT)] {
        AppointmentRepository::book(&store, &booking_of(&siti, doctor, start)).unwrap();
    }
    let cancelled = booking_of(&siti, &tan, SLOT + Duration::hours(2));
    AppointmentRepository::book(&store, &cancelled).unwrap();
    cancel(&store, &cancelled.appointment);
    let (day_start, day_end) = (SLOT - Duration::hours(9), SLOT + Duration::hours(15));
    let holiday = closure(None, later, day_end + Duration::days(1));
    let leave = closure(Some(&tan), day_start - Duration::days(1), SLOT);
    let others = [
        closure(Some(&lee), day_start, day_end),
        closure(Some(&tan), day_end, day_end + Duration::days(1)),
        closure(None, day_start - Duration::days(1), day_start),
    ];
    for closure in [&holiday, &leave].into_iter().chain(&others) {
        store.close(closure, false, NOW).unwrap();
    }

    let day = store.day_of(tan.id, day_start, day_end).unwrap();
    let closures = vec![leave, holiday];
    assert_eq!(day, Some(DoctorDay { doctor: tan.clone(), taken: vec![SLOT, later], closures }));
    let narrow = store.day_of(tan.id, SLOT + Duration::minutes(1), later).unwrap().unwrap();
    assert!(narrow.taken.is_empty(), "the window is half-open");
    assert_eq!(store.day_of(DoctorId::generate(), day_start, day_end).unwrap(), None);
}

#[test]
fn a_day_is_read_for_inactive_doctors_and_doctors_without_hours_too() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    store.update(&Doctor { active: false, ..tan.clone() }, NOW).unwrap();
    let new = Doctor::new("Dr Lee", "Paediatrics").unwrap();
    store.insert(&new, NOW).unwrap();
    let (from, until) = (SLOT, SLOT + Duration::days(1));
    assert!(!store.day_of(tan.id, from, until).unwrap().unwrap().doctor.active);
    let empty = DoctorDay { doctor: new.clone(), taken: vec![], closures: vec![] };
    assert_eq!(store.day_of(new.id, from, until).unwrap(), Some(empty));
}
