//! The clinic's pages as HTML: what a patient and the front desk see. Pure rendering of
//! values the domain services return; no rule of the clinic lives here, and nothing is
//! fetched at run time: markup is Rust (maud), the stylesheet and script are compiled in.

pub mod assets;
pub mod desk;
pub mod form;
pub mod help;
pub mod layout;
pub mod link;
pub mod patient;
pub mod picking;
pub mod problem;
pub mod sign_in;
pub mod visits;
pub mod when;

pub use maud::{Markup, PreEscaped, html};
