use clinic_domain::clinic::ClinicZone;
use maud::html;
use time::macros::datetime;

use super::*;
use crate::layout::Width;

fn desk_html(admin: bool, done: Option<&str>) -> String {
    let zone = ClinicZone::parse("Asia/Singapore").unwrap();
    let desk = Desk {
        frame: Frame { clinic: "Gabriel Family Clinic", title: "Desk", width: Width::Desk, who: None },
        zone: &zone,
        now: datetime!(2026-11-25 01:30 UTC),
        admin,
        said: Said { done, ..Said::default() },
    };
    desk_page(&desk, Part::Queue, html! { p { "body" } }).into_string()
}

#[test]
fn the_navigation_marks_the_part_shown_and_shows_staff_phones_to_admins_only() {
    let staff = desk_html(false, None);
    assert!(staff.contains(r#"<a href="/desk/queue" aria-current="page">"#), "{staff}");
    assert!(!staff.contains(r#"href="/desk/staff""#));
    assert!(desk_html(true, None).contains(r#"href="/desk/staff""#));
}

#[test]
fn the_clock_starts_at_the_clinics_time() {
    assert!(desk_html(false, None).contains(r#"data-zone="Asia/Singapore">09:30</span>"#));
}

#[test]
fn only_known_outcomes_are_said() {
    assert!(desk_html(false, Some("booked")).contains("Booked. The patient is texted a confirmation."));
    assert!(!desk_html(false, Some("<script>")).contains("script&gt;"), "an unknown key says nothing");
    assert_eq!(done_message("anything"), None);
}
