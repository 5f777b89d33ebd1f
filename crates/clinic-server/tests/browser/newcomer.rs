//! The newcomer's path, as README's first lines promise it: the real `clinic` binary with
//! nothing configured (its embedded PostgreSQL), the URL it prints opened in Chromium, a
//! sign-in with the code it prints, and a booking.

use fantoccini::Locator;

use crate::page::{Browser, PHONE};
use crate::process::Clinic;
use crate::support::clinic_command;

/// A phone the demo clinic has never seen.
const NEWCOMER: &str = "+6598765432";

/// The first free slot from today on, following "later day" links: the wall clock decides
/// whether today still has one.
fn pick_the_first_free_slot(browser: &Browser) {
    for _ in 0..8 {
        let slots = browser.block_on(browser.client().find_all(Locator::Css(".slots a")));
        if let Some(slot) = slots.unwrap_or_default().into_iter().next() {
            browser.block_on(slot.click()).unwrap();
            return;
        }
        let later = browser.block_on(browser.client().find(Locator::XPath("//a[contains(., '→')]"))).unwrap();
        let day = browser.block_on(later.text()).unwrap().trim_end_matches('→').trim().to_owned();
        browser.block_on(later.click()).unwrap();
        browser.wait_for_text(&format!("Free times on {day}"));
    }
    panic!("no free slot in a week of the demo clinic");
}

#[test]
fn a_newcomer_opens_the_printed_page_signs_in_with_the_printed_code_and_books() {
    let data_dir = std::env::temp_dir().join(format!("clinic-newcomer-{}", uuid::Uuid::new_v4().simple()));
    // Nothing configured, not even RUST_LOG: the log level a newcomer gets.
    let clinic = Clinic::spawn(clinic_command().env_remove("RUST_LOG").env("CLINIC_DATA_DIR", &data_dir));
    let opened = clinic.line_with("in a browser to book");
    let page = opened.split_whitespace().find(|word| word.starts_with("http://")).unwrap().to_owned();

    let browser = Browser::open(&page, PHONE);
    browser.wait_for_text("Book a visit");
    let doctor = browser.block_on(browser.client().find(Locator::LinkText("Dr Tan Wei Ming"))).unwrap();
    browser.block_on(doctor.click()).unwrap();
    browser.wait_for_text("When would you like to see Dr Tan Wei Ming?");
    pick_the_first_free_slot(&browser);

    browser.wait_for_text("We'll text a 6-digit code");
    browser.fill("Phone number", NEWCOMER);
    browser.press("Text me a code");
    let printed = clinic.line_with("your sign-in code is ");
    let code: String = printed.split("your sign-in code is ").nth(1).unwrap().chars().take(6).collect();
    browser.wait_for_text("Enter your code");
    browser.fill("Code", &code);
    browser.press("Sign in");

    browser.wait_for_text("Your visit");
    browser.press("Book");
    browser.wait_for_text("This is your first booking with us");
    browser.fill("Your full name", "New Comer");
    browser.press("Save and book");
    browser.wait_for_text("Your visit is booked");
    assert!(browser.text("main").contains("Dr Tan Wei Ming"));

    drop(browser);
    assert!(clinic.interrupt().success());
    let _ = std::fs::remove_dir_all(&data_dir);
}
