//! Sign-in codes: limits and wrong codes counted under concurrent callers.

use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::SignInRepository;
use clinic_domain::sign_in_code::{
    CODE_LIMITS, CodeChecked, CodeHash, CodeIssued, CodeRequest, StaffPhone, StaffRole,
};
use clinic_postgres::testing::{TestDatabase, concurrently};
use time::Duration;

use crate::fixtures::{NOW, count};

fn phone(n: u32) -> PhoneNumber {
    PhoneNumber::parse(&format!("+659123{n:04}")).unwrap()
}

fn request(phone: PhoneNumber, client: &str, code: &str, minutes: i64) -> CodeRequest {
    CodeRequest {
        phone,
        client: client.into(),
        hash: CodeHash(code.as_bytes().to_vec()),
        at: NOW + Duration::minutes(minutes),
    }
}

fn hash(code: &str) -> CodeHash {
    CodeHash(code.as_bytes().to_vec())
}

#[test]
fn of_concurrent_requests_for_one_phone_one_gets_a_code() {
    let db = TestDatabase::new();
    let store = db.store();
    let outcomes = concurrently(8, |i| {
        store.issue_code(&request(phone(1), &format!("10.0.0.{i}"), "123456", 0), &CODE_LIMITS).unwrap()
    });
    let issued = outcomes.iter().filter(|o| **o == CodeIssued::Issued).count();
    assert_eq!(issued, 1, "{outcomes:?}");
    assert!(outcomes.contains(&CodeIssued::Limited { retry_after: Duration::seconds(60) }));
    assert_eq!(count(&mut db.connection(), "sign_in_requests"), 1);
}

#[test]
fn a_phone_gets_five_codes_an_hour_a_minute_apart() {
    let db = TestDatabase::new();
    let store = db.store();
    for minute in 0..5 {
        let outcome = store.issue_code(&request(phone(1), "ip", "123456", minute * 2), &CODE_LIMITS).unwrap();
        assert_eq!(outcome, CodeIssued::Issued);
    }
    let sixth = store.issue_code(&request(phone(1), "ip", "123456", 10), &CODE_LIMITS).unwrap();
    assert_eq!(sixth, CodeIssued::Limited { retry_after: Duration::minutes(50) });
    let next_hour = store.issue_code(&request(phone(1), "ip", "123456", 61), &CODE_LIMITS).unwrap();
    assert_eq!(next_hour, CodeIssued::Issued);
}

#[test]
fn a_client_address_is_limited_across_phones() {
    let db = TestDatabase::new();
    let store = db.store();
    let outcomes = concurrently(25, |i| {
        store.issue_code(&request(phone(i as u32), "10.9.9.9", "123456", 0), &CODE_LIMITS).unwrap()
    });
    let issued = outcomes.iter().filter(|o| **o == CodeIssued::Issued).count();
    assert_eq!(issued, CODE_LIMITS.per_client_hourly as usize);
    let elsewhere = store.issue_code(&request(phone(99), "10.1.1.1", "123456", 0), &CODE_LIMITS).unwrap();
    assert_eq!(elsewhere, CodeIssued::Issued);
}

#[test]
fn five_wrong_codes_at_once_burn_the_code() {
    let db = TestDatabase::new();
    let store = db.store();
    store.issue_code(&request(phone(1), "ip", "123456", 0), &CODE_LIMITS).unwrap();
    let checks = concurrently(8, |_| store.check_code(&phone(1), &hash("000000"), NOW).unwrap());
    assert_eq!(checks.iter().filter(|c| **c == CodeChecked::Rejected).count(), 5, "{checks:?}");
    assert_eq!(checks.iter().filter(|c| **c == CodeChecked::Burnt { issued_at: NOW }).count(), 3);
    let right = store.check_code(&phone(1), &hash("123456"), NOW).unwrap();
    assert_eq!(right, CodeChecked::Burnt { issued_at: NOW });
}

#[test]
fn a_right_code_signs_in_once_as_the_same_login_each_time() {
    let db = TestDatabase::new();
    let store = db.store();
    store.issue_code(&request(phone(1), "ip", "123456", 0), &CODE_LIMITS).unwrap();
    let checks = concurrently(4, |_| store.check_code(&phone(1), &hash("123456"), NOW).unwrap());
    let accepted: Vec<_> = checks.iter().filter(|c| matches!(c, CodeChecked::Accepted { .. })).collect();
    assert_eq!(accepted.len(), 1, "{checks:?}");
    store.issue_code(&request(phone(1), "ip", "654321", 2), &CODE_LIMITS).unwrap();
    let again = store.check_code(&phone(1), &hash("654321"), NOW + Duration::minutes(2)).unwrap();
    assert_eq!(&again, accepted[0]);
}

#[test]
fn an_expired_code_or_none_at_all_is_rejected() {
    let db = TestDatabase::new();
    let store = db.store();
    assert_eq!(store.check_code(&phone(1), &hash("123456"), NOW).unwrap(), CodeChecked::Rejected);
    store.issue_code(&request(phone(1), "ip", "123456", 0), &CODE_LIMITS).unwrap();
    let late = store.check_code(&phone(1), &hash("123456"), NOW + Duration::minutes(5)).unwrap();
    assert_eq!(late, CodeChecked::Rejected);
    store.issue_code(&request(phone(2), "ip", "123456", 5), &CODE_LIMITS).unwrap();
    assert_eq!(count(&mut db.connection(), "sign_in_codes"), 1, "expired codes are deleted");
}

#[test]
fn staff_phones_carry_their_role() {
    let db = TestDatabase::new();
    let store = db.store();
    assert_eq!(store.staff_role(&phone(1)).unwrap(), None);
    let staff = StaffPhone { phone: phone(1), name: "Nurse Lim".into(), role: StaffRole::Staff };
    store.add_staff(&staff, NOW).unwrap();
    assert_eq!(store.staff_role(&phone(1)).unwrap(), Some(StaffRole::Staff));
    store.add_staff(&StaffPhone { role: StaffRole::Admin, ..staff }, NOW).unwrap();
    assert_eq!(store.staff_role(&phone(1)).unwrap(), Some(StaffRole::Admin));
}
