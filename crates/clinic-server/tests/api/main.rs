//! The HTTP API through a real server and a real client, on a real PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod appointments;
mod booking;
mod confirmations;
mod dev_mode;
mod embedded;
mod errors;
mod health;
mod limits;
mod process;
mod profile;
mod public;
mod reminders;
mod support;
mod webhooks;
