//! The clinic's pages in a real headless Chromium, over WebDriver (chromedriver, started
//! once for the process), on the real app and a real PostgreSQL. Needs chromium and
//! chromium-driver installed (README); without them every test fails saying so.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod axe;
mod driver;
mod harness;
mod page;
mod sign_in;
mod site;
#[allow(dead_code)] // the API tests' helpers; the pages use some of them
#[path = "../api/support.rs"]
mod support;
mod texts;
