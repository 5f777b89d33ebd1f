use clinic_domain::ids::{LoginId, PatientId};
use clinic_domain::patient::{PatientProfile, ProfileInput, Registered};
use clinic_domain::patient_search::PatientSearch;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{PatientRecordRepository, PatientRepository};
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use diesel::RunQueryDsl;
use diesel_migrations::MigrationHarness;

use crate::fixtures::{NOW, count, patient};

const PHONE: &str = "+6591234567";

fn registered(name: &str, phone: &str) -> PatientProfile {
    let input = ProfileInput { full_name: name.into(), phone: Some(phone.into()), ..ProfileInput::default() };
    PatientProfile::register(&input).unwrap()
}

fn register(store: &PgStore, name: &str, phone: &str) -> PatientProfile {
    let patient = registered(name, phone);
    assert_eq!(store.register(&patient, NOW).unwrap(), Registered::Created);
    patient
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse(PHONE).unwrap()
}

fn names(store: &PgStore, q: &str) -> Vec<String> {
    let search = PatientSearch::parse(q).unwrap();
    store.search(&search, 20).unwrap().into_iter().map(|r| r.profile.full_name).collect()
}

#[test]
fn of_eight_simultaneous_registrations_of_one_phone_one_is_stored_and_the_rest_name_it() {
    let db = TestDatabase::new();
    let store = db.store();
    let patients: Vec<_> = (0..8).map(|i| registered(&format!("Caller {i}"), PHONE)).collect();
    let outcomes = concurrently(8, |i| store.register(&patients[i], NOW).unwrap());
    let created: Vec<_> = (0..8).filter(|&i| outcomes[i] == Registered::Created).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = patients[created[0]].id;
    assert!(outcomes.iter().all(|o| *o == Registered::Created || *o == Registered::PhoneTaken(winner)));
    assert_eq!(count(&mut db.connection(), "patient_profiles"), 1);
}

#[test]
fn a_phone_a_logged_in_patient_has_cannot_be_registered_again() {
    let db = TestDatabase::new();
    let store = db.store();
    let own = patient(&store, Some(PHONE));
    assert_eq!(store.register(&registered("Siti", PHONE), NOW).unwrap(), Registered::PhoneTaken(own.id));
}

#[test]
fn of_eight_logins_claiming_one_patient_at_once_exactly_one_becomes_that_patient() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = register(&store, "Siti Rahman", PHONE);
    assert!(!store.record(siti.id).unwrap().unwrap().has_login);
    let logins: Vec<_> = (0..8).map(|_| LoginId::generate()).collect();
    let claims = concurrently(8, |i| store.claim(logins[i], &phone(), NOW).unwrap());
    let winners: Vec<_> = (0..8).filter(|&i| claims[i] == Some(siti.id)).collect();
    assert_eq!(winners.len(), 1, "{claims:?}");
    assert_eq!(claims.iter().flatten().count(), 1, "{claims:?}");
    assert_eq!(store.patient_of_login(logins[winners[0]]).unwrap(), Some(siti.id));
    assert!(store.record(siti.id).unwrap().unwrap().has_login);
    assert_eq!(count(&mut db.connection(), "patient_profiles"), 1, "one patient, not two");
}

#[test]
fn one_login_claiming_twice_at_once_is_one_patient() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = register(&store, "Siti Rahman", PHONE);
    let login = LoginId::generate();
    let claims = concurrently(8, |_| store.claim(login, &phone(), NOW).unwrap());
    assert_eq!(claims.iter().flatten().collect::<Vec<_>>(), vec![&siti.id], "{claims:?}");
    assert_eq!(store.patient_of_login(login).unwrap(), Some(siti.id));
}

#[test]
fn a_login_that_is_a_patient_already_claims_nobody() {
    let db = TestDatabase::new();
    let store = db.store();
    let own = patient(&store, Some("+6598765432"));
    let registered = register(&store, "Siti Rahman", PHONE);
    let login = LoginId::from_uuid(own.id.as_uuid());
    assert_eq!(store.patient_of_login(login).unwrap(), Some(own.id), "a login's own profile is its");
    assert_eq!(store.claim(login, &phone(), NOW).unwrap(), None);
    assert!(!store.record(registered.id).unwrap().unwrap().has_login);
}

#[test]
fn a_claimed_patient_keeps_its_id_and_login_when_the_patient_edits_the_profile() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = register(&store, "Siti Rahman", PHONE);
    let login = LoginId::generate();
    assert_eq!(store.claim(login, &phone(), NOW).unwrap(), Some(siti.id));
    store.save(&PatientProfile { full_name: "Siti binte Rahman".into(), ..siti.clone() }, NOW).unwrap();
    assert_eq!(store.patient_of_login(login).unwrap(), Some(siti.id));
    assert_eq!(names(&store, "binte"), vec!["Siti binte Rahman"]);
}

#[test]
fn search_finds_names_whatever_their_case_and_accents_and_phones_by_their_last_four_digits() {
    let db = TestDatabase::new();
    let store = db.store();
    register(&store, "Sití Rahman", PHONE);
    register(&store, "NGUYỄN Thị Ánh", "+84912345678");
    register(&store, "100%_Tan", "+6581110000");
    patient(&store, Some("+6598764567"));
    assert_eq!(names(&store, "siti"), vec!["Siti Rahman", "Sití Rahman"]);
    assert_eq!(names(&store, "THI ANH"), vec!["NGUYỄN Thị Ánh"]);
    assert_eq!(names(&store, "4567"), vec!["Siti Rahman", "Sití Rahman"]);
    assert_eq!(names(&store, PHONE), vec!["Sití Rahman"]);
    assert_eq!(names(&store, "%_"), vec!["100%_Tan"], "LIKE's wildcards are literal");
    assert_eq!(names(&store, "_"), vec!["100%_Tan"]);
    assert!(names(&store, "+6500000000").is_empty());
}

#[test]
fn search_answers_at_most_the_limit_by_name() {
    let db = TestDatabase::new();
    let store = db.store();
    for i in (0..25).rev() {
        register(&store, &format!("Tan {i:02}"), &format!("+65811100{i:02}"));
    }
    let found = store.search(&PatientSearch::parse("tan").unwrap(), 20).unwrap();
    assert_eq!(found.len(), 20);
    assert_eq!(found[0].profile.full_name, "Tan 00");
}

#[test]
fn names_written_without_their_folded_form_are_folded_when_the_service_migrates() {
    let db = TestDatabase::new();
    let store = db.store();
    register(&store, "Sití Rahman", PHONE);
    diesel::sql_query("UPDATE patient_profiles SET search_name = NULL")
        .execute(&mut db.connection())
        .unwrap();
    assert!(names(&store, "siti").is_empty());
    store.migrate().unwrap();
    assert_eq!(names(&store, "siti"), vec!["Sití Rahman"]);
}

#[test]
fn profiles_made_before_the_migration_stay_their_logins_with_their_ids() {
    let db = TestDatabase::new();
    let mut conn = db.connection();
    let ours = "20261125000007";
    while conn.applied_migrations().unwrap().iter().any(|v| v.to_string().as_str() >= ours) {
        conn.revert_last_migration(clinic_postgres::MIGRATIONS).unwrap();
    }
    let id = uuid::Uuid::new_v4();
    diesel::sql_query(
        "INSERT INTO patient_profiles (id, full_name, phone, created_at, updated_at) \
         VALUES ($1, 'Sití Rahman', '+6591234567', now(), now())",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .execute(&mut conn)
    .unwrap();
    let store = db.store();
    store.migrate().unwrap();
    let patient = PatientId::from_uuid(id);
    assert_eq!(store.patient_of_login(LoginId::from_uuid(id)).unwrap(), Some(patient));
    assert!(store.record(patient).unwrap().unwrap().has_login);
    assert_eq!(names(&store, "siti"), vec!["Sití Rahman"]);
    assert_eq!(store.claim(LoginId::generate(), &phone(), NOW).unwrap(), None, "it has a login already");
}
