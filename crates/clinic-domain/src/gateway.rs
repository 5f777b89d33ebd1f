//! The `SmsGateway` port: send one message, learn the provider's id or why not; and
//! ask the provider whether a message was already created, when a send's fate is unknown.

use std::time::Duration;

use thiserror::Error;
use time::OffsetDateTime;

use crate::patient::Channel;
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub channel: Channel,
    pub to: PhoneNumber,
    pub body: String,
    /// The provider drops the message rather than deliver it later than this after
    /// accepting it (a reminder is worthless once its visit has started).
    pub valid_for: Option<Duration>,
}

/// Why a message was not accepted, in the terms that decide what happens next.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// Sending again will fail the same way (bad number, bad credentials, ...).
    #[error("{message}")]
    Permanent { code: Option<String>, message: String },
    /// The recipient has opted out with the provider (they texted STOP).
    #[error("{message}")]
    OptedOut { code: Option<String>, message: String },
    /// Not accepted, and worth another try later (rate limited, provider unreachable).
    #[error("{message}")]
    Retryable { code: Option<String>, message: String, retry_after: Option<Duration> },
    /// The provider may have accepted it: the request went out and no clear answer came
    /// back (a timeout, a broken connection, a 5xx). Never sent again before asking.
    #[error("{message}")]
    Unknown { message: String },
    /// This service cannot send on that channel (`sms not configured`, ...).
    #[error("{0}")]
    NotConfigured(String),
}

/// The provider could not be asked about its messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct LookupError(pub String);

#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SmsGateway: Send + Sync {
    /// Sends one message; the provider's message id.
    fn send(&self, message: &OutgoingMessage) -> Result<String, SendError>;

    /// The provider's id of a message to the same recipient with the same body created
    /// at or after `since`, if there is one.
    fn find_sent(
        &self,
        message: &OutgoingMessage,
        since: OffsetDateTime,
    ) -> Result<Option<String>, LookupError>;
}
