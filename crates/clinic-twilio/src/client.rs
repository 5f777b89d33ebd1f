//! `POST {api}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, HTTP Basic.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clinic_domain::gateway::{OutgoingMessage, SendError, SmsGateway};
use clinic_domain::patient::Channel;
use serde::Deserialize;

use crate::errors::{BAD_CREDENTIALS, classify};
use crate::rate_limit::RateLimiter;

/// Who SMS come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// `MessagingServiceSid`: Twilio picks the number.
    MessagingService(String),
    /// `From`: one number of ours.
    From(String),
}

#[derive(Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    /// `None` when only WhatsApp is configured.
    pub sms_sender: Option<Sender>,
    /// `whatsapp:+E164`; `None` means no WhatsApp.
    pub whatsapp_from: Option<String>,
    /// `https://api.twilio.com`, or a fake in tests.
    pub api_base: String,
    /// Where Twilio reports delivery: sent as `StatusCallback` when set.
    pub status_callback: Option<String>,
    pub connect_timeout: Duration,
    /// For the whole call: connect, send, answer.
    pub timeout: Duration,
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("sms_sender", &self.sms_sender)
            .field("whatsapp_from", &self.whatsapp_from)
            .field("api_base", &self.api_base)
            .field("status_callback", &self.status_callback)
            .finish_non_exhaustive()
    }
}

pub struct TwilioGateway {
    config: TwilioConfig,
    messages_url: String,
    authorization: String,
    agent: ureq::Agent,
    limiter: Arc<RateLimiter>,
    /// Bad credentials are logged as an error once, not once per message.
    credentials_reported: AtomicBool,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

impl TwilioGateway {
    pub fn new(config: TwilioConfig, limiter: Arc<RateLimiter>) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let credentials = STANDARD.encode(format!("{}:{}", config.account_sid, config.auth_token));
        Self {
            messages_url: format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                config.api_base, config.account_sid
            ),
            authorization: format!("Basic {credentials}"),
            config,
            agent,
            limiter,
            credentials_reported: AtomicBool::new(false),
        }
    }

    /// `To` and the sender fields for the channel; WhatsApp is addressed as such on both ends.
    fn addressing(&self, message: &OutgoingMessage) -> Result<(String, (&'static str, String)), SendError> {
        match message.channel {
            Channel::Sms => match &self.config.sms_sender {
                Some(Sender::MessagingService(sid)) => {
                    Ok((message.to.to_string(), ("MessagingServiceSid", sid.clone())))
                }
                Some(Sender::From(from)) => Ok((message.to.to_string(), ("From", from.clone()))),
                None => Err(SendError::NotConfigured("sms not configured".into())),
            },
            Channel::WhatsApp => match &self.config.whatsapp_from {
                Some(from) => Ok((format!("whatsapp:{}", message.to), ("From", from.clone()))),
                None => Err(SendError::NotConfigured("whatsapp not configured".into())),
            },
        }
    }

    fn report(&self, message: &OutgoingMessage, error: &SendError) {
        let to = message.to.masked();
        match error {
            SendError::Permanent { code: Some(code), .. } if code == &BAD_CREDENTIALS.to_string() => {
                if !self.credentials_reported.swap(true, Ordering::Relaxed) {
                    log::error!(
                        "Twilio refused our credentials (20003): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
                    );
                }
            }
            SendError::Retryable { .. } => {
                log::warn!("Twilio send to {to} will be retried: {error}")
            }
            _ => log::warn!("Twilio send to {to} failed: {error}"),
        }
    }
}

impl SmsGateway for TwilioGateway {
    fn send(&self, message: &OutgoingMessage) -> Result<String, SendError> {
        let (to, (sender_field, sender)) = self.addressing(message)?;
        let mut form =
            vec![("To", to.as_str()), (sender_field, sender.as_str()), ("Body", message.body.as_str())];
        if let Some(callback) = &self.config.status_callback {
            form.push(("StatusCallback", callback));
        }
        self.limiter.wait_turn();
        let result = self
            .agent
            .post(&self.messages_url)
            .header("Authorization", &self.authorization)
            .send_form(form)
            .and_then(|mut response| {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("Retry-After")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok())
                    .map(Duration::from_secs);
                Ok((status, retry_after, response.body_mut().read_to_string()?))
            });
        let outcome = match result {
            Ok((status, _, body)) if (200..300).contains(&status) => {
                serde_json::from_str::<Created>(&body)
                    .map(|created| created.sid)
                    // Twilio took it; sending again could text the patient twice.
                    .map_err(|e| SendError::Permanent {
                        code: None,
                        message: format!("unreadable answer to an accepted message: {e}"),
                    })
            }
            Ok((status, retry_after, body)) => Err(classify(status, &body, retry_after)),
            Err(e) => Err(SendError::Retryable {
                code: None,
                message: format!("Twilio unreachable: {e}"),
                retry_after: None,
            }),
        };
        if let Err(error) = &outcome {
            self.report(message, error);
        }
        outcome
    }
}
