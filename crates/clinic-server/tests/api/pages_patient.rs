//! The patient page over real HTTP: booking by the form (once, however often it is sent),
//! a slot taken or refused meanwhile, the first booking's details, My appointments with
//! move and cancel, and `/help`. Sessions are the access tokens the cookie holds.

use std::sync::Barrier;

use serde_json::json;
use uuid::Uuid;

use crate::pages::{Page, post, sign_in, visit};
use crate::sign_in::twilio_app;
use crate::support::{SLOT, Settings, TestApp, User, spawn_app, spawn_app_with};

/// 10:00 on Wednesday 2026-11-25 in Singapore, the slot after [`SLOT`] (09:30).
const NEXT_SLOT: &str = "2026-11-25T02:00:00Z";

fn get(app: &TestApp, path: &str, user: &User) -> Page {
    visit(app, path, Some(&user.token), None, None)
}

/// The booking form `path` shows, as its fields: doctor, start, key.
fn booking_form(app: &TestApp, user: &User, doctor: Uuid, slot: &str) -> Vec<(String, String)> {
    let page = get(app, &format!("/?doctor={doctor}&day=2026-11-25&slot={slot}"), user);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.text.contains(r#"action="/book""#), "{}", page.text);
    ["doctor", "start", "key"].map(|name| (name.to_owned(), hidden(&page.text, name))).to_vec()
}

/// The value of the hidden input `name` in `html`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"type="hidden" name="{name}" value=""#);
    let from = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    html[from..].split('"').next().unwrap().to_owned()
}

fn fields(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The patient's appointments as the API lists them.
fn appointments(app: &TestApp, user: &User) -> Vec<serde_json::Value> {
    app.get("/api/appointments", Some(user)).body["appointments"].as_array().unwrap().clone()
}

#[test]
fn the_same_booking_form_posted_twice_at_once_books_one_appointment() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let form = booking_form(&app, &patient, doctor, SLOT);
    assert!(Uuid::parse_str(&form[2].1).is_ok_and(|key| key.get_version_num() == 4), "{form:?}");

    let barrier = Barrier::new(2);
    let pages: Vec<Page> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    post(&app, "/book", Some(&patient.token), &fields(&form))
                })
            })
            .collect();
        posts.into_iter().map(|post| post.join().unwrap()).collect()
    });
    for page in &pages {
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/appointments?done=booked")),
            "{page:?}"
        );
    }
    let booked = appointments(&app, &patient);
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(
        (booked[0]["scheduled_start"].as_str(), booked[0]["doctor_id"].as_str()),
        (Some(SLOT), Some(&*doctor.to_string()))
    );

    let listed = get(&app, "/appointments?done=booked", &patient);
    assert!(listed.text.contains("Your visit is booked"), "{}", listed.text);
    assert!(listed.text.contains("Wed 25 Nov 2026, 09:30"), "in the clinic's zone: {}", listed.text);
    assert_eq!(app.notifications().len(), 1, "one confirmation");
}

#[test]
fn each_rendered_booking_form_carries_a_fresh_key() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let first = booking_form(&app, &patient, doctor, SLOT);
    let second = booking_form(&app, &patient, doctor, SLOT);
    assert_ne!(first[2].1, second[2].1);
}

#[test]
fn a_slot_taken_meanwhile_shows_the_day_again_with_its_slots_reloaded() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let form = booking_form(&app, &patient, doctor, SLOT);
    app.booked(&app.patient(), doctor, SLOT);

    let page = post(&app, "/book", Some(&patient.token), &fields(&form));
    assert_eq!(page.status, 409, "{page:?}");
    assert!(page.text.contains("That slot was just taken, pick another."), "{}", page.text);
    assert!(page.text.contains("Free times on Wed 25 Nov 2026"), "the day again: {}", page.text);
    assert!(page.text.contains(&format!("slot={NEXT_SLOT}")), "free slots listed: {}", page.text);
    assert!(!page.text.contains(&format!("slot={SLOT}")), "the taken slot is gone: {}", page.text);
    assert!(appointments(&app, &patient).is_empty());
}

#[test]
fn a_slot_no_longer_bookable_says_why_in_words() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let mut form = booking_form(&app, &patient, doctor, SLOT);
    app.clock.advance(time::Duration::hours(18)); // Wednesday 10:00: 09:30 has passed
    let page = post(&app, "/book", Some(&patient.token), &fields(&form));
    assert_eq!(page.status, 422, "{page:?}");
    assert!(page.text.contains("That time has already passed, pick another."), "{}", page.text);
    assert!(page.text.contains("Free times on Wed 25 Nov 2026"), "{}", page.text);

    form[1].1 = "2026-11-25T07:00:00Z".into(); // 15:00: Dr Tan sees patients 09:00 to 12:00
    form[2].1 = Uuid::new_v4().to_string();
    let page = post(&app, "/book", Some(&patient.token), &fields(&form));
    assert_eq!(page.status, 422, "{page:?}");
    assert!(page.text.contains("The doctor does not see patients at that time"), "{}", page.text);
}

#[test]
fn a_slot_the_clinic_closed_is_refused_with_the_closure_in_words() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let form = booking_form(&app, &patient, doctor, SLOT);
    let closure = json!({"doctor_id": doctor, "starts": "2026-11-25T00:00:00+08:00",
        "ends": "2026-11-26T00:00:00+08:00", "reason": "Dr Tan is unwell"});
    assert_eq!(app.post("/api/admin/closures", Some(&app.staff()), &closure).status, 201);
    let page = post(&app, "/book", Some(&patient.token), &fields(&form));
    assert_eq!(page.status, 422, "{page:?}");
    assert!(page.text.contains("The clinic is closed then"), "{}", page.text);
    assert!(page.text.contains("No free times on this day"), "{}", page.text);
}

#[test]
fn a_first_booking_asks_the_patients_name_then_saves_it_and_books() {
    let app = spawn_app();
    let (doctor, newcomer) = (app.doctor("Dr Tan"), app.login());
    let form = booking_form(&app, &newcomer, doctor, SLOT);
    let asked = post(&app, "/book", Some(&newcomer.token), &fields(&form));
    assert_eq!(asked.status, 200, "{asked:?}");
    assert!(asked.text.contains(r#"action="/book/details""#), "{}", asked.text);
    assert!(asked.text.contains(r#"<label for="full_name">"#), "{}", asked.text);
    assert_eq!(hidden(&asked.text, "key"), form[2].1, "the same booking's key travels along");

    let mut details = fields(&form);
    details.push(("full_name", "  "));
    let refused = post(&app, "/book/details", Some(&newcomer.token), &details);
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(
        refused
            .text
            .contains(r#"<p class="problem" id="full_name-problem" role="alert">must not be empty</p>"#),
        "the API's message next to the field: {}",
        refused.text
    );
    assert!(appointments(&app, &newcomer).is_empty());

    details.pop();
    details.push(("full_name", "Siti Rahman"));
    let booked = post(&app, "/book/details", Some(&newcomer.token), &details);
    assert_eq!(
        (booked.status, booked.location.as_deref()),
        (303, Some("/appointments?done=booked")),
        "{booked:?}"
    );
    let profile = app.get("/api/me/profile", Some(&newcomer)).body;
    assert_eq!(
        (profile["full_name"].as_str(), profile["sms_opt_in"].as_bool()),
        (Some("Siti Rahman"), Some(false))
    );
    assert_eq!(appointments(&app, &newcomer).len(), 1);
}

#[test]
fn a_visitor_picking_a_slot_signs_in_and_comes_back_to_the_same_doctor_and_day() {
    let (fake, app) = twilio_app();
    let doctor = app.doctor("Dr Tan");
    let day = visit(&app, &format!("/?doctor={doctor}&day=2026-11-25"), None, None, None);
    assert_eq!(day.status, 200);
    assert!(!day.text.contains(r#"action="/book""#), "no booking form before signing in");
    let next = format!("/?doctor={doctor}&day=2026-11-25&slot={SLOT}");
    let link = format!("/sign-in?next=/%3Fdoctor%3D{doctor}%26day%3D2026-11-25%26slot%3D{SLOT}");
    assert!(day.text.contains(&format!(r#"href="{link}""#)), "{}", day.text);

    let form = visit(&app, &link, None, None, None);
    assert!(
        form.text.contains(&format!(r#"name="next" value="{}""#, next.replace('&', "&amp;"))),
        "{}",
        form.text
    );
    let (session, signed_in) = sign_in(&app, &fake, 0, &next);
    assert_eq!(signed_in.location.as_deref(), Some(next.as_str()));
    let back = visit(&app, &next, Some(&session), None, None);
    assert!(back.text.contains(r#"action="/book""#), "the slot is ready to book: {}", back.text);
}

#[test]
fn a_session_ended_before_booking_signs_in_again_and_returns_to_the_slot() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let form = booking_form(&app, &patient, doctor, SLOT);
    let page = post(&app, "/book", None, &fields(&form));
    let next = format!("/sign-in?next=/%3Fdoctor%3D{doctor}%26day%3D2026-11-25%26slot%3D{SLOT}");
    assert_eq!((page.status, page.location.as_deref()), (303, Some(next.as_str())));
    assert!(appointments(&app, &patient).is_empty());
}

#[test]
fn cancelling_asks_first_then_frees_the_slot() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&patient, doctor, SLOT);
    let list = get(&app, "/appointments", &patient);
    assert!(list.text.contains(&format!(r#"href="/appointments/{id}/cancel""#)), "{}", list.text);

    let asked = get(&app, &format!("/appointments/{id}/cancel"), &patient);
    assert_eq!(asked.status, 200);
    assert!(
        asked.text.contains("Yes, cancel this visit") && asked.text.contains("Wed 25 Nov 2026, 09:30"),
        "{}",
        asked.text
    );
    assert_eq!(appointments(&app, &patient)[0]["status"], "booked", "asking cancels nothing");

    let done = post(&app, &format!("/appointments/{id}/cancel"), Some(&patient.token), &[]);
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/appointments?done=cancelled")));
    assert_eq!(appointments(&app, &patient)[0]["status"], "cancelled");
    let list = get(&app, "/appointments?done=cancelled", &patient);
    assert!(
        list.text.contains("Cancelled by you") && list.text.contains("No visits booked"),
        "{}",
        list.text
    );
}

#[test]
fn moving_picks_another_slot_of_the_same_doctor() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let id = app.booked(&patient, doctor, SLOT);
    let page = get(&app, &format!("/appointments/{id}/move?day=2026-11-25&slot={NEXT_SLOT}"), &patient);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Now: <strong>Wed 25 Nov 2026, 09:30"), "{}", page.text);
    assert!(page.text.contains("Move my visit here"), "{}", page.text);
    assert_eq!(hidden(&page.text, "start"), NEXT_SLOT);

    let moved =
        post(&app, &format!("/appointments/{id}/move"), Some(&patient.token), &[("start", NEXT_SLOT)]);
    assert_eq!((moved.status, moved.location.as_deref()), (303, Some("/appointments?done=moved")));
    let listed = appointments(&app, &patient);
    assert_eq!((listed.len(), listed[0]["scheduled_start"].as_str()), (1, Some(NEXT_SLOT)));

    app.booked(&app.patient(), doctor, SLOT);
    let taken = post(&app, &format!("/appointments/{id}/move"), Some(&patient.token), &[("start", SLOT)]);
    assert_eq!(taken.status, 409, "{taken:?}");
    assert!(taken.text.contains("That slot was just taken, pick another."), "{}", taken.text);
    assert_eq!(appointments(&app, &patient)[0]["scheduled_start"], NEXT_SLOT);
}

#[test]
fn a_patient_never_sees_or_changes_another_patients_appointment() {
    let app = spawn_app();
    let doctor = app.doctor("Dr Tan");
    let (owner, other) = (app.patient(), app.patient());
    let id = app.booked(&owner, doctor, SLOT);
    assert!(!get(&app, "/appointments", &other).text.contains("09:30"));
    for path in ["cancel", "move"] {
        let page = get(&app, &format!("/appointments/{id}/{path}"), &other);
        assert_eq!(page.status, 404, "{path}: {page:?}");
    }
    let cancel = post(&app, &format!("/appointments/{id}/cancel"), Some(&other.token), &[]);
    let moved = post(&app, &format!("/appointments/{id}/move"), Some(&other.token), &[("start", NEXT_SLOT)]);
    assert_eq!((cancel.status, moved.status), (404, 404));
    let kept = appointments(&app, &owner);
    assert_eq!(
        (kept[0]["status"].as_str(), kept[0]["scheduled_start"].as_str()),
        (Some("booked"), Some(SLOT))
    );
}

#[test]
fn my_appointments_needs_signing_in_and_comes_back_after() {
    let app = spawn_app();
    let page = visit(&app, "/appointments/x/move?day=2026-11-25", None, None, None);
    assert_eq!(page.location.as_deref(), Some("/sign-in?next=/appointments/x/move%3Fday%3D2026-11-25"));
}

#[test]
fn bad_input_is_a_4xx_page_never_a_500() {
    let app = spawn_app();
    let (doctor, patient) = (app.doctor("Dr Tan"), app.patient());
    let form = booking_form(&app, &patient, doctor, SLOT);
    let with = |index: usize, value: &str| {
        let mut bad = fields(&form);
        bad[index].1 = value;
        post(&app, "/book", Some(&patient.token), &bad).status
    };
    assert_eq!(with(0, "not-a-doctor"), 404);
    assert_eq!(with(0, &Uuid::new_v4().to_string()), 404);
    assert_eq!(with(1, "tomorrow"), 400);
    assert_eq!(with(2, ""), 400);
    assert_eq!(with(1, NEXT_SLOT), 303, "the form's key books its first slot");
    let mut again = fields(&form);
    again[1].1 = SLOT;
    let page = post(&app, "/book", Some(&patient.token), &again);
    assert_eq!(page.status, 422, "the same form's key for another slot: {page:?}");
    assert!(page.text.contains("That form was used for another booking already"), "{}", page.text);

    assert_eq!(get(&app, "/?doctor=nobody", &patient).status, 404);
    let day = get(&app, &format!("/?doctor={doctor}&day=someday"), &patient);
    assert_eq!(day.status, 400);
    assert!(
        day.text.contains(r#"id="day-problem" role="alert">must be a date YYYY-MM-DD</p>"#),
        "{}",
        day.text
    );
    assert_eq!(get(&app, "/appointments/nonsense/cancel", &patient).status, 404);
    let bad_move = post(
        &app,
        &format!("/appointments/{}/move", Uuid::new_v4()),
        Some(&patient.token),
        &[("start", "x")],
    );
    assert_eq!(bad_move.status, 400);
}

#[test]
fn the_help_page_explains_the_texts_and_every_page_links_to_it() {
    let app = spawn_app();
    assert!(visit(&app, "/", None, None, None).text.contains(r#"<a href="/help">"#));
    let help = visit(&app, "/help", None, None, None);
    assert_eq!(help.status, 200);
    for words in
        ["Reply <strong>STOP</strong>", "Reply <strong>C</strong>", "My appointments", "Ticket, please come"]
    {
        assert!(help.text.contains(words), "{words}: {}", help.text);
    }

    let mut settings = Settings::default();
    settings.vars.push(("REPLIES", "off".into()));
    let quiet = spawn_app_with(settings);
    let help = visit(&quiet, "/help", None, None, None);
    assert!(help.text.contains("Reply <strong>STOP</strong>"));
    assert!(!help.text.contains("Reply <strong>C</strong>"), "no C or X when replies are off");
}
