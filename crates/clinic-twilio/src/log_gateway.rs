//! When Twilio is not configured, messages go to the log instead and their rows say so.

use clinic_domain::gateway::{LookupError, OutgoingMessage, SendError, SmsGateway};
use time::OffsetDateTime;

/// Logs each message (phone masked) and reports it as not sent: `sms not configured`.
#[derive(Debug, Default)]
pub struct LogGateway;

impl SmsGateway for LogGateway {
    fn send(&self, message: &OutgoingMessage) -> Result<String, SendError> {
        log::info!(
            "not sent, Twilio is not configured: {} to {}: {}",
            message.channel,
            message.to.masked(),
            message.body
        );
        Err(SendError::NotConfigured("sms not configured".into()))
    }

    /// Nothing ever reaches a provider from here.
    fn find_sent(&self, _: &OutgoingMessage, _: OffsetDateTime) -> Result<Option<String>, LookupError> {
        Ok(None)
    }
}
