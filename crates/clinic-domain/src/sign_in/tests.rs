use mockall::predicate::eq;
use time::macros::datetime;

use super::*;
use crate::clinic::ClinicZone;
use crate::gateway::{MockSmsGateway, SendError};
use crate::ports::{ManualClock, MockCodeSecrets, MockSignInRepository};
use crate::sign_in_code::CodeHash;

const NOW: time::OffsetDateTime = datetime!(2026-11-25 01:00 UTC);
const PHONE: &str = "+6591234567";

fn clinic() -> Clinic {
    Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() }
}

fn secrets() -> MockCodeSecrets {
    let mut secrets = MockCodeSecrets::new();
    secrets.expect_new_code().returning(|| Some("123456".into()));
    secrets.expect_hash().returning(|_, code| CodeHash(code.as_bytes().to_vec()));
    secrets
}

fn sign_in(store: MockSignInRepository, gateway: MockSmsGateway) -> SignIn {
    SignIn::new(
        clinic(),
        Arc::new(store),
        Arc::new(secrets()),
        Arc::new(gateway),
        Arc::new(ManualClock::new(NOW)),
    )
}

#[test]
fn a_code_is_stored_hashed_and_texted() {
    let mut store = MockSignInRepository::new();
    store
        .expect_issue_code()
        .withf(|request, limits| {
            request.hash == CodeHash(b"123456".to_vec())
                && request.client == "10.0.0.1"
                && *limits == CODE_LIMITS
        })
        .returning(|_, _| Ok(CodeIssued::Issued));
    let mut gateway = MockSmsGateway::new();
    gateway
        .expect_send()
        .withf(|m| m.to.as_str() == PHONE && m.body.contains("123456") && m.body.starts_with("Gabriel"))
        .times(1)
        .returning(|_| Ok("SM1".into()));
    sign_in(store, gateway).request_code(PHONE, "10.0.0.1").unwrap();
}

#[test]
fn over_a_limit_nothing_is_texted() {
    let mut store = MockSignInRepository::new();
    store
        .expect_issue_code()
        .returning(|_, _| Ok(CodeIssued::Limited { retry_after: time::Duration::seconds(42) }));
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().never();
    let refused = sign_in(store, gateway).request_code(PHONE, "10.0.0.1");
    assert_eq!(refused, Err(SignInError::TooMany { retry_after: time::Duration::seconds(42) }));
}

#[test]
fn a_code_that_could_not_be_sent_answers_the_same() {
    let mut store = MockSignInRepository::new();
    store.expect_issue_code().returning(|_, _| Ok(CodeIssued::Issued));
    let mut gateway = MockSmsGateway::new();
    gateway.expect_send().returning(|_| Err(SendError::NotConfigured("sms not configured".into())));
    assert_eq!(sign_in(store, gateway).request_code(PHONE, "10.0.0.1"), Ok(()));
}

#[test]
fn a_malformed_phone_or_code_is_refused_before_the_store() {
    let service = sign_in(MockSignInRepository::new(), MockSmsGateway::new());
    assert!(matches!(service.request_code("91234567", "ip"), Err(SignInError::Invalid(_))));
    assert!(matches!(service.verify(PHONE, "12345"), Err(SignInError::Invalid(_))));
    assert!(matches!(service.verify(PHONE, "12345a"), Err(SignInError::Invalid(_))));
}

#[test]
fn a_right_code_signs_in_with_the_staff_role() {
    let login = LoginId::generate();
    let mut store = MockSignInRepository::new();
    store
        .expect_check_code()
        .withf(|phone, hash, at| phone.as_str() == PHONE && hash.0 == b"654321" && *at == NOW)
        .returning(move |_, _, _| Ok(CodeChecked::Accepted { login }));
    store.expect_staff_role().returning(|_| Ok(Some(StaffRole::Admin)));
    let signed_in = sign_in(store, MockSmsGateway::new()).verify(PHONE, "654321").unwrap();
    assert_eq!(signed_in.login, login);
    assert_eq!(signed_in.staff, Some(StaffRole::Admin));
}

#[test]
fn a_burnt_code_waits_for_the_next_one() {
    let mut store = MockSignInRepository::new();
    store
        .expect_check_code()
        .returning(|_, _, _| Ok(CodeChecked::Burnt { issued_at: NOW - time::Duration::seconds(20) }));
    let refused = sign_in(store, MockSmsGateway::new()).verify(PHONE, "000000");
    assert_eq!(refused, Err(SignInError::TooMany { retry_after: time::Duration::seconds(40) }));

    let mut store = MockSignInRepository::new();
    store
        .expect_check_code()
        .returning(|_, _, _| Ok(CodeChecked::Burnt { issued_at: NOW - time::Duration::minutes(4) }));
    let refused = sign_in(store, MockSmsGateway::new()).verify(PHONE, "000000");
    assert_eq!(refused, Err(SignInError::TooMany { retry_after: time::Duration::SECOND }));
}

#[test]
fn a_wrong_code_is_refused() {
    let mut store = MockSignInRepository::new();
    store.expect_check_code().returning(|_, _, _| Ok(CodeChecked::Rejected));
    store.expect_staff_role().never();
    assert_eq!(sign_in(store, MockSmsGateway::new()).verify(PHONE, "000000"), Err(SignInError::WrongCode));
}

#[test]
fn staff_are_added_with_a_name_and_role() {
    let mut store = MockSignInRepository::new();
    store
        .expect_add_staff()
        .with(
            eq(StaffPhone {
                phone: PhoneNumber::parse(PHONE).unwrap(),
                name: "Dr Tan".into(),
                role: StaffRole::Admin,
            }),
            eq(NOW),
        )
        .returning(|_, _| Ok(()));
    let staff = StaffPhones::new(Arc::new(store), Arc::new(ManualClock::new(NOW)));
    staff.add(PHONE, " Dr Tan ", true).unwrap();
    assert!(matches!(staff.add(PHONE, "  ", false), Err(SignInError::Invalid(_))));
    assert!(matches!(staff.add(PHONE, &"x".repeat(201), false), Err(SignInError::Invalid(_))));
}
