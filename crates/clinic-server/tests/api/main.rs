//! The HTTP API through a real server and a real client, on a real PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod appointments;
mod arrivals;
mod booking;
mod changes;
mod chaos;
mod closures;
mod confirmations;
mod conventions;
mod dev_mode;
mod embedded;
mod errors;
mod health;
mod jwks;
mod limits;
mod logs;
mod metrics;
mod no_double_text;
mod openapi;
mod pages;
mod pages_desk;
mod pages_desk_parts;
mod pages_patient;
mod process;
mod profile;
mod public;
mod reception;
mod reminders;
mod replies;
mod request_ids;
mod sign_in;
mod support;
mod walk_ins;
mod webhooks;
