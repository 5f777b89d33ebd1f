//! The patient page: the clinic's doctors, a day, its free slots, "Book"; and, on a
//! first booking, the patient's name before the booking is made.

use clinic_domain::clinic::ClinicZone;
use clinic_domain::doctor::Doctor;
use clinic_domain::schedule::Slot;
use maud::{Markup, html};
use time::OffsetDateTime;

use crate::form::{Field, Problems, notice};
use crate::layout::{Frame, page};
use crate::link::{href, sign_in_href};
use crate::picking::{DayPicker, slot_list};
use crate::when;

/// What the booking page shows.
pub struct Home<'a> {
    pub frame: Frame<'a>,
    pub zone: &'a ClinicZone,
    pub doctors: &'a [Doctor],
    /// Why the patient is back here (a slot just taken…).
    pub notice: Option<&'a str>,
    /// The doctor picked, with a day and its slots.
    pub chosen: Option<DoctorDay<'a>>,
}

/// One doctor's day.
pub struct DoctorDay<'a> {
    pub doctor: &'a Doctor,
    pub picker: DayPicker<'a>,
    pub slots: &'a [Slot],
    /// The slot picked and still free, with its booking form; only for a signed-in
    /// patient (anyone else's slot links lead to signing in first).
    pub picked: Option<(&'a Slot, BookingFields<'a>)>,
    pub signed_in: bool,
}

/// What a booking form posts: the doctor, the slot, and the form's own Idempotency-Key,
/// so that the same form sent twice books once.
pub struct BookingFields<'a> {
    pub doctor: &'a str,
    /// The slot's start, RFC 3339.
    pub start: &'a str,
    pub key: &'a str,
}

impl BookingFields<'_> {
    fn hidden(&self) -> Markup {
        html! {
            input type="hidden" name="doctor" value=(self.doctor);
            input type="hidden" name="start" value=(self.start);
            input type="hidden" name="key" value=(self.key);
        }
    }
}

pub fn home(home: &Home<'_>) -> Markup {
    page(
        &home.frame,
        html! {
            h1 { "Book a visit" }
            (notice(home.notice))
            @if home.doctors.is_empty() {
                p { "No doctor is taking bookings just now. Please call the clinic." }
            } @else {
                section aria-labelledby="doctors" {
                    h2 #doctors { "Our doctors" }
                    ul.plain.doctors {
                        @for doctor in home.doctors {
                            @let current = home.chosen.as_ref().is_some_and(|c| c.doctor.id == doctor.id);
                            li {
                                a href=(href("/", &[("doctor", &doctor.id.to_string())]))
                                    aria-current=[current.then_some("true")] {
                                    strong { (doctor.name) }
                                }
                                " · " span.muted { (doctor.specialty) }
                            }
                        }
                    }
                }
            }
            @if let Some(chosen) = &home.chosen { (doctor_day(home.zone, chosen)) }
        },
    )
}

fn doctor_day(zone: &ClinicZone, chosen: &DoctorDay<'_>) -> Markup {
    let picker = &chosen.picker;
    let slot_href = |slot: &Slot| {
        let link = picker.link(picker.day, Some(slot.start));
        if chosen.signed_in { format!("{link}#confirm") } else { sign_in_href(&link) }
    };
    html! {
        section aria-labelledby="day-title" {
            h2 #day-title { "When would you like to see " (chosen.doctor.name) "?" }
            (picker.render())
            @if !chosen.signed_in && !chosen.slots.is_empty() {
                p.muted { "Pick a time: we'll ask you to sign in with your phone, then bring you back here." }
            }
            (slot_list(zone, picker.day, chosen.slots, chosen.picked.as_ref().map(|(slot, _)| slot.start), slot_href))
        }
        @if let Some((slot, fields)) = &chosen.picked {
            section #confirm aria-labelledby="confirm-title" {
                h2 #confirm-title { "Your visit" }
                p { strong { (chosen.doctor.name) } br; (when::moment(zone, slot.start)) " to " (when::time_of_day(zone, slot.end)) }
                form method="post" action="/book" {
                    (fields.hidden())
                    button type="submit" { "Book" }
                }
            }
        }
    }
}

/// A first booking: the patient's name (and whether we may text them) before it is made.
pub struct Details<'a> {
    pub frame: Frame<'a>,
    pub zone: &'a ClinicZone,
    pub doctor: &'a Doctor,
    pub start: OffsetDateTime,
    pub fields: BookingFields<'a>,
    pub full_name: &'a str,
    pub sms_opt_in: bool,
    pub problems: &'a Problems,
}

pub fn details_form(details: &Details<'_>) -> Markup {
    let name =
        Field::new("full_name", "Your full name", "text").value(details.full_name).autocomplete("name");
    let zone = details.zone;
    page(
        &details.frame,
        html! {
            h1 { "Your details" }
            p {
                "This is your first booking with us. Tell us your name and we'll book "
                strong { (details.doctor.name) } ", " (when::moment(zone, details.start)) " for you."
            }
            form method="post" action="/book/details" {
                (details.fields.hidden())
                (name.render(details.problems))
                div.field.check {
                    input #sms_opt_in type="checkbox" name="sms_opt_in" value="yes" checked[details.sms_opt_in]
                        aria-describedby="sms_opt_in-hint";
                    label for="sms_opt_in" { "Text me about my visits" }
                    span.hint #sms_opt_in-hint {
                        "A confirmation now, reminders before each visit, and word of any change. Reply STOP to any text to stop them."
                    }
                }
                button type="submit" { "Save and book" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use clinic_domain::doctor::Doctor;
    use time::macros::{date, datetime};

    use super::*;
    use crate::layout::Width;

    fn frame() -> Frame<'static> {
        Frame { clinic: "Gabriel Family Clinic", title: "Book a visit", width: Width::Phone, who: None }
    }

    #[test]
    fn a_visitor_not_signed_in_is_sent_to_sign_in_by_a_slot_and_back_to_the_same_day() {
        let zone = ClinicZone::parse("Asia/Singapore").unwrap();
        let doctor = Doctor::new("Dr Tan", "Family medicine").unwrap();
        let id = doctor.id.to_string();
        let keep = [("doctor", id.as_str())];
        let none = Problems::new();
        let slots = [Slot { start: datetime!(2026-11-25 01:30 UTC), end: datetime!(2026-11-25 02:00 UTC) }];
        let picker = DayPicker {
            path: "/",
            keep: &keep,
            day: date!(2026 - 11 - 25),
            today: date!(2026 - 11 - 24),
            problems: &none,
        };
        let chosen = DoctorDay { doctor: &doctor, picker, slots: &slots, picked: None, signed_in: false };
        let doctors = [doctor.clone()];
        let html = home(&Home {
            frame: frame(),
            zone: &zone,
            doctors: &doctors,
            notice: None,
            chosen: Some(chosen),
        })
        .into_string();
        let next =
            format!("/sign-in?next=/%3Fdoctor%3D{id}%26day%3D2026-11-25%26slot%3D2026-11-25T01:30:00Z");
        assert!(html.contains(&format!(r#"href="{next}""#)), "{html}");
        assert!(html.contains(">09:30<"), "slots in the clinic's zone: {html}");
        assert!(!html.contains("action=\"/book\""), "no booking form before signing in");
    }
}
