//! The `SmsGateway` port: send one message, learn the provider's id or why not.

use std::time::Duration;

use thiserror::Error;

use crate::patient::Channel;
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub channel: Channel,
    pub to: PhoneNumber,
    pub body: String,
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
    /// Worth another try later (rate limited, provider down, timeout).
    #[error("{message}")]
    Retryable { code: Option<String>, message: String, retry_after: Option<Duration> },
    /// This service cannot send on that channel (`sms not configured`, ...).
    #[error("{0}")]
    NotConfigured(String),
}

#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SmsGateway: Send + Sync {
    /// Sends one message; the provider's message id.
    fn send(&self, message: &OutgoingMessage) -> Result<String, SendError>;
}
