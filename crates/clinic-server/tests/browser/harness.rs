//! The harness itself, on pages of a local site: sizes, labels, keys, waits, cookies,
//! screenshots, axe-core, texted codes, and a clear failure when the browser is missing.

use clinic_twilio::fake::FakeTwilio;
use fantoccini::key::Key;
use serde_json::json;

use crate::axe::{assert_accessible, serious_violations};
use crate::driver::{INSTALL, locate};
use crate::page::{Browser, DESK, PHONE};
use crate::site::Site;
use crate::support::{Settings, spawn_app_with};
use crate::texts::last_code;

/// A small accessible page whose greeting appears a moment after "Greet" is pressed.
fn greeting_page() -> String {
    r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1"><title>Greeting</title></head>
    <body><main><h1>Greeting</h1>
    <label for="name">Your name</label> <input id="name" name="name" autocomplete="name">
    <label for="when">Time of day</label>
    <select id="when"><option>Good morning</option><option>Good evening</option></select>
    <button type="button" id="greet">Greet</button><p id="out" role="status"></p>
    <a href="/later">Later</a>
    <script>document.getElementById('greet').onclick = () => setTimeout(() => {
        const [name, when] = ['name', 'when'].map(id => document.getElementById(id).value);
        document.getElementById('out').textContent = when + ', ' + name;
    }, 300);</script></main></body></html>"#
        .to_owned()
}

/// A page that remembers the visit in a cookie, then moves on to `/` after a moment.
fn later_page() -> String {
    r#"<!doctype html><html lang="en"><head><title>Later</title></head><body><main>See you.
    <script>document.cookie = 'seen=yes; path=/'; setTimeout(() => location.assign('/'), 300);</script>
    </main></body></html>"#
        .to_owned()
}

/// A page with a field nobody can name and an image without a text.
fn careless_page() -> String {
    r#"<!doctype html><html><body><input id="x"><img src="/nothing.png"></body></html>"#.to_owned()
}

fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!(&png[1..4], b"PNG");
    (be(16), be(20))
}

#[test]
fn fields_are_filled_and_chosen_by_their_labels_and_the_page_is_awaited() {
    let site = Site::serve(vec![("/", greeting_page())]);
    let browser = Browser::open(&site.url("/"), PHONE);
    assert_eq!(browser.status(), 200);
    browser.fill("Your name", "Siti");
    browser.fill("Your name", "Siti Rahman");
    browser.choose("Time of day", "Good evening");
    browser.press("Greet");
    browser.wait_for_text("Good evening, Siti Rahman");
    assert_eq!(browser.text("#out"), "Good evening, Siti Rahman");
}

#[test]
fn a_keyboard_alone_moves_through_the_page_and_presses_buttons() {
    let site = Site::serve(vec![("/", greeting_page())]);
    let browser = Browser::open(&site.url("/"), DESK);
    browser.tab_to("Your name");
    browser.keys("Siti");
    browser.tab_to("Greet");
    browser.keys(&Key::Enter);
    browser.wait_for_text("Good morning, Siti");
    let lost = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| browser.tab_to("Nowhere")));
    let message = *lost.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("Tab never reaches \"Nowhere\"") && message.contains("Later"), "{message}");
}

#[test]
fn a_page_the_browser_moves_to_by_itself_is_awaited_and_its_cookies_read() {
    let site = Site::serve(vec![("/", greeting_page()), ("/later", later_page())]);
    let browser = Browser::open(&site.url("/later"), PHONE);
    browser.wait_for_path("/");
    browser.wait_for_text("Greeting");
    assert_eq!(browser.cookie("seen").unwrap().value(), "yes");
    assert!(browser.cookie("unseen").is_none());
}

#[test]
fn the_code_the_clinic_texted_is_read_from_the_fake_twilio() {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    let phone = "+6591234567";
    assert_eq!(app.post("/api/auth/otp", None, &json!({ "phone": phone })).status, 202);
    let code = last_code(&fake, phone);
    let verified = app.post("/api/auth/verify", None, &json!({ "phone": phone, "code": code }));
    assert_eq!(verified.status, 200, "{verified:?}");
}

#[test]
fn screenshots_are_saved_at_the_size_of_the_window() {
    let site = Site::serve(vec![("/", greeting_page())]);
    for size in [PHONE, DESK] {
        let browser = Browser::open(&site.url("/"), size);
        let viewport = browser.script("return [window.innerWidth, window.innerHeight]", vec![]);
        assert_eq!(viewport, serde_json::json!([size.width, size.height]));
        let path = browser.screenshot("harness-greeting");
        assert!(path.ends_with(format!("screenshots/harness-greeting-{}x{}.png", size.width, size.height)));
        assert_eq!(png_size(&std::fs::read(&path).unwrap()), (size.width, size.height));
    }
}

#[test]
fn axe_core_passes_a_careful_page_and_lists_what_a_careless_one_lacks() {
    let site = Site::serve(vec![("/", greeting_page()), ("/careless", careless_page())]);
    let browser = Browser::open(&site.url("/"), DESK);
    assert_accessible(&browser);

    browser.goto(&site.url("/careless"));
    let violations = serious_violations(&browser);
    let rules: Vec<&str> = violations.iter().map(|v| v.split(' ').next().unwrap()).collect();
    assert!(rules.contains(&"label") && rules.contains(&"image-alt"), "{violations:#?}");
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| assert_accessible(&browser)));
    let message = *failure.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("label (critical)") && message.contains("image-alt (critical)"), "{message}");
}

#[test]
fn a_missing_browser_or_driver_fails_naming_the_install_command() {
    let env = |chrome: &'static str, driver: &'static str| {
        move |name: &str| match name {
            "CHROME_BIN" => Some(chrome.to_owned()),
            "CHROMEDRIVER" => Some(driver.to_owned()),
            _ => None,
        }
    };
    let no_browser = locate(env("/nonexistent/chromium", "/usr/bin/true")).unwrap_err();
    assert!(no_browser.contains("CHROME_BIN=/nonexistent/chromium") && no_browser.contains(INSTALL));
    let no_driver = locate(env("/usr/bin/true", "/nonexistent/chromedriver")).unwrap_err();
    assert!(no_driver.contains("CHROMEDRIVER=/nonexistent/chromedriver") && no_driver.contains(INSTALL));
    assert!(INSTALL.contains("apt-get install chromium chromium-driver"));
}
