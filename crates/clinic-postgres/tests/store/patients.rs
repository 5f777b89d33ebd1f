use clinic_domain::patient::{Channel, PatientProfile};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::PatientRepository;
use clinic_postgres::testing::TestDatabase;

use crate::fixtures::{NOW, patient};

#[test]
fn a_profile_is_created_then_replaced() {
    let db = TestDatabase::new();
    let store = db.store();
    let profile = patient(&store, Some("+6591234567"));
    assert_eq!(store.find(profile.id).unwrap(), Some(profile.clone()));
    let replaced = PatientProfile {
        full_name: "Siti binte Rahman".into(),
        phone: None,
        sms_opt_in: false,
        preferred_channel: Channel::WhatsApp,
        ..profile.clone()
    };
    store.save(&replaced, NOW).unwrap();
    assert_eq!(store.find(profile.id).unwrap(), Some(replaced));
}

#[test]
fn opting_out_by_phone_reaches_every_profile_with_that_phone() {
    let db = TestDatabase::new();
    let store = db.store();
    let mother = patient(&store, Some("+6591234567"));
    let son = patient(&store, Some("+6591234567"));
    let stranger = patient(&store, Some("+6598765432"));
    let phone = PhoneNumber::parse("+6591234567").unwrap();
    assert_eq!(store.set_sms_opt_in(&phone, false, NOW).unwrap(), 2);
    assert!(!store.find(mother.id).unwrap().unwrap().sms_opt_in);
    assert!(!store.find(son.id).unwrap().unwrap().sms_opt_in);
    assert!(store.find(stranger.id).unwrap().unwrap().sms_opt_in);
    assert_eq!(store.set_sms_opt_in(&phone, true, NOW).unwrap(), 2);
    assert!(store.find(son.id).unwrap().unwrap().sms_opt_in);
}
