//! `POST {api}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, HTTP Basic; and
//! `GET` on the same URL to list the messages sent to a number, newest first.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clinic_domain::gateway::{LookupError, OutgoingMessage, SendError, SmsGateway};
use clinic_domain::patient::Channel;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

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

/// Messages asked for per page of a lookup, and pages read at most.
const LOOKUP_PAGE: &str = "20";
const LOOKUP_PAGES: usize = 5;

/// One page of `GET .../Messages.json`, newest first.
#[derive(Deserialize)]
struct MessagePage {
    messages: Vec<ListedMessage>,
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct ListedMessage {
    sid: String,
    body: Option<String>,
    /// RFC 2822, to the second: `Wed, 25 Nov 2026 01:30:00 +0000`.
    date_created: Option<String>,
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
            SendError::Unknown { .. } => {
                log::warn!(
                    "Twilio send to {to} may have been accepted; it is asked about before any retry: {error}"
                )
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
        let validity = message.valid_for.map(|valid| valid.as_secs().to_string());
        if let Some(seconds) = &validity {
            form.push(("ValidityPeriod", seconds));
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
                    // Twilio took it: asked about, never simply sent again.
                    .map_err(|e| SendError::Unknown {
                        message: format!("unreadable answer to an accepted message: {e}"),
                    })
            }
            Ok((status, retry_after, body)) => Err(classify(status, &body, retry_after)),
            Err(e) if never_sent(&e) => Err(SendError::Retryable {
                code: None,
                message: format!("Twilio unreachable: {e}"),
                retry_after: None,
            }),
            Err(e) => Err(SendError::Unknown { message: format!("no answer from Twilio: {e}") }),
        };
        if let Err(error) = &outcome {
            self.report(message, error);
        }
        outcome
    }

    fn find_sent(
        &self,
        message: &OutgoingMessage,
        since: OffsetDateTime,
    ) -> Result<Option<String>, LookupError> {
        let found = self.lookup(message, since);
        match &found {
            Ok(Some(sid)) => log::info!(
                "Twilio already had the message to {} ({sid}): adopted, not sent again",
                message.to.masked()
            ),
            Ok(None) => log::info!("Twilio has no earlier message to {}: sending it", message.to.masked()),
            Err(e) => {
                log::warn!("could not ask Twilio about an earlier message to {}: {e}", message.to.masked())
            }
        }
        found
    }
}

impl TwilioGateway {
    /// Reads the messages to `message`'s recipient, newest first, until one matches or
    /// they are older than `since`.
    fn lookup(
        &self,
        message: &OutgoingMessage,
        since: OffsetDateTime,
    ) -> Result<Option<String>, LookupError> {
        let (to, _) = self.addressing(message).map_err(|e| LookupError(e.to_string()))?;
        let mut page = self
            .list_page(self.agent.get(&self.messages_url).query("To", &to).query("PageSize", LOOKUP_PAGE))?;
        for _ in 1..=LOOKUP_PAGES {
            let mut older = 0;
            for listed in &page.messages {
                let created = listed
                    .date_created
                    .as_deref()
                    .and_then(|date| OffsetDateTime::parse(date, &Rfc2822).ok())
                    .ok_or_else(|| {
                        LookupError(format!("message {} has no readable date_created", listed.sid))
                    })?;
                if created < since {
                    // Twilio orders its list by date sent, not created: an older message
                    // can stand before a newer one still queued. Read the page to its end.
                    older += 1;
                    continue;
                }
                // A trial account prefixes the body it stores with a notice of its own.
                if listed.body.as_deref().is_some_and(|body| body.ends_with(&message.body)) {
                    return Ok(Some(listed.sid.clone()));
                }
            }
            // A page all older than the attempt: the pages after it are older still.
            let Some(next) = page.next_page_uri.as_ref().filter(|_| older < page.messages.len()) else {
                return Ok(None);
            };
            page = self.list_page(self.agent.get(&format!("{}{next}", self.config.api_base)))?;
        }
        Err(LookupError(format!(
            "more than {LOOKUP_PAGES} pages of messages to {} since the attempt",
            message.to.masked()
        )))
    }

    fn list_page(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    ) -> Result<MessagePage, LookupError> {
        let mut response = request
            .header("Authorization", &self.authorization)
            .call()
            .map_err(|e| LookupError(format!("Twilio unreachable: {e}")))?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().map_err(|e| LookupError(e.to_string()))?;
        if status != 200 {
            return Err(LookupError(classify(status, &body, None).to_string()));
        }
        serde_json::from_str(&body).map_err(|e| LookupError(format!("unreadable message list: {e}")))
    }
}

/// Whether a failed call certainly never reached Twilio: it failed while connecting.
fn never_sent(error: &ureq::Error) -> bool {
    use ureq::Timeout;
    match error {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => true,
        ureq::Error::Io(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}
