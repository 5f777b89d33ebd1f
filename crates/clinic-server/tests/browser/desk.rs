//! The reception desk in Chromium: staff book for a caller, mark an outcome, call a
//! walk-in's ticket; every desk page pictured at both sizes and checked by axe-core.

use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{Clock, SignInRepository};
use clinic_domain::sign_in_code::{StaffPhone, StaffRole};
use clinic_twilio::fake::FakeTwilio;
use fantoccini::key::Key;
use time::macros::datetime;

use crate::axe::assert_accessible;
use crate::page::{Browser, DESK, PHONE, Size};
use crate::support::{Settings, TestApp, spawn_app_with};
use crate::texts::last_code;

const DESK_PHONE: &str = "+6590000000";

/// Wednesday 2026-11-25, 08:30 in Singapore: the morning's slots are all ahead.
fn desk_app(fake: &FakeTwilio) -> TestApp {
    let app = spawn_app_with(Settings { now: datetime!(2026-11-25 00:30 UTC), ..Settings::twilio(fake) });
    app.doctor("Dr Tan");
    let admin = StaffPhone {
        phone: PhoneNumber::parse(DESK_PHONE).unwrap(),
        name: "Desk".into(),
        role: StaffRole::Admin,
    };
    app.store.add_staff(&admin, app.clock.now()).unwrap();
    app
}

/// At the desk, signed in as its admin with the texted code.
fn at_the_desk(app: &TestApp, fake: &FakeTwilio, size: Size) -> Browser {
    let browser = Browser::open(&app.url("/sign-in?next=/desk"), size);
    browser.fill("Phone number", DESK_PHONE);
    browser.press("Text me a code");
    browser.wait_for_text("Enter your code");
    browser.fill("Code", &last_code(fake, DESK_PHONE));
    browser.press("Sign in");
    browser.wait_for_path("/desk");
    browser
}

#[test]
fn staff_register_a_caller_and_book_them_a_slot() {
    let fake = FakeTwilio::start();
    let app = desk_app(&fake);
    let browser = at_the_desk(&app, &fake, DESK);
    browser.goto(&app.url("/desk/patients"));
    browser.fill("Full name", "Ahmad Yusof");
    browser.fill("Phone", "+6598765432");
    browser.press("Register");
    browser.wait_for_text("Registered. Pick a doctor, a day and a slot to book for them.");
    browser.press("Book at 09:30");
    browser.wait_for_text("Booked. The patient is texted a confirmation.");
    assert!(browser.text("#main").contains("Wed 25 Nov 2026, 09:30 · Dr Tan · Booked"));
    browser.goto(&app.url("/desk"));
    browser.wait_for_text("Ahmad Yusof");
    assert!(browser.text("table").contains("+65****5432"));
}

#[test]
fn staff_mark_an_arrival_and_an_outcome_and_a_refusal_is_said() {
    let fake = FakeTwilio::start();
    let app = desk_app(&fake);
    let siti = app.patient();
    app.booked(&siti, app.doctor("Dr Lim"), "2026-11-25T01:00:00Z");
    let browser = at_the_desk(&app, &fake, DESK);
    browser.press("Arrived Siti Rahman at 09:00");
    browser.wait_for_text("Marked arrived.");
    assert!(browser.text("table").contains("Arrived 08:30"));
    browser.press("No-show Siti Rahman at 09:00");
    browser.wait_for_text("That didn't work: the status cannot change: the appointment has not started yet.");
    app.clock.advance(time::Duration::hours(1));
    browser.press("No-show Siti Rahman at 09:00");
    browser.wait_for_text("Marked as a no-show.");
    assert!(browser.text("table").contains("No-show"));
}

#[test]
fn staff_call_a_walk_in_to_a_room_and_the_visitor_is_texted() {
    let fake = FakeTwilio::start();
    let app = desk_app(&fake);
    let browser = at_the_desk(&app, &fake, DESK);
    browser.goto(&app.url("/desk/queue"));
    browser.fill("Name", "Mei Ling");
    browser.fill("Phone", "+6598765433");
    browser.press("Issue ticket");
    browser.wait_for_text("Ticket issued.");
    browser.fill("Send A001 to room", "Room 3");
    browser.press("Call A001");
    browser.wait_for_text("Called. The patient is texted the room.");
    app.deliver();
    let texts = fake.wait_until(
        |all| all.iter().any(|r| r.form.get("To").is_some_and(|to| to == "+6598765433")),
        std::time::Duration::from_secs(15),
    );
    let call = texts.iter().find(|r| r.form.get("To").is_some_and(|to| to == "+6598765433")).unwrap();
    assert!(call.form["Body"].contains("Room 3"), "{:?}", call.form);
}

#[test]
fn every_desk_page_is_pictured_at_both_sizes_and_accessible() {
    let fake = FakeTwilio::start();
    let app = desk_app(&fake);
    let siti = app.patient();
    let doctor = app.doctor("Dr Lim");
    let visit = app.booked(&siti, doctor, "2026-11-25T02:00:00Z");
    let walk_in = serde_json::json!({"name": "Mei Ling", "phone": "+6598765433"});
    assert_eq!(app.post("/api/admin/queue", Some(&app.staff()), &walk_in).status, 201);
    for size in [DESK, PHONE] {
        // One code per phone a minute: the second sign-in comes later.
        app.clock.advance(time::Duration::minutes(2));
        let browser = at_the_desk(&app, &fake, size);
        let pages = [
            ("desk-today", "/desk".to_owned()),
            ("desk-patients", "/desk/patients?q=siti".to_owned()),
            ("desk-patient", format!("/desk/patients/{}", siti.id)),
            ("desk-move", format!("/desk/appointments/{visit}/move?doctor={doctor}&date=2026-11-25")),
            ("desk-queue", "/desk/queue".to_owned()),
            ("desk-inbox", "/desk/inbox".to_owned()),
            ("desk-messages", "/desk/messages".to_owned()),
            ("desk-closures", "/desk/closures".to_owned()),
            ("desk-staff", "/desk/staff".to_owned()),
        ];
        for (name, path) in pages {
            browser.goto(&app.url(&path));
            assert_eq!(browser.status(), 200, "{path}");
            assert_accessible(&browser);
            browser.screenshot(name);
        }
    }
}

#[test]
fn the_queue_is_run_by_keyboard_alone() {
    let fake = FakeTwilio::start();
    let app = desk_app(&fake);
    let browser = at_the_desk(&app, &fake, DESK);
    browser.goto(&app.url("/desk/queue"));
    browser.tab_to("Name");
    browser.keys("Mei Ling");
    browser.tab_to("Phone");
    browser.keys("+6598765433");
    browser.tab_to("Issue ticket");
    browser.keys(&Key::Enter);
    browser.wait_for_text("Ticket issued.");
    browser.tab_to("Send A001 to room");
    browser.keys("Room 3");
    browser.keys(&Key::Enter);
    browser.wait_for_text("Called. The patient is texted the room.");
    assert!(browser.text("table").contains("called · Room 3"));
}
