//! The PostgreSQL adapter against a real PostgreSQL: one database per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod appointments;
mod attempts;
mod changes;
mod closures;
mod doctors;
mod fixtures;
mod inbox;
mod metrics;
mod migrations;
mod outbox;
mod patient_records;
mod patients;
mod pool;
mod queue;
mod reminders;
mod sign_in;
