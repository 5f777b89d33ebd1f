//! The Twilio adapter: the `SmsGateway` port over the Programmable Messaging API,
//! a log-only gateway for when Twilio is not configured, and webhook signatures.

mod client;
mod errors;
#[cfg(feature = "test-support")]
pub mod fake;
mod log_gateway;
mod rate_limit;
mod signature;

pub use client::{Sender, TwilioConfig, TwilioGateway};
pub use log_gateway::LogGateway;
pub use rate_limit::RateLimiter;
pub use signature::RequestValidator;
