//! Signing in on the pages, in Chromium: the phone, the code texted to it (read from the
//! fake Twilio), the session cookie out of scripts' reach, signing out, a wrong code,
//! a form sent from another site, the database down.

use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::SignInRepository;
use clinic_domain::sign_in_code::{StaffPhone, StaffRole};
use clinic_postgres::PgStore;
use clinic_twilio::fake::FakeTwilio;
use fantoccini::key::Key;

use crate::axe::assert_accessible;
use crate::page::{Browser, DESK, PHONE, Size};
use crate::site::Site;
use crate::support::{NOW, Settings, TestApp, spawn_app_with};
use crate::texts::last_code;

const PATIENT_PHONE: &str = "+6591234567";

fn twilio_app() -> (FakeTwilio, TestApp) {
    let fake = FakeTwilio::start();
    let app = spawn_app_with(Settings::twilio(&fake));
    (fake, app)
}

/// At the code form, having asked for a code for `phone`.
fn code_asked(app: &TestApp, phone: &str, size: Size) -> Browser {
    let browser = Browser::open(&app.url("/sign-in"), size);
    browser.fill("Phone number", phone);
    browser.press("Text me a code");
    browser.wait_for_text("Enter your code");
    browser
}

/// Signed in as `phone` with the code it was texted; wherever the clinic sends them.
fn signed_in(app: &TestApp, fake: &FakeTwilio, phone: &str, size: Size) -> Browser {
    let browser = code_asked(app, phone, size);
    browser.fill("Code", &last_code(fake, phone));
    browser.press("Sign in");
    browser.wait_for_text("Signed in as");
    browser
}

fn session_cookie_in_document(browser: &Browser) -> bool {
    browser.script("return document.cookie", vec![]).as_str().unwrap().contains("clinic_session")
}

#[test]
fn a_patient_signs_in_with_the_texted_code_and_no_script_can_read_the_session() {
    let (fake, app) = twilio_app();
    let browser = signed_in(&app, &fake, PATIENT_PHONE, PHONE);
    assert_eq!(browser.path(), "/");
    assert!(browser.text("header").contains("Signed in as +65"), "the masked phone");
    assert!(!browser.text("header").contains(PATIENT_PHONE), "never the whole phone");

    let cookie = browser.cookie("clinic_session").expect("the session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site().map(|s| s.to_string()).as_deref(), Some("Lax"));
    assert!(!session_cookie_in_document(&browser), "document.cookie must not show the session");
}

#[test]
fn staff_sign_in_the_same_way_and_land_on_the_desk() {
    let (fake, app) = twilio_app();
    let staff = StaffPhone {
        phone: PhoneNumber::parse("+6598765432").unwrap(),
        name: "Nurse Lim".into(),
        role: StaffRole::Staff,
    };
    app.store.add_staff(&staff, NOW).unwrap();
    let browser = signed_in(&app, &fake, "+6598765432", DESK);
    browser.wait_for_path("/desk");
}

#[test]
fn signing_out_ends_the_session() {
    let (fake, app) = twilio_app();
    let browser = signed_in(&app, &fake, PATIENT_PHONE, PHONE);
    browser.press("Sign out");
    browser.wait_for_path("/");
    browser.wait_for("header a[href='/sign-in']");
    assert!(browser.cookie("clinic_session").is_none());
    browser.goto(&app.url("/"));
    assert!(!browser.text("header").contains("Signed in as"));
}

#[test]
fn a_wrong_code_is_shown_next_to_the_code_field() {
    let (fake, app) = twilio_app();
    let browser = code_asked(&app, PATIENT_PHONE, PHONE);
    let right = last_code(&fake, PATIENT_PHONE);
    let wrong: String = right.chars().map(|d| if d == '1' { '2' } else { '1' }).collect();
    browser.fill("Code", &wrong);
    browser.press("Sign in");

    let problem = browser.text("#code-problem");
    assert!(!problem.is_empty());
    assert!((400..500).contains(&browser.status()), "{}", browser.status());
    let beside = browser.script(
        "const code = document.getElementById('code');
         return [code.closest('.field').contains(document.getElementById('code-problem')),
                 code.getAttribute('aria-invalid'), code.getAttribute('aria-describedby')]",
        vec![],
    );
    assert_eq!(beside[0], true, "the message is in the code's field");
    assert_eq!(beside[1], "true");
    assert!(beside[2].as_str().unwrap().split(' ').any(|id| id == "code-problem"), "{beside}");
    assert!(browser.cookie("clinic_session").is_none());
    assert_accessible(&browser);
    browser.screenshot("sign-in-wrong-code");

    // The right code still works after one wrong try.
    browser.fill("Code", &right);
    browser.press("Sign in");
    browser.wait_for_text("Signed in as");
}

#[test]
fn signing_in_needs_no_mouse() {
    let (fake, app) = twilio_app();
    let browser = Browser::open(&app.url("/sign-in"), PHONE);
    browser.tab_to("Phone number");
    browser.keys(PATIENT_PHONE);
    browser.keys(&Key::Enter);
    browser.wait_for_text("Enter your code");
    browser.tab_to("Code");
    browser.keys(&last_code(&fake, PATIENT_PHONE));
    browser.tab_to("Sign in");
    browser.keys(&Key::Enter);
    browser.wait_for_text("Signed in as");
    browser.tab_to("Sign out");
    browser.keys(&Key::Enter);
    browser.wait_for("header a[href='/sign-in']");
}

/// A page on another site that posts, as soon as it loads, to `action`.
fn forging_page(action: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
        <form id="forged" method="post" action="{action}"><input type="hidden" name="next" value="/"></form>
        <script>document.getElementById('forged').submit();</script></body></html>"#
    )
}

#[test]
fn a_form_sent_from_another_site_is_refused_and_does_nothing() {
    let (fake, app) = twilio_app();
    let browser = signed_in(&app, &fake, PATIENT_PHONE, PHONE);
    // Another port of 127.0.0.1 is the same site, so SameSite=Lax sends the cookie:
    // only the Origin check stands between this page and signing the patient out.
    let other = Site::serve(vec![("/prize", forging_page(&app.url("/sign-out")))]);
    browser.goto(&other.url("/prize"));
    browser.wait_for_text("another website");
    assert_eq!(browser.status(), 403);
    assert!(browser.path() == "/sign-out" && browser.script("return location.origin", vec![]) == app.base);

    assert!(browser.cookie("clinic_session").is_some(), "the session was not cleared");
    browser.goto(&app.url("/"));
    assert!(browser.text("header").contains("Signed in as"));
}

#[test]
fn the_database_down_shows_the_try_again_page() {
    let down = PgStore::connect("host=/nonexistent user=postgres dbname=clinic", 2);
    let app = spawn_app_with(Settings { store: Some(down), ..Settings::default() });
    let browser = Browser::open(&app.url("/"), PHONE);
    browser.wait_for_text("Try again in a minute");
    assert_eq!(browser.status(), 503);
    assert_accessible(&browser);
    browser.screenshot("try-again");

    // Asking for a code needs the database too: the same page, not a half-done form.
    browser.goto(&app.url("/sign-in"));
    browser.fill("Phone number", PATIENT_PHONE);
    browser.press("Text me a code");
    browser.wait_for_text("Try again in a minute");
    assert_eq!(browser.status(), 503);
}

#[test]
fn the_sign_in_pages_pass_axe_and_are_pictured_at_both_sizes() {
    let (_fake, app) = twilio_app();
    for (n, size) in [PHONE, DESK].into_iter().enumerate() {
        let browser = Browser::open(&app.url("/sign-in"), size);
        assert_accessible(&browser);
        browser.screenshot("sign-in");

        // A different phone each time: one code per phone per minute.
        let browser = code_asked(&app, &format!("+659123456{n}"), size);
        assert_accessible(&browser);
        browser.screenshot("sign-in-code");
    }
}
