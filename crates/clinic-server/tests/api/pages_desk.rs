//! The desk's pages over real HTTP: the day list, outcomes and cancels, moving, finding,
//! registering and booking for a patient; refusals and problems shown on the page; no
//! full phone number on any desk page. (The other parts: pages_desk_parts.rs.)

use clinic_postgres::PgStore;
use clinic_twilio::fake::FakeTwilio;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::pages::{Page, post, visit};
use crate::support::{SECRET, SLOT, Settings, TestApp, spawn_app, spawn_app_with};

/// Siti's phone, as `TestApp::patient` registers it.
pub(crate) const SITI_PHONE: &str = "+6591234567";
/// Wednesday 2026-11-25, 10:00 in Singapore.
const TEN: &str = "2026-11-25T02:00:00Z";

/// The app, a doctor, and a staff member's session.
pub(crate) struct Desk {
    pub app: TestApp,
    pub doctor: Uuid,
    pub session: String,
}

impl Desk {
    pub(crate) fn open() -> Self {
        Self::on(spawn_app())
    }

    pub(crate) fn on(app: TestApp) -> Self {
        let doctor = app.doctor("Dr Tan");
        let session = app.staff().token;
        Self { app, doctor, session }
    }

    pub(crate) fn get(&self, path: &str) -> Page {
        visit(&self.app, path, Some(&self.session), None, None)
    }

    pub(crate) fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        post(&self.app, path, Some(&self.session), form)
    }
}

/// A session whose token says `clinic_role` (as Supabase or a sign-in would).
pub(crate) fn session_as(role: &str) -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let claims = json!({"sub": Uuid::new_v4(), "exp": exp, "aud": "authenticated", "app_metadata": {"clinic_role": role}});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

fn see_other(page: &Page) -> &str {
    assert_eq!(page.status, 303, "{page:?}");
    page.location.as_deref().unwrap()
}

#[test]
fn the_day_list_shows_each_doctors_visits_with_masked_phones_in_the_clinics_time() {
    let desk = Desk::open();
    let siti = desk.app.patient();
    desk.app.booked(&siti, desk.doctor, SLOT);
    let day = desk.get("/desk?date=2026-11-25");
    assert_eq!(day.status, 200, "{day:?}");
    for shown in
        ["Wed 25 Nov 2026", "<h2>Dr Tan</h2>", "<td>09:30</td>", "Siti Rahman", "+65****4567", "Booked"]
    {
        assert!(day.text.contains(shown), "{shown} in {}", day.text);
    }
    assert!(!day.text.contains(SITI_PHONE));
    assert!(desk.get("/desk").text.contains("Today, Tue 24 Nov 2026"), "today in Singapore");
    let bad = desk.get("/desk?date=yesterday");
    assert_eq!(bad.status, 400, "a bad day is a 4xx page");
    assert!(bad.text.contains("date must be YYYY-MM-DD"), "{}", bad.text);
}

#[test]
fn outcomes_follow_the_apis_rules_and_refusals_are_said_on_the_day_list() {
    let fake = FakeTwilio::start();
    let desk = Desk::on(spawn_app_with(Settings::twilio(&fake)));
    let siti = desk.app.patient();
    let (at_930, at_ten) =
        (desk.app.booked(&siti, desk.doctor, SLOT), desk.app.booked(&siti, desk.doctor, TEN));
    desk.app.deliver();
    let status = |id: Uuid, status: &str, reason: &str| {
        desk.post(
            &format!("/desk/appointments/{id}/status"),
            &[("status", status), ("reason", reason), ("date", "2026-11-25")],
        )
    };

    let early = status(at_930, "completed", "");
    assert_eq!(early.status, 409, "{early:?}");
    assert!(
        early
            .text
            .contains("That didn't work: the status cannot change: the appointment has not started yet."),
        "{}",
        early.text
    );
    assert!(early.text.contains("Siti Rahman"), "the day list is shown again");

    let cancelled = status(at_ten, "cancelled", "Doctor unwell");
    assert_eq!(see_other(&cancelled), "/desk?date=2026-11-25&done=cancelled");
    assert!(
        desk.get("/desk?date=2026-11-25&done=cancelled")
            .text
            .contains("The patient is texted the cancellation")
    );
    desk.app.deliver();
    let texts = fake.wait_for_accepted(3, std::time::Duration::from_secs(10));
    assert!(texts[2].body.contains("10:00 is cancelled (Doctor unwell)"), "{texts:?}");

    let early = desk.post(&format!("/desk/appointments/{at_930}/arrived"), &[("date", "2026-11-25")]);
    assert_eq!(early.status, 409, "a patient arrives on the visit's day");
    assert!(early.text.contains("the appointment is on another day"), "{}", early.text);
    desk.app.clock.advance(Duration::hours(17)); // Wednesday 09:00
    let arrived = desk.post(&format!("/desk/appointments/{at_930}/arrived"), &[("date", "2026-11-25")]);
    assert_eq!(see_other(&arrived), "/desk?date=2026-11-25&done=arrived");
    let day = desk.get("/desk?date=2026-11-25&done=arrived").text;
    assert!(day.contains("Marked arrived.") && day.contains("Arrived 09:00"), "{day}");
    desk.app.clock.advance(Duration::hours(1));
    assert_eq!(see_other(&status(at_930, "completed", "")), "/desk?date=2026-11-25&done=completed");
    let done = desk.get("/desk?date=2026-11-25&done=completed");
    assert!(done.text.contains("Marked completed.") && done.text.contains("Completed"), "{}", done.text);
    let too_late = status(at_930, "cancelled", "");
    assert_eq!(too_late.status, 409);
    assert!(too_late.text.contains("the appointment is already completed"), "{}", too_late.text);
    assert_eq!(status(at_930, "arrived", "").status, 400, "only the API's statuses");
    assert_eq!(status(Uuid::new_v4(), "completed", "").status, 404);
}

#[test]
fn a_visit_moves_to_another_free_slot_and_a_taken_one_is_refused_on_the_move_page() {
    let desk = Desk::open();
    let siti = desk.app.patient();
    let id = desk.app.booked(&siti, desk.doctor, SLOT);
    desk.app.booked(&siti, desk.doctor, TEN);
    let doctor = desk.doctor.to_string();
    let path = format!("/desk/appointments/{id}/move");
    let picker = desk.get(&format!("{path}?doctor={doctor}&date=2026-11-25"));
    assert_eq!(picker.status, 200);
    assert!(picker.text.contains(r#"value="2026-11-25T02:30:00Z""#), "free slots offered: {}", picker.text);
    assert!(!picker.text.contains(r#"value="2026-11-25T02:00:00Z""#), "a booked slot is not offered");

    let taken = desk.post(&path, &[("doctor_id", &doctor), ("start", TEN)]);
    assert_eq!(taken.status, 409, "{taken:?}");
    assert!(taken.text.contains("That didn't work"), "{}", taken.text);
    let moved = desk.post(&path, &[("doctor_id", &doctor), ("start", "2026-11-26T03:00:00Z")]);
    assert_eq!(see_other(&moved), "/desk?date=2026-11-26&done=moved");
    let thursday = desk.get("/desk?date=2026-11-26");
    assert!(thursday.text.contains("<td>11:00</td>"), "{}", thursday.text);
    let bad = desk.post(&path, &[("doctor_id", &doctor), ("start", "soon")]);
    assert_eq!(bad.status, 400);
}

#[test]
fn staff_find_register_and_book_for_a_caller_once_however_often_they_click() {
    let desk = Desk::open();
    let registered = desk.post("/desk/patients", &[("full_name", "Sití Rahman"), ("phone", "+6598765432")]);
    let file = see_other(&registered).to_owned();
    assert!(file.starts_with("/desk/patients/") && file.ends_with("?done=registered"), "{file}");
    let patient = file.trim_start_matches("/desk/patients/").trim_end_matches("?done=registered").to_owned();

    let found = desk.get("/desk/patients?q=siti");
    assert!(found.text.contains("Sití Rahman") && found.text.contains("+65****5432"), "{}", found.text);
    assert!(desk.get("/desk/patients?q=5432").text.contains("Sití Rahman"), "by the last 4 digits");
    assert!(desk.get("/desk/patients?q=nobody").text.contains("No patient matches"));

    let doctor = desk.doctor.to_string();
    let shown = desk.get(&format!("/desk/patients/{patient}?doctor={doctor}&date=2026-11-25"));
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains(r#"value="2026-11-25T01:30:00Z""#), "{}", shown.text);
    let key = shown.text.split(r#"name="key" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = [("doctor_id", doctor.as_str()), ("start", SLOT), ("key", key.as_str())];
    let book = format!("/desk/patients/{patient}/book");
    let booked = desk.post(&book, &form);
    assert_eq!(
        see_other(&booked),
        format!("/desk/patients/{patient}?doctor={doctor}&date=2026-11-25&done=booked")
    );
    assert_eq!(see_other(&desk.post(&book, &form)), see_other(&booked), "a second click replays the booking");
    let day = desk.get("/desk?date=2026-11-25");
    assert_eq!(day.text.matches("<td>Sití Rahman</td>").count(), 1, "booked once: {}", day.text);
    let after = desk.get(&format!("/desk/patients/{patient}?done=booked"));
    assert!(after.text.contains("Booked. The patient is texted a confirmation."), "{}", after.text);
    assert!(after.text.contains("Wed 25 Nov 2026, 09:30"), "{}", after.text);

    let again =
        desk.post(&book, &[("doctor_id", doctor.as_str()), ("start", SLOT), ("key", "another-click")]);
    assert_eq!(again.status, 409, "the slot is taken: {again:?}");
    assert!(again.text.contains("That didn't work"));
}

#[test]
fn a_patient_already_registered_with_that_phone_is_offered() {
    let desk = Desk::open();
    desk.app.patient();
    let refused = desk.post("/desk/patients", &[("full_name", "Siti R"), ("phone", SITI_PHONE)]);
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(refused.text.contains("Open that patient"), "{}", refused.text);
    let link = refused.text.split(r#"<a href="/desk/patients/"#).nth(1).unwrap().split('"').next().unwrap();
    assert!(desk.get(&format!("/desk/patients/{link}")).text.contains("Siti Rahman"));
}

#[test]
fn problems_are_shown_next_to_their_fields_with_what_was_typed() {
    let desk = Desk::open();
    let page = desk.post("/desk/patients", &[("full_name", ""), ("phone", "12345")]);
    assert_eq!(page.status, 400, "{page:?}");
    for field in ["full_name", "phone"] {
        assert!(
            page.text.contains(&format!(r#"<p class="problem" id="{field}-problem" role="alert">"#)),
            "{field}"
        );
    }
    assert!(page.text.contains(r#"value="12345""#), "{}", page.text);
    let search = desk.get("/desk/patients?q=");
    assert_eq!(search.status, 400);
    assert!(search.text.contains(r#"id="q-problem""#) && search.text.contains("must not be empty"));
}

#[test]
fn no_desk_page_shows_a_full_phone_number() {
    let fake = FakeTwilio::start();
    let desk = Desk::on(crate::webhooks::app_with(&fake));
    let admin = session_as("admin");
    let siti = desk.app.patient();
    let id = desk.app.booked(&siti, desk.doctor, SLOT);
    crate::webhooks::text(&desk.app, SITI_PHONE, "Can I come at 10 instead? My number is +6591234567");
    assert_eq!(
        see_other(&desk.post("/desk/queue", &[("name", "Ahmad"), ("phone", "+6598765432")])),
        "/desk/queue?done=issued"
    );
    fake.always(clinic_twilio::fake::Reply::error(21211));
    desk.app.deliver();
    let patient = desk.app.get("/api/me/profile", Some(&siti)).body["id"].as_str().unwrap().to_owned();
    let doctor = desk.doctor;
    let pages = [
        "/desk?date=2026-11-25".to_owned(),
        "/desk/patients?q=siti".to_owned(),
        "/desk/patients?q=%2B6591234567".to_owned(),
        format!("/desk/patients/{patient}"),
        format!("/desk/appointments/{id}/move?doctor={doctor}&date=2026-11-25"),
        "/desk/queue".to_owned(),
        "/desk/inbox".to_owned(),
        "/desk/messages".to_owned(),
        "/desk/closures".to_owned(),
    ];
    for path in &pages {
        let page = desk.get(path);
        assert_eq!(page.status, 200, "{path}: {page:?}");
        for full in [SITI_PHONE, "6591234567", "+6598765432", "6598765432"] {
            assert!(!page.text.contains(full), "{full} on {path}: {}", page.text);
        }
    }
    let staff = visit(&desk.app, "/desk/staff", Some(&admin), None, None);
    assert_eq!(staff.status, 200);
    let inbox = desk.get("/desk/inbox").text;
    assert!(inbox.contains("My number is +65****4567"), "the number in a text is masked too: {inbox}");
    let failed = desk.get("/desk/messages");
    assert!(
        failed.text.contains("Twilio error 21211") && failed.text.contains("+65****4567"),
        "{}",
        failed.text
    );
}

#[test]
fn patients_and_strangers_are_kept_off_every_desk_page() {
    let desk = Desk::open();
    let patient = desk.app.patient().token;
    for path in ["/desk", "/desk/patients", "/desk/queue", "/desk/inbox", "/desk/messages", "/desk/closures"]
    {
        assert_eq!(visit(&desk.app, path, Some(&patient), None, None).status, 403, "{path}");
        let stranger = visit(&desk.app, path, None, None, None);
        assert_eq!(
            (stranger.status, stranger.location.as_deref()),
            (303, Some(&*format!("/sign-in?next={path}")))
        );
    }
    let refused =
        post(&desk.app, "/desk/patients", Some(&patient), &[("full_name", "X"), ("phone", "+6598765432")]);
    assert_eq!(refused.status, 403);
    let forged = visit(
        &desk.app,
        "/desk/patients",
        Some(&desk.session),
        Some("https://evil.example.com"),
        Some(&[("full_name", "X"), ("phone", "+6598765432")]),
    );
    assert_eq!(forged.status, 403, "a post from another site does nothing");
    assert!(desk.get("/desk/patients?q=X").text.contains("No patient matches"));
}

#[test]
fn the_desk_with_the_database_down_is_the_try_again_page() {
    let down = PgStore::connect("host=/nonexistent user=postgres dbname=clinic", 2);
    let app = spawn_app_with(Settings { store: Some(down), ..Settings::default() });
    let session = session_as("staff");
    for path in ["/desk", "/desk/queue"] {
        let page = visit(&app, path, Some(&session), None, None);
        assert_eq!(page.status, 503, "{path}");
        assert!(page.text.contains("Try again in a minute"), "{}", page.text);
    }
    let posted = post(&app, "/desk/queue", Some(&session), &[("name", "Ahmad"), ("phone", "+6598765432")]);
    assert_eq!(posted.status, 503);
}
