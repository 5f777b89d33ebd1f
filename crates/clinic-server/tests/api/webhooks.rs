//! Twilio's webhooks, signed as Twilio signs them by an implementation of our own tests.

use ::hmac::{Hmac, Mac};
use base64::Engine;
use clinic_twilio::fake::{AUTH_TOKEN, FakeTwilio};
use serde_json::{Value, json};
use sha1::Sha1;

use crate::support::{Answer, SLOT, Settings, TestApp, User, spawn_app_with};

pub const BASE: &str = "https://clinic.example.com";
const STATUS: &str = "/api/webhooks/twilio/status";
pub const INBOUND: &str = "/api/webhooks/twilio/inbound";

pub fn app_with(fake: &FakeTwilio) -> TestApp {
    let mut settings = Settings::twilio(fake);
    settings.vars.push(("PUBLIC_BASE_URL", BASE.into()));
    spawn_app_with(settings)
}

/// Twilio's algorithm, written again here: HMAC-SHA1 over the URL and the sorted fields.
pub fn sign(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let data: String =
        std::iter::once(url.to_owned()).chain(sorted.iter().map(|(k, v)| format!("{k}{v}"))).collect();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn form_encode(params: &[(&str, &str)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// A form POST with this signature header (or none).
pub fn post(app: &TestApp, path: &str, params: &[(&str, &str)], signature: Option<&str>) -> Answer {
    let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
    if let Some(signature) = signature {
        headers.push(("X-Twilio-Signature", signature));
    }
    app.send("POST", path, None, &headers, Some(&form_encode(params)))
}

/// A POST as Twilio makes it: signed for `BASE` + `path`.
fn from_twilio(app: &TestApp, path: &str, params: &[(&str, &str)]) -> Answer {
    post(app, path, params, Some(&sign(AUTH_TOKEN, &format!("{BASE}{path}"), params)))
}

/// A booking whose confirmation Twilio accepted; its message SID.
fn sent_confirmation(app: &TestApp, fake: &FakeTwilio) -> String {
    app.booked(&app.patient(), app.doctor("Dr Tan"), SLOT);
    assert_eq!(app.deliver().sent, 1);
    fake.received()[0].sid.clone().unwrap()
}

fn confirmation(app: &TestApp) -> Value {
    app.notifications().into_iter().find(|n| n["type"] == "confirmation").unwrap()
}

fn status(app: &TestApp, sid: &str, status: &str) -> Answer {
    from_twilio(
        app,
        STATUS,
        &[("AccountSid", "AC0123"), ("MessageSid", sid), ("MessageStatus", status), ("To", "+6591234567")],
    )
}

#[test]
fn a_signed_status_callback_records_the_delivery() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let sid = sent_confirmation(&app, &fake);
    let answer = status(&app, &sid, "delivered");
    assert_eq!(answer.status, 204, "{answer:?}");
    assert_eq!(confirmation(&app)["delivery_status"], "delivered");
    assert_eq!(confirmation(&app)["status"], "sent", "the send itself stays what it was");
}

#[test]
fn status_callbacks_out_of_order_never_undo_a_final_state() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let sid = sent_confirmation(&app, &fake);
    for (callback, recorded) in [
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("sent", "delivered"),
        ("queued", "delivered"),
        ("delivered", "delivered"),
        ("failed", "delivered"),
        ("read", "read"),
        ("delivered", "read"),
    ] {
        assert_eq!(status(&app, &sid, callback).status, 204);
        assert_eq!(confirmation(&app)["delivery_status"], recorded, "after {callback}");
    }
}

#[test]
fn an_undelivered_message_records_twilios_error_code() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let sid = sent_confirmation(&app, &fake);
    let params = [("MessageSid", sid.as_str()), ("MessageStatus", "undelivered"), ("ErrorCode", "30003")];
    assert_eq!(from_twilio(&app, STATUS, &params).status, 204);
    let row = confirmation(&app);
    assert_eq!(
        (row["delivery_status"].as_str(), row["error_code"].as_str()),
        (Some("undelivered"), Some("30003"))
    );
}

#[test]
fn a_status_for_an_unknown_message_is_204_and_changes_nothing() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    sent_confirmation(&app, &fake);
    assert_eq!(status(&app, "SMdoesnotexist", "delivered").status, 204);
    assert!(confirmation(&app)["delivery_status"].is_null());
}

#[test]
fn unsigned_or_badly_signed_requests_are_refused_and_change_nothing() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let sid = sent_confirmation(&app, &fake);
    let params = [("MessageSid", sid.as_str()), ("MessageStatus", "delivered")];
    let url = format!("{BASE}{STATUS}");
    let forged = [
        None,
        Some(sign("another-token", &url, &params)),
        Some(sign(AUTH_TOKEN, &url, &[("MessageSid", sid.as_str()), ("MessageStatus", "failed")])),
        Some(sign(AUTH_TOKEN, &format!("http://clinic.example.com{STATUS}"), &params)),
        Some(sign(AUTH_TOKEN, &format!("{BASE}{INBOUND}"), &params)),
        Some("garbage".into()),
    ];
    for signature in forged {
        let answer = post(&app, STATUS, &params, signature.as_deref());
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{signature:?}");
    }
    assert!(confirmation(&app)["delivery_status"].is_null());
    let stop = [("From", "+6591234567"), ("Body", "STOP")];
    assert_eq!(
        post(&app, INBOUND, &stop, Some(&sign("another-token", &format!("{BASE}{INBOUND}"), &stop))).status,
        403
    );
}

#[test]
fn the_query_string_and_the_default_port_are_signed_as_twilio_signs_them() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let sid = sent_confirmation(&app, &fake);
    let params = [("MessageSid", sid.as_str()), ("MessageStatus", "sent")];
    let with_query = format!("{STATUS}?attempt=2");
    let signed = sign(AUTH_TOKEN, &format!("{BASE}{with_query}"), &params);
    assert_eq!(post(&app, &with_query, &params, Some(&signed)).status, 204);
    let unsigned_query = sign(AUTH_TOKEN, &format!("{BASE}{STATUS}"), &params);
    assert_eq!(post(&app, &with_query, &params, Some(&unsigned_query)).status, 403);
    let ported = sign(AUTH_TOKEN, &format!("https://clinic.example.com:443{STATUS}"), &params);
    assert_eq!(post(&app, STATUS, &params, Some(&ported)).status, 204);
}

#[test]
fn without_a_public_url_or_twilio_credentials_every_webhook_is_refused() {
    let fake = FakeTwilio::start();
    let no_url = spawn_app_with(Settings::twilio(&fake));
    let mut no_twilio_settings = Settings::default();
    no_twilio_settings.vars.push(("PUBLIC_BASE_URL", BASE.into()));
    let no_twilio = spawn_app_with(no_twilio_settings);
    let params = [("MessageSid", "SM1"), ("MessageStatus", "delivered")];
    for app in [&no_url, &no_twilio] {
        for path in [STATUS, INBOUND] {
            let answer = from_twilio(app, path, &params);
            assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{path}");
        }
    }
}

#[test]
fn a_signed_callback_without_its_fields_or_with_odd_ones_is_a_400() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    for params in [
        vec![("MessageStatus", "delivered")],
        vec![("MessageSid", "SM1"), ("MessageStatus", "")],
        vec![("MessageSid", "SM1\u{0}"), ("MessageStatus", "delivered")],
        vec![("MessageSid", "SM1"), ("MessageStatus", "deliv\u{0}ered")],
        vec![("MessageSid", "SM1"), ("MessageStatus", "failed"), ("ErrorCode", "30003; DROP")],
    ] {
        let answer = from_twilio(&app, STATUS, &params);
        assert_eq!((answer.status, answer.code()), (400, "invalid_input"), "{params:?}");
    }
}

fn profile(app: &TestApp, user: &User) -> Value {
    app.get("/api/me/profile", Some(user)).body
}

/// A text from `from`, as Twilio posts it.
pub fn text(app: &TestApp, from: &str, body: &str) -> Answer {
    from_twilio(
        app,
        INBOUND,
        &[("From", from), ("To", "+15005550006"), ("Body", body), ("MessageSid", "SMin")],
    )
}

#[test]
fn stop_in_any_form_opts_every_profile_with_that_phone_out_and_start_opts_back_in() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (mother, son, stranger) = (app.patient(), app.patient(), app.login());
    app.put("/api/me/profile", Some(&stranger), &json!({"full_name": "Other", "phone": "+6598765432"}));
    for stop in ["STOP", " stop ", "StopAll", "UNSUBSCRIBE", "cancel", "End", "QUIT"] {
        let answer = text(&app, "+6591234567", stop);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type.as_deref(), Some("text/xml; charset=utf-8"));
        assert_eq!(
            answer.body,
            Value::String("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".into())
        );
        assert_eq!(
            (profile(&app, &mother)["sms_opt_in"].as_bool(), profile(&app, &son)["sms_opt_in"].as_bool()),
            (Some(false), Some(false)),
            "{stop:?}"
        );
        assert_eq!(profile(&app, &stranger)["sms_opt_in"], true);
        text(&app, "+6591234567", "start");
    }
    for start in ["START", "yes", " Unstop "] {
        text(&app, "+6591234567", "STOP");
        text(&app, "+6591234567", start);
        assert_eq!(profile(&app, &mother)["sms_opt_in"], true, "{start:?}");
    }
}

#[test]
fn twilios_opt_out_type_and_whatsapp_senders_count_too() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.patient();
    let params = [("From", "+6591234567"), ("Body", "please stop texting me"), ("OptOutType", "STOP")];
    assert_eq!(from_twilio(&app, INBOUND, &params).status, 200);
    assert_eq!(profile(&app, &patient)["sms_opt_in"], false);
    text(&app, "whatsapp:+6591234567", "START");
    assert_eq!(profile(&app, &patient)["sms_opt_in"], true);
}

#[test]
fn help_is_answered_with_the_clinics_name_and_other_texts_are_passed_on() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.patient();
    for help in ["HELP", "info"] {
        let answer = text(&app, "+6591234567", help);
        let twiml = answer.body.as_str().unwrap();
        assert!(twiml.contains("<Response><Message>Gabriel Family Clinic: "), "{twiml}");
    }
    let chat = text(&app, "+6591234567", "Can I come at 10 instead?");
    let twiml = chat.body.as_str().unwrap();
    assert!(twiml.contains("we have passed your message to the clinic"), "{twiml}");
    assert_eq!(profile(&app, &patient)["sms_opt_in"], true);
}

#[test]
fn after_stop_nothing_is_texted_until_start() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let (patient, doctor) = (app.patient(), app.doctor("Dr Tan"));
    // A confirmation still waiting when the patient says STOP is not sent...
    app.booked(&patient, doctor, "2026-11-25T01:00:00Z");
    text(&app, "+6591234567", "STOP");
    assert_eq!(app.deliver().skipped, 1);
    // ...nor is the next booking's.
    app.clock.advance(time::Duration::seconds(1));
    app.booked(&patient, doctor, "2026-11-25T02:00:00Z");
    assert_eq!(app.deliver().skipped, 0, "skipped when booked, nothing left to deliver");
    let rows = app.notifications();
    assert!(
        rows.iter().all(|n| n["status"] == "skipped" && n["error_message"] == "patient opted out"),
        "{rows:?}"
    );
    assert!(fake.received().is_empty());
    // START: the next booking is confirmed again.
    text(&app, "+6591234567", "START");
    app.clock.advance(time::Duration::seconds(1));
    app.booked(&patient, doctor, "2026-11-25T03:00:00Z");
    assert_eq!(app.deliver().sent, 1);
    assert_eq!(fake.received().len(), 1);
}

#[test]
fn editing_a_profile_does_not_undo_a_stop() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let patient = app.patient();
    text(&app, "+6591234567", "STOP");
    let renamed =
        app.put("/api/me/profile", Some(&patient), &json!({"full_name": "Siti R.", "phone": "+6591234567"}));
    assert_eq!((renamed.status, renamed.body["sms_opt_in"].as_bool()), (200, Some(false)));
    let consent = json!({"full_name": "Siti R.", "phone": "+6591234567", "sms_opt_in": true});
    assert_eq!(
        app.put("/api/me/profile", Some(&patient), &consent).body["sms_opt_in"],
        true,
        "said explicitly, it counts"
    );
}

#[test]
fn an_unsigned_request_is_refused_before_its_body_is_read() {
    let fake = FakeTwilio::start();
    let app = app_with(&fake);
    let json =
        app.send("POST", STATUS, None, &[("Content-Type", "application/json")], Some("{\"MessageSid\": 1}"));
    assert_eq!((json.status, json.code()), (403, "forbidden"));
    let unconfigured = spawn_app_with(Settings::twilio(&fake));
    let garbage = unconfigured.send("POST", INBOUND, None, &[("X-Twilio-Signature", "x")], Some("%%%"));
    assert_eq!((garbage.status, garbage.code()), (403, "forbidden"));
}

#[test]
fn a_status_callback_that_beats_its_batchs_commit_is_not_lost() {
    let fake = FakeTwilio::start();
    // The second message hangs, so the batch holding both cannot commit yet.
    fake.script([
        clinic_twilio::fake::Reply::Created,
        clinic_twilio::fake::Reply::Hang(std::time::Duration::from_secs(60)),
    ]);
    let app = app_with(&fake);
    let doctor = app.doctor("Dr Tan");
    app.booked(&app.patient(), doctor, "2026-11-25T01:00:00Z");
    app.booked(&app.patient(), doctor, "2026-11-25T01:30:00Z");
    let worker = app.start_worker(std::time::Duration::from_secs(3600));
    let received = fake.wait_until(
        |r| r.len() == 2 && r.iter().any(|m| m.sid.is_some()),
        std::time::Duration::from_secs(20),
    );
    let sid = received.iter().find_map(|m| m.sid.clone()).unwrap();
    assert!(app.notifications().iter().all(|n| n["status"] == "pending"), "the batch has not committed");
    assert_eq!(status(&app, &sid, "delivered").status, 204);
    worker.stop();
    let delivered = app.notifications().into_iter().find(|n| n["provider_sid"] == sid.as_str()).unwrap();
    assert_eq!(
        (delivered["status"].as_str(), delivered["delivery_status"].as_str()),
        (Some("sent"), Some("delivered"))
    );
}
