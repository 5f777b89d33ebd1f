//! The clinic's HTTP API, its pages and the `clinic` command: configuration,
//! authentication, handlers, and the wiring of the domain to its adapters.

pub mod app;
pub mod auth;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod config;
pub mod cors;
pub mod delivery_log;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod outbox;
pub mod pages;
pub mod routes;
pub mod runtime;
pub mod seed;
pub mod telemetry;
