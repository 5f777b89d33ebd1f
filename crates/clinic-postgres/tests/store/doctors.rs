use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_domain::ports::DoctorRepository;
use clinic_postgres::testing::TestDatabase;

use crate::fixtures::{NOW, doctor, weekdays_nine_to_five};

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
