//! Signing in by a code texted to the phone, through the real app and the fake Twilio.

use std::time::Duration;

use base64::Engine;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::SignInRepository;
use clinic_domain::sign_in_code::{StaffPhone, StaffRole};
use clinic_twilio::fake::FakeTwilio;
use serde_json::{Value, json};

use crate::support::{Answer, NOW, Settings, TestApp, User, spawn_app, spawn_app_with};

pub(crate) const PHONE: &str = "+6591234567";
const WAIT: Duration = Duration::from_secs(10);

fn ask(app: &TestApp, phone: &str) -> Answer {
    app.post("/api/auth/otp", None, &json!({ "phone": phone }))
}

fn verify(app: &TestApp, phone: &str, code: &str) -> Answer {
    app.post("/api/auth/verify", None, &json!({ "phone": phone, "code": code }))
}

/// The code of the `nth` text the fake accepted.
pub(crate) fn texted_code(fake: &FakeTwilio, nth: usize) -> String {
    let accepted = fake.wait_for_accepted(nth + 1, WAIT);
    let body = &accepted[nth].body;
    body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).unwrap().to_owned()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap())
        .unwrap()
}

fn signed_in(app: &TestApp, fake: &FakeTwilio, phone: &str, nth: usize) -> User {
    assert_eq!(ask(app, phone).status, 202);
    let answer = verify(app, phone, &texted_code(fake, nth));
    assert_eq!(answer.status, 200, "{answer:?}");
    let token = answer.body["access_token"].as_str().unwrap().to_owned();
    User { id: claims(&token)["sub"].as_str().unwrap().parse().unwrap(), token }
}

pub(crate) fn add_staff(app: &TestApp, role: StaffRole) {
    let staff = StaffPhone { phone: PhoneNumber::parse(PHONE).unwrap(), name: "Nurse Lim".into(), role };
    app.store.add_staff(&staff, NOW).unwrap();
}

pub(crate) fn twilio_app() -> (FakeTwilio, TestApp) {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    (fake, app)
}

#[test]
fn a_texted_code_signs_in_once_as_the_same_login_each_time() {
    let (fake, app) = twilio_app();
    let asked = ask(&app, PHONE);
    assert_eq!((asked.status, &asked.body), (202, &json!({ "expires_in": 300 })));
    let accepted = fake.wait_for_accepted(1, WAIT);
    assert_eq!(accepted[0].to, PHONE);
    assert!(accepted[0].body.starts_with("Gabriel Family Clinic: your sign-in code is "), "{accepted:?}");
    let code = texted_code(&fake, 0);

    let answer = verify(&app, PHONE, &code);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["token_type"], "bearer");
    assert_eq!(answer.body["expires_in"], 8 * 3600);
    let token = answer.body["access_token"].as_str().unwrap();
    let claims = claims(token);
    assert_eq!((&claims["phone"], &claims["aud"]), (&json!("6591234567"), &json!("authenticated")));
    assert!(claims["app_metadata"].get("clinic_role").is_none(), "{claims}");
    let user = User { id: claims["sub"].as_str().unwrap().parse().unwrap(), token: token.into() };
    let saved = app.put("/api/me/profile", Some(&user), &json!({"full_name": "Siti Rahman", "phone": PHONE}));
    assert_eq!(saved.status, 200, "{saved:?}");

    assert_eq!(verify(&app, PHONE, &code).code(), "invalid_code", "a code signs in once");
    app.clock.advance(time::Duration::minutes(2));
    let again = signed_in(&app, &fake, PHONE, 1);
    assert_eq!(again.id, user.id, "the same phone is the same login");
    assert_eq!(app.get("/api/me/profile", Some(&again)).body["full_name"], "Siti Rahman");
}

#[test]
fn a_staff_phone_signs_in_as_staff() {
    let (fake, app) = twilio_app();
    add_staff(&app, StaffRole::Admin);
    let user = signed_in(&app, &fake, PHONE, 0);
    assert_eq!(claims(&user.token)["app_metadata"]["clinic_role"], "admin");
    assert_eq!(app.get("/api/admin/notifications", Some(&user)).status, 200);

    let patient = signed_in(&app, &fake, "+6598765432", 1);
    assert_eq!(app.get("/api/admin/notifications", Some(&patient)).status, 403);
}

#[test]
fn signing_in_claims_the_patient_staff_registered_with_that_phone() {
    let (fake, app) = twilio_app();
    let registered = app.post(
        "/api/admin/patients",
        Some(&app.staff()),
        &json!({"full_name": "Tan Ah Kow", "phone": PHONE}),
    );
    assert_eq!(registered.status, 201, "{registered:?}");
    let user = signed_in(&app, &fake, PHONE, 0);
    let profile = app.get("/api/me/profile", Some(&user));
    assert_eq!(profile.body["full_name"], "Tan Ah Kow", "{profile:?}");
}

#[test]
fn five_wrong_codes_burn_it_and_the_sixth_try_is_429() {
    let (fake, app) = twilio_app();
    assert_eq!(ask(&app, PHONE).status, 202);
    let code = texted_code(&fake, 0);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(verify(&app, PHONE, wrong).code(), "invalid_code");
    }
    let sixth = verify(&app, PHONE, &code);
    assert_eq!((sixth.status, sixth.code()), (429, "too_many_requests"), "{sixth:?}");
    assert_eq!(sixth.retry_after.as_deref(), Some("60"));

    app.clock.advance(time::Duration::seconds(60));
    assert_eq!(ask(&app, PHONE).status, 202, "a new code after the wait");
    assert_eq!(verify(&app, PHONE, &texted_code(&fake, 1)).status, 200);
}

#[test]
fn codes_are_limited_per_phone_with_retry_after() {
    let (_fake, app) = twilio_app();
    assert_eq!(ask(&app, PHONE).status, 202);
    app.clock.advance(time::Duration::seconds(20));
    let soon = ask(&app, PHONE);
    assert_eq!((soon.status, soon.code()), (429, "too_many_requests"));
    assert_eq!(soon.retry_after.as_deref(), Some("40"));
    for _ in 0..4 {
        app.clock.advance(time::Duration::seconds(60));
        assert_eq!(ask(&app, PHONE).status, 202);
    }
    app.clock.advance(time::Duration::seconds(60));
    let sixth = ask(&app, PHONE);
    assert_eq!(sixth.status, 429);
    assert_eq!(sixth.retry_after.as_deref(), Some(&*(3600 - 5 * 60 - 20).to_string()));
}

#[test]
fn known_and_unknown_numbers_get_the_same_answer() {
    let (_fake, app) = twilio_app();
    add_staff(&app, StaffRole::Staff);
    let known = ask(&app, PHONE);
    let unknown = ask(&app, "+6590000001");
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let wrong_known = verify(&app, PHONE, "000000");
    let wrong_unknown = verify(&app, "+6590000002", "000000");
    assert_eq!((wrong_known.status, &wrong_known.body), (wrong_unknown.status, &wrong_unknown.body));
}

#[test]
fn without_twilio_the_code_goes_to_the_log_and_the_answer_is_the_same() {
    let app = spawn_app();
    let asked = ask(&app, PHONE);
    assert_eq!((asked.status, &asked.body), (202, &json!({ "expires_in": 300 })));
}

#[test]
fn malformed_sign_ins_are_400() {
    let app = spawn_app();
    assert_eq!(ask(&app, "91234567").code(), "invalid_input");
    let extra = app.post("/api/auth/otp", None, &json!({"phone": PHONE, "admin": true}));
    assert_eq!(extra.code(), "invalid_input");
    let short = verify(&app, PHONE, "1234");
    assert_eq!((short.status, short.code()), (400, "invalid_input"));
    assert!(short.body["details"]["code"].is_string(), "{short:?}");
}
