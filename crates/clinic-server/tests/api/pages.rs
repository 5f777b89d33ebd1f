//! The pages over real HTTP: signing in by a texted code, the session cookie, posts from
//! other sites, the database down. (What people see and do is tested in Chromium, in
//! tests/browser.)

use clinic_domain::sign_in_code::StaffRole;
use clinic_postgres::PgStore;
use clinic_twilio::fake::FakeTwilio;

use crate::sign_in::{PHONE, add_staff, texted_code, twilio_app};
use crate::support::{Settings, TestApp, spawn_app, spawn_app_with};

/// A page's answer, redirects not followed.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) cookie: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) text: String,
}

/// A browser's request: `form` posted (with `origin`) or, when `None`, a GET.
pub(crate) fn visit(
    app: &TestApp,
    path: &str,
    session: Option<&str>,
    origin: Option<&str>,
    form: Option<&[(&str, &str)]>,
) -> Page {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let method = if form.is_some() { "POST" } else { "GET" };
    let mut request = ureq::http::Request::builder().method(method).uri(app.url(path));
    if let Some(session) = session {
        request = request.header("Cookie", format!("clinic_session={session}"));
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let mut response = match form {
        Some(fields) => {
            let body =
                fields.iter().map(|(k, v)| format!("{k}={}", form_encoded(v))).collect::<Vec<_>>().join("&");
            let request = request.header("Content-Type", "application/x-www-form-urlencoded");
            agent.run(request.body(body).unwrap()).unwrap()
        }
        None => agent.run(request.body(()).unwrap()).unwrap(),
    };
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (location, cookie) = (header("Location"), header("Set-Cookie"));
    let (retry_after, content_type) = (header("Retry-After"), header("Content-Type"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    Page { status, location, cookie, retry_after, content_type, text }
}

/// A form value as browsers send it: everything but letters, digits and `-_.~` as `%XX`.
fn form_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) fn post(app: &TestApp, path: &str, session: Option<&str>, form: &[(&str, &str)]) -> Page {
    visit(app, path, session, Some(&app.base), Some(form))
}

/// The session a texted code earns, and where the browser is sent.
pub(crate) fn sign_in(app: &TestApp, fake: &FakeTwilio, nth: usize, next: &str) -> (String, Page) {
    let asked = post(app, "/sign-in", None, &[("phone", PHONE), ("next", next)]);
    assert_eq!(asked.status, 200, "{asked:?}");
    assert!(asked.text.contains(r#"id="code""#), "the code form: {}", asked.text);
    let code = texted_code(fake, nth);
    let signed_in = post(app, "/sign-in/code", None, &[("phone", PHONE), ("code", &code), ("next", next)]);
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let cookie = signed_in.cookie.clone().unwrap();
    let session = cookie.strip_prefix("clinic_session=").unwrap().split(';').next().unwrap().to_owned();
    (session, signed_in)
}

#[test]
fn a_texted_code_signs_a_patient_in_with_a_cookie_no_script_can_read() {
    let (fake, app) = twilio_app();
    let (session, signed_in) = sign_in(&app, &fake, 0, "/");
    assert_eq!(signed_in.location.as_deref(), Some("/"));
    let cookie = signed_in.cookie.unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");

    let home = visit(&app, "/", Some(&session), None, None);
    assert_eq!(home.status, 200);
    assert!(home.text.contains("Signed in as +65****4567"), "{}", home.text);
    assert!(!home.text.contains(PHONE), "the header masks the phone");
}

#[test]
fn a_staff_phone_lands_on_the_desk_and_a_patient_is_turned_away_from_it() {
    let (fake, app) = twilio_app();
    let (patient, _) = sign_in(&app, &fake, 0, "/");
    let refused = visit(&app, "/desk", Some(&patient), None, None);
    assert_eq!(refused.status, 403);
    assert!(
        refused.text.contains("The desk is for the clinic&#39;s staff")
            || refused.text.contains("for the clinic's staff")
    );

    add_staff(&app, StaffRole::Staff);
    app.clock.advance(time::Duration::minutes(2));
    let (staff, signed_in) = sign_in(&app, &fake, 1, "/");
    assert_eq!(signed_in.location.as_deref(), Some("/desk"));
    let desk = visit(&app, "/desk", Some(&staff), None, None);
    assert_eq!(desk.status, 200, "{desk:?}");
    assert!(desk.text.contains("data-clock"), "{}", desk.text);
}

#[test]
fn a_stranger_is_sent_to_sign_in_and_brought_back_only_to_this_site() {
    let (fake, app) = twilio_app();
    let desk = visit(&app, "/desk", None, None, None);
    assert_eq!((desk.status, desk.location.as_deref()), (303, Some("/sign-in?next=/desk")));

    let (_, signed_in) = sign_in(&app, &fake, 0, "//evil.example.com");
    assert_eq!(signed_in.location.as_deref(), Some("/"), "never sent to another site");
}

#[test]
fn a_wrong_code_is_shown_next_to_the_code_field() {
    let (fake, app) = twilio_app();
    post(&app, "/sign-in", None, &[("phone", PHONE)]);
    let right = texted_code(&fake, 0);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let page = post(&app, "/sign-in/code", None, &[("phone", PHONE), ("code", wrong)]);
    assert_eq!(page.status, 401);
    assert!(page.cookie.is_none());
    assert!(page.text.contains(r#"<p class="problem" id="code-problem" role="alert">"#), "{}", page.text);

    let bad_phone = post(&app, "/sign-in", None, &[("phone", "12345")]);
    assert_eq!(bad_phone.status, 400);
    assert!(bad_phone.text.contains(r#"id="phone-problem""#), "{}", bad_phone.text);
    assert!(bad_phone.text.contains(r#"value="12345""#), "what was typed stays: {}", bad_phone.text);
}

#[test]
fn a_post_from_another_site_or_from_nowhere_does_nothing() {
    let (fake, app) = twilio_app();
    for origin in [Some("https://evil.example.com"), Some("null"), None] {
        let page = visit(&app, "/sign-in", None, origin, Some(&[("phone", PHONE)]));
        assert_eq!(page.status, 403, "{origin:?}");
        assert!(page.text.contains("sent from another website"), "{}", page.text);
    }
    // The request that follows is answered after any code the refused ones could have sent.
    post(&app, "/sign-in", None, &[("phone", "+6598765432")]);
    let texts = fake.received();
    assert_eq!(texts.len(), 1, "only the genuine request texted a code: {texts:?}");
}

#[test]
fn signing_out_clears_the_session_cookie() {
    let (fake, app) = twilio_app();
    let (session, _) = sign_in(&app, &fake, 0, "/");
    let out = post(&app, "/sign-out", Some(&session), &[]);
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/")));
    let cookie = out.cookie.unwrap();
    assert!(cookie.starts_with("clinic_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
}

#[test]
fn a_forged_or_expired_session_is_nobody() {
    let app = spawn_app();
    let home = visit(&app, "/", Some("not.a.token"), None, None);
    assert_eq!(home.status, 200);
    assert!(home.text.contains(r#"href="/sign-in""#));
    assert_eq!(visit(&app, "/desk", Some("not.a.token"), None, None).status, 303);
}

#[test]
fn the_database_down_is_a_try_again_page_not_a_trace() {
    let down = PgStore::connect("host=/nonexistent user=postgres dbname=clinic", 2);
    let app = spawn_app_with(Settings { store: Some(down), ..Settings::default() });
    let page = visit(&app, "/", None, None, None);
    assert_eq!(page.status, 503);
    assert_eq!(page.retry_after.as_deref(), Some("60"));
    assert_eq!(page.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert!(page.text.contains("Try again in a minute"), "{}", page.text);
    assert!(!page.text.contains("nonexistent"), "no connection details leak");
}

#[test]
fn unknown_pages_and_methods_are_pages_too() {
    let app = spawn_app();
    let page = visit(&app, "/sign-in/code", None, None, None);
    assert_eq!(page.status, 405);
    assert!(page.text.contains("<!DOCTYPE html>"), "{}", page.text);
}

#[test]
fn the_stylesheet_is_compiled_in_and_revalidated_by_its_etag() {
    let app = spawn_app();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let first = agent.get(app.url("/assets/clinic.css")).call().unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers().get("ETag").unwrap().to_str().unwrap().to_owned();
    let again = agent.get(app.url("/assets/clinic.css")).header("If-None-Match", &etag).call().unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(agent.get(app.url("/assets/nope.css")).call().unwrap().status(), 404);
}
