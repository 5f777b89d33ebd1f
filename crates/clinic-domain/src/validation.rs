//! Per-field messages for input that does not make sense, gathered so that a client
//! learns everything wrong with a request at once.

use std::collections::BTreeMap;

use thiserror::Error;

#[derive(Debug, Clone, Default, PartialEq, Eq, Error)]
#[error("invalid input: {}", self.describe())]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the first message for a field: it is usually the most basic problem.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// `Ok(value)` when nothing was added.
    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }

    fn describe(&self) -> String {
        self.0.iter().map(|(field, message)| format!("{field}: {message}")).collect::<Vec<_>>().join("; ")
    }
}
