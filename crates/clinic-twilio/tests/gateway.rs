//! The Twilio adapter over real HTTP against the fake Twilio.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use clinic_domain::gateway::{OutgoingMessage, SendError, SmsGateway};
use clinic_domain::patient::Channel;
use clinic_domain::phone::PhoneNumber;
use clinic_twilio::fake::{ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, Reply};
use clinic_twilio::{LogGateway, RateLimiter, Sender, TwilioConfig, TwilioGateway};

fn config(fake: &FakeTwilio) -> TwilioConfig {
    TwilioConfig {
        account_sid: ACCOUNT_SID.into(),
        auth_token: AUTH_TOKEN.into(),
        sms_sender: Some(Sender::From("+15005550006".into())),
        whatsapp_from: Some("whatsapp:+14155238886".into()),
        api_base: fake.base_url().into(),
        status_callback: None,
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_millis(800),
    }
}

fn gateway(config: TwilioConfig) -> TwilioGateway {
    TwilioGateway::new(config, Arc::new(RateLimiter::per_second(1000)))
}

fn sms(body: &str) -> OutgoingMessage {
    OutgoingMessage {
        channel: Channel::Sms,
        to: PhoneNumber::parse("+6591234567").unwrap(),
        body: body.into(),
        valid_for: None,
    }
}

#[test]
fn a_message_is_posted_as_twilio_documents_and_its_sid_returned() {
    let fake = FakeTwilio::start();
    let sid = gateway(config(&fake)).send(&sms("Dr Tan, Wed 25 Nov 2026 & more")).unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"));
    assert_eq!(request.authorization.as_deref(), Some(FakeTwilio::expected_authorization().as_str()));
    assert_eq!(request.form["To"], "+6591234567");
    assert_eq!(request.form["From"], "+15005550006");
    assert_eq!(request.form["Body"], "Dr Tan, Wed 25 Nov 2026 & more");
    assert!(!request.form.contains_key("StatusCallback"));
    assert!(!request.form.contains_key("MessagingServiceSid"));
    assert_eq!(Some(sid), request.sid.clone());
}

#[test]
fn a_messaging_service_and_a_status_callback_are_sent_when_configured() {
    let fake = FakeTwilio::start();
    let config = TwilioConfig {
        sms_sender: Some(Sender::MessagingService("MG0123".into())),
        status_callback: Some("https://clinic.example.com/api/webhooks/twilio/status".into()),
        ..config(&fake)
    };
    gateway(config).send(&sms("hi")).unwrap();
    let form = &fake.received()[0].form;
    assert_eq!(form["MessagingServiceSid"], "MG0123");
    assert!(!form.contains_key("From"));
    assert_eq!(form["StatusCallback"], "https://clinic.example.com/api/webhooks/twilio/status");
}

#[test]
fn whatsapp_is_addressed_as_whatsapp_on_both_ends() {
    let fake = FakeTwilio::start();
    let message = OutgoingMessage { channel: Channel::WhatsApp, ..sms("hi") };
    gateway(config(&fake)).send(&message).unwrap();
    let form = &fake.received()[0].form;
    assert_eq!(form["To"], "whatsapp:+6591234567");
    assert_eq!(form["From"], "whatsapp:+14155238886");
}

#[test]
fn a_channel_without_a_sender_is_not_configured_and_nothing_is_sent() {
    let fake = FakeTwilio::start();
    let no_whatsapp = TwilioConfig { whatsapp_from: None, ..config(&fake) };
    let whatsapp = OutgoingMessage { channel: Channel::WhatsApp, ..sms("hi") };
    assert_eq!(
        gateway(no_whatsapp).send(&whatsapp),
        Err(SendError::NotConfigured("whatsapp not configured".into()))
    );
    assert!(fake.received().is_empty());
}

#[test]
fn twilio_errors_are_read_from_their_json() {
    let fake = FakeTwilio::start();
    fake.script([Reply::error(21211), Reply::error(21614), Reply::error(21610)]);
    let gateway = gateway(config(&fake));
    assert!(
        matches!(gateway.send(&sms("a")), Err(SendError::Permanent { code: Some(c), .. }) if c == "21211")
    );
    assert!(
        matches!(gateway.send(&sms("b")), Err(SendError::Permanent { code: Some(c), .. }) if c == "21614")
    );
    assert!(
        matches!(gateway.send(&sms("c")), Err(SendError::OptedOut { code: Some(c), .. }) if c == "21610")
    );
}

#[test]
fn a_rate_limit_is_retryable_with_its_retry_after() {
    let fake = FakeTwilio::start();
    fake.script([Reply::TooManyRequests { retry_after_secs: 7 }]);
    assert_eq!(
        gateway(config(&fake)).send(&sms("a")),
        Err(SendError::Retryable {
            code: Some("20429".into()),
            message: "Too Many Requests".into(),
            retry_after: Some(Duration::from_secs(7))
        })
    );
}

#[test]
fn a_send_that_may_have_been_accepted_is_unknown_not_retryable() {
    let fake = FakeTwilio::start();
    fake.script([
        Reply::ServerError,
        Reply::AcceptThenFail,
        Reply::AcceptThenDrop,
        Reply::AcceptThenHold(Duration::from_secs(30)),
    ]);
    let gateway = gateway(config(&fake));
    for body in ["5xx", "5xx after accepting", "dropped", "timed out"] {
        assert!(matches!(gateway.send(&sms(body)), Err(SendError::Unknown { .. })), "{body}");
    }
    let accepted: Vec<_> = fake.accepted().into_iter().map(|m| m.body).collect();
    assert_eq!(accepted, ["5xx after accepting", "dropped", "timed out"]);
}

#[test]
fn an_unreachable_twilio_is_retryable() {
    let fake = FakeTwilio::start();
    let config = config(&fake);
    drop(fake);
    assert!(matches!(gateway(config).send(&sms("a")), Err(SendError::Retryable { .. })));
}

#[test]
fn wrong_credentials_are_permanent() {
    let fake = FakeTwilio::start();
    let config = TwilioConfig { auth_token: "wrong".into(), ..config(&fake) };
    assert!(
        matches!(gateway(config).send(&sms("a")), Err(SendError::Permanent { code: Some(c), .. }) if c == "20003")
    );
}

#[test]
fn without_twilio_messages_go_to_the_log_and_count_as_not_configured() {
    assert_eq!(LogGateway.send(&sms("hello")), Err(SendError::NotConfigured("sms not configured".into())));
}

#[test]
fn the_config_never_prints_the_token() {
    let fake = FakeTwilio::start();
    assert!(!format!("{:?}", config(&fake)).contains(AUTH_TOKEN));
}

fn since(seconds_ago: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() - time::Duration::seconds(seconds_ago)
}

#[test]
fn a_message_twilio_accepted_is_found_by_recipient_and_body() {
    let fake = FakeTwilio::start();
    let gateway = gateway(config(&fake));
    let sid = gateway.send(&sms("Dr Tan, Wed 25 Nov 2026, 09:30")).unwrap();
    gateway.send(&sms("another message")).unwrap();
    let other = OutgoingMessage {
        to: PhoneNumber::parse("+6598765432").unwrap(),
        ..sms("Dr Tan, Wed 25 Nov 2026, 09:30")
    };
    assert_eq!(gateway.find_sent(&sms("Dr Tan, Wed 25 Nov 2026, 09:30"), since(60)), Ok(Some(sid)));
    assert_eq!(gateway.find_sent(&sms("never sent"), since(60)), Ok(None));
    assert_eq!(gateway.find_sent(&other, since(60)), Ok(None), "another recipient");
    let lookups = fake.lookups();
    assert_eq!(lookups.len(), 3);
    assert!(lookups[0].contains("To=%2B6591234567") && lookups[0].contains("PageSize=20"), "{lookups:?}");
}

#[test]
fn a_message_created_before_the_attempt_is_not_taken_for_it() {
    let fake = FakeTwilio::start();
    let gateway = gateway(config(&fake));
    gateway.send(&sms("same text")).unwrap();
    let after = OffsetDateTime::now_utc() + time::Duration::seconds(5);
    assert_eq!(gateway.find_sent(&sms("same text"), after), Ok(None));
}

#[test]
fn the_lookup_reads_further_pages_newest_first() {
    let fake = FakeTwilio::start();
    let gateway = gateway(config(&fake));
    let wanted = gateway.send(&sms("the one")).unwrap();
    for i in 0..45 {
        gateway.send(&sms(&format!("later {i}"))).unwrap();
    }
    assert_eq!(gateway.find_sent(&sms("the one"), since(60)), Ok(Some(wanted)));
    assert_eq!(fake.lookups().len(), 3, "three pages of twenty");
}

#[test]
fn a_lookup_twilio_refuses_is_an_error_not_an_answer() {
    let fake = FakeTwilio::start();
    let config = TwilioConfig { auth_token: "wrong".into(), ..config(&fake) };
    assert!(gateway(config).find_sent(&sms("a"), since(60)).is_err());
    let unreachable = {
        let fake = FakeTwilio::start();
        self::config(&fake)
    };
    assert!(self::gateway(unreachable).find_sent(&sms("a"), since(60)).is_err());
}

#[test]
fn a_reminder_carries_its_validity_period() {
    let fake = FakeTwilio::start();
    let message = OutgoingMessage { valid_for: Some(Duration::from_secs(5400)), ..sms("reminder") };
    gateway(config(&fake)).send(&message).unwrap();
    gateway(config(&fake)).send(&sms("confirmation")).unwrap();
    let received = fake.received();
    assert_eq!(received[0].form.get("ValidityPeriod").map(String::as_str), Some("5400"));
    assert!(!received[1].form.contains_key("ValidityPeriod"));
}

#[test]
fn without_twilio_nothing_is_ever_found() {
    assert_eq!(LogGateway.find_sent(&sms("hello"), since(60)), Ok(None));
}
