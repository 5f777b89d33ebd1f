//! What the outbox does, told to the operator: counted in `/metrics`, and the log
//! lines docs/operations.md lists.

use std::sync::Arc;

use clinic_domain::outbox::{OutboxEvent, OutboxObserver};

use clinic_domain::delivery::DeliveryOutcome;

use crate::metrics::Metrics;

/// Counts every message's outcome, and logs what an operator must hear of: messages
/// adopted from an earlier attempt, outcomes that could not be recorded, provider ids
/// shared by two messages, panics.
pub struct DeliveryLog {
    pub metrics: Arc<Metrics>,
}

impl OutboxObserver for DeliveryLog {
    fn observe(&self, event: OutboxEvent<'_>) {
        if let OutboxEvent::Delivered { kind, outcome, .. } = event {
            self.metrics.record_delivery(kind.as_str(), outcome.name());
        }
        match event {
            OutboxEvent::Delivered { id, kind, outcome: DeliveryOutcome::Adopted { provider_sid } } => {
                log::info!(
                    "outbox: {kind} {id} was already accepted by Twilio as {provider_sid}: recorded as sent, not sent again"
                )
            }
            OutboxEvent::Delivered { id, kind, outcome: DeliveryOutcome::Unknown { message, .. } } => {
                log::warn!(
                    "outbox: {kind} {id}: outcome unknown, Twilio is asked before any resend: {message}"
                )
            }
            OutboxEvent::Delivered { .. } => {}
            OutboxEvent::RecordFailed { error, retry_in: Some(wait) } => {
                log::warn!("outbox: recording a batch failed, recording again in {wait:?}: {error}")
            }
            OutboxEvent::RecordFailed { error, retry_in: None } => log::error!(
                "outbox: recording a batch failed for good: {error}; its messages are asked about before any resend"
            ),
            OutboxEvent::SharedSid { id, sid } => {
                log::warn!("outbox: Twilio gave message {id} the SID {sid}, which another message has too")
            }
            OutboxEvent::Panicked { id, cause } => {
                log::error!(
                    "outbox: delivering message {id} panicked: {cause}; it is asked about before any resend"
                )
            }
        }
    }
}
