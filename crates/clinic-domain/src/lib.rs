//! The clinic's rules, free of I/O: who may book what, when a slot exists, what a
//! patient is told and when. Adapters fill the ports in [`ports`]; the server wires them.

#[macro_use]
mod named;

pub mod admin;
pub mod appointment;
pub mod booking;
pub mod clinic;
pub mod doctor;
pub mod events;
pub mod gateway;
pub mod ids;
pub mod message;
pub mod notification;
pub mod outbox;
pub mod patient;
pub mod phone;
pub mod ports;
pub mod profile;
pub mod reminders;
pub mod schedule;
pub mod validation;
