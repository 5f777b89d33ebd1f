//! The Twilio adapter over real HTTP against the fake Twilio.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

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
fn rate_limits_outages_and_timeouts_are_retryable() {
    let fake = FakeTwilio::start();
    fake.script([
        Reply::TooManyRequests { retry_after_secs: 7 },
        Reply::ServerError,
        Reply::Hang(Duration::from_secs(30)),
    ]);
    let gateway = gateway(config(&fake));
    assert_eq!(
        gateway.send(&sms("a")),
        Err(SendError::Retryable {
            code: Some("20429".into()),
            message: "Too Many Requests".into(),
            retry_after: Some(Duration::from_secs(7))
        })
    );
    assert!(matches!(gateway.send(&sms("b")), Err(SendError::Retryable { code: None, .. })));
    assert!(
        matches!(gateway.send(&sms("c")), Err(SendError::Retryable { message, .. }) if message.contains("unreachable"))
    );
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
