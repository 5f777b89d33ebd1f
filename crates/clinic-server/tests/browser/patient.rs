//! The patient page in Chromium: booking end to end (doctor, day, slot, sign-in by the
//! texted code, details, booked, listed, cancelled), a slot taken meanwhile, booking by
//! keyboard alone, a double click on "Book", and each page pictured and checked by axe.

use clinic_twilio::fake::FakeTwilio;
use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::key::Key;
use serde_json::Value;
use uuid::Uuid;

use crate::axe::assert_accessible;
use crate::page::{Browser, DESK, PHONE, Size};
use crate::support::{SLOT, Settings, TestApp, User, spawn_app, spawn_app_with};
use crate::texts::last_code;

const PATIENT_PHONE: &str = "+6591234567";
/// The test clock's Tuesday 16:00 is past Dr Tan's hours: Wednesday is the first free day.
const WEDNESDAY: &str = "Wed 25 Nov 2026 →";

/// Follows the link reading `text`.
fn follow(browser: &Browser, text: &str) {
    let xpath = format!("//a[normalize-space(.)='{text}']");
    let link = browser.block_on(browser.client().find(Locator::XPath(&xpath)));
    let link = link.unwrap_or_else(|e| panic!("no link {text:?} on {}: {e}", browser.path()));
    browser.block_on(link.click()).unwrap_or_else(|e| panic!("follow {text:?}: {e}"));
}

/// A browser at `path` signed in as `user`: the session cookie holds the token the
/// sign-in pages would have put there (signing in itself is sign_in.rs's and the first
/// test's).
fn signed_in_at(app: &TestApp, user: &User, path: &str, size: Size) -> Browser {
    let browser = Browser::open(&app.url("/help"), size);
    let session = format!("clinic_session={}; path=/", user.token);
    browser.script("document.cookie = arguments[0]", vec![Value::String(session)]);
    browser.goto(&app.url(path));
    browser
}

/// A patient (with a profile) signed in at Dr Tan's 09:30 on Wednesday, "Book" before them.
fn at_the_slot() -> (TestApp, Uuid, User, Browser) {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let browser =
        signed_in_at(&app, &patient, &format!("/?doctor={doctor}&day=2026-11-25&slot={SLOT}"), PHONE);
    browser.wait_for_text("Your visit");
    (app, doctor, patient, browser)
}

/// Tabs to the control named `name` and presses `key` on it: a keyboard's click.
fn tab_and_press(browser: &Browser, name: &str, key: Key) {
    browser.tab_to(name);
    browser.keys(&key);
}

/// The patient's appointments as the API lists them.
fn appointments(app: &TestApp, user: &User) -> Vec<Value> {
    app.get("/api/appointments", Some(user)).body["appointments"].as_array().unwrap().clone()
}

#[test]
fn a_patient_books_end_to_end_and_cancels() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    app.doctor("Dr Tan");
    let browser = Browser::open(&app.url("/"), PHONE);
    follow(&browser, "Dr Tan");
    browser.wait_for_text("When would you like to see Dr Tan?");
    follow(&browser, WEDNESDAY);
    browser.wait_for_text("Free times on Wed 25 Nov 2026");
    follow(&browser, "09:30");

    browser.wait_for_text("We'll text a 6-digit code");
    browser.fill("Phone number", PATIENT_PHONE);
    browser.press("Text me a code");
    browser.wait_for_text("Enter your code");
    browser.fill("Code", &last_code(&fake, PATIENT_PHONE));
    browser.press("Sign in");
    browser.wait_for_text("Your visit");
    assert!(browser.text("#confirm").contains("Wed 25 Nov 2026, 09:30"), "back at the same slot");

    browser.press("Book");
    browser.wait_for_text("This is your first booking with us");
    browser.fill("Your full name", "Siti Rahman");
    browser.press("Save and book");
    browser.wait_for_text("Your visit is booked");
    assert_eq!(browser.path(), "/appointments");
    assert!(browser.text("main").contains("Wed 25 Nov 2026, 09:30"));

    follow(&browser, "Cancel");
    browser.wait_for_text("Cancel this visit?");
    browser.press("Yes, cancel this visit");
    browser.wait_for_text("Your visit is cancelled");
    assert!(browser.text("main").contains("Cancelled by you"));
}

#[test]
fn a_slot_taken_meanwhile_is_offered_again_not_an_error() {
    let (app, doctor, patient, browser) = at_the_slot();
    app.booked(&app.patient(), doctor, SLOT);

    browser.press("Book");
    browser.wait_for_text("That slot was just taken, pick another.");
    assert_eq!(browser.status(), 409);
    let slots = browser.text(".slots");
    assert!(slots.contains("10:00") && !slots.contains("09:30"), "reloaded: {slots}");
    assert_accessible(&browser);
    browser.screenshot("patient-slot-taken");
    assert!(appointments(&app, &patient).is_empty());
}

#[test]
fn a_patient_books_by_keyboard_alone() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    app.doctor("Dr Tan");
    let browser = Browser::open(&app.url("/"), PHONE);
    tab_and_press(&browser, "Dr Tan", Key::Enter);
    browser.wait_for_text("When would you like to see Dr Tan?");
    tab_and_press(&browser, WEDNESDAY, Key::Enter);
    browser.wait_for_text("Free times on Wed 25 Nov 2026");
    tab_and_press(&browser, "09:30", Key::Enter);

    browser.wait_for_text("We'll text a 6-digit code");
    browser.tab_to("Phone number");
    browser.keys(PATIENT_PHONE);
    browser.keys(&Key::Enter);
    browser.wait_for_text("Enter your code");
    browser.tab_to("Code");
    browser.keys(&last_code(&fake, PATIENT_PHONE));
    browser.keys(&Key::Enter);

    browser.wait_for_text("Your visit");
    tab_and_press(&browser, "Book", Key::Space);
    browser.wait_for_text("This is your first booking with us");
    browser.tab_to("Your full name");
    browser.keys("Siti Rahman");
    tab_and_press(&browser, "Text me about my visits", Key::Space); // no texts, please
    tab_and_press(&browser, "Save and book", Key::Enter);
    browser.wait_for_text("Your visit is booked");
    assert!(browser.text("main").contains("Wed 25 Nov 2026, 09:30"));
}

#[test]
fn a_double_click_on_book_books_once() {
    let (app, _, patient, browser) = at_the_slot();
    let book = browser.wait_for("#confirm button[type=submit]");
    let click = || {
        [PointerAction::Down { button: MOUSE_BUTTON_LEFT }, PointerAction::Up { button: MOUSE_BUTTON_LEFT }]
    };
    let double = click().into_iter().chain(click()).fold(
        MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: book,
            duration: None,
            x: 0.0,
            y: 0.0,
        }),
        InputSource::then,
    );
    browser.block_on(browser.client().perform_actions(double)).unwrap();
    browser.wait_for_text("Your visit is booked");
    let booked = appointments(&app, &patient);
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(app.notifications().len(), 1, "one confirmation");
}

#[test]
fn the_patient_pages_pass_axe_and_are_pictured_at_both_sizes() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    app.doctor("Dr Sarah Lim");
    let cancelled = app.booked(&patient, doctor, "2026-11-26T01:00:00Z");
    let cancel = app.request("POST", &format!("/api/appointments/{cancelled}/cancel"), Some(&patient), None);
    assert_eq!(cancel.status, 200, "{cancel:?}");
    app.booked(&patient, doctor, "2026-11-25T02:00:00Z");
    let pages = [
        ("patient-home", "/".to_owned()),
        ("patient-slots", format!("/?doctor={doctor}&day=2026-11-25&slot={SLOT}#confirm")),
        ("patient-appointments", "/appointments".to_owned()),
        ("patient-help", "/help".to_owned()),
    ];
    for size in [PHONE, DESK] {
        let browser = signed_in_at(&app, &patient, "/", size);
        for (name, path) in &pages {
            browser.goto(&app.url(path));
            browser.wait_for("footer");
            assert_accessible(&browser);
            browser.screenshot(name);
        }
    }
}
