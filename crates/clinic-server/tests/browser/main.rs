//! The clinic's pages in a real headless Chromium, over WebDriver (chromedriver, started
//! once for the process), on the real app and a real PostgreSQL. Needs chromium and
//! chromium-driver installed (README); without them every test fails saying so.
//!
//! A page test opens a `Browser` (page.rs) at a size, acts as a person would, and looks
//! (sign_in.rs has the whole flow; `Browser::client` and `block_on` reach the rest of
//! fantoccini):
//!
//! ```text
//! let fake = FakeTwilio::start();
//! let app = spawn_app_with(Settings::twilio(&fake));
//! let browser = Browser::open(&app.url("/sign-in"), PHONE); // or DESK
//! browser.fill("Phone number", "+6591234567");              // by the field's label
//! browser.press("Text me a code");                          // by the button's text
//! browser.wait_for_text("Enter your code");                 // waits, never sleeps
//! browser.tab_to("Code");                                  // or by keyboard alone…
//! browser.keys(&last_code(&fake, "+6591234567"));         // …with what the fake Twilio got
//! assert_accessible(&browser);                              // axe-core: nothing serious
//! browser.screenshot("sign-in-code");                       // target/screenshots/…-360x740.png
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod axe;
mod desk;
mod driver;
mod harness;
mod newcomer;
mod page;
mod patient;
#[allow(dead_code)] // the API tests' `clinic` child process; the newcomer's path uses it
#[path = "../api/process.rs"]
mod process;
mod sign_in;
mod site;
#[allow(dead_code)] // the API tests' helpers; the pages use some of them
#[path = "../api/support.rs"]
mod support;
mod texts;
