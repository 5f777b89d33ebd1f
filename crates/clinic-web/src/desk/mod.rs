//! The reception desk, in parts a receptionist moves between: today's visits, patients,
//! the walk-in queue, the inbox of replies, failed messages, closures, and (admins) staff
//! phones. Every part shares the desk's navigation, its clock in the clinic's zone, and
//! a line saying what the last action did or why it was refused.

use clinic_domain::clinic::ClinicZone;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use maud::{Markup, html};
use time::OffsetDateTime;

use crate::form::Problems;
use crate::layout::{Frame, page};
use crate::when;

pub mod closures;
pub mod messages;
pub mod patients;
pub mod queue;
pub mod slots;
pub mod staff;
pub mod today;

/// What every desk page is drawn with.
pub struct Desk<'a> {
    pub frame: Frame<'a>,
    pub zone: &'a ClinicZone,
    pub now: OffsetDateTime,
    /// Admins also see the staff part.
    pub admin: bool,
    pub said: Said<'a>,
}

/// What the last action came to: done, or refused (why, and per field).
#[derive(Default)]
pub struct Said<'a> {
    /// One of [`done_message`]'s keys, from the redirect after an action.
    pub done: Option<&'a str>,
    pub refused: Option<&'a str>,
    pub problems: Problems,
}

/// The parts of the desk, in the order its navigation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Today,
    Patients,
    Queue,
    Inbox,
    Messages,
    Closures,
    Staff,
}

impl Part {
    const ALL: [Self; 7] =
        [Self::Today, Self::Patients, Self::Queue, Self::Inbox, Self::Messages, Self::Closures, Self::Staff];

    pub fn path(self) -> &'static str {
        match self {
            Self::Today => "/desk",
            Self::Patients => "/desk/patients",
            Self::Queue => "/desk/queue",
            Self::Inbox => "/desk/inbox",
            Self::Messages => "/desk/messages",
            Self::Closures => "/desk/closures",
            Self::Staff => "/desk/staff",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Today => "Day list",
            Self::Patients => "Patients",
            Self::Queue => "Walk-in queue",
            Self::Inbox => "Inbox",
            Self::Messages => "Failed messages",
            Self::Closures => "Closures",
            Self::Staff => "Staff phones",
        }
    }
}

/// What the desk says after an action went through, by the key its redirect carries.
/// The words are fixed here: a link cannot make the desk say anything else.
pub fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "arrived" => "Marked arrived. The visit stays booked until you mark how it went.",
        "completed" => "Marked completed.",
        "no_show" => "Marked as a no-show.",
        "cancelled" => "Cancelled. The patient is texted the cancellation, with your reason if you gave one.",
        "moved" => "Moved. The patient is texted the new time.",
        "booked" => "Booked. The patient is texted a confirmation.",
        "registered" => "Registered. Pick a doctor, a day and a slot to book for them.",
        "closed" => "Closed. Patients whose visits were cancelled are texted with the reason.",
        "reopened" => "Reopened: its slots are offered again. Visits it cancelled stay cancelled.",
        "issued" => "Ticket issued. The visitor is texted when their turn comes near.",
        "called" => "Called. The patient is texted the room.",
        "served" => "Marked served.",
        "left" => "Marked as left.",
        "read" => "Marked read.",
        "staff_added" => "Staff phone saved. They sign in with a code texted to that phone.",
        _ => return None,
    })
}

/// A desk page: the navigation, the clock, what the last action said, then `main`.
pub fn desk_page(desk: &Desk<'_>, part: Part, main: Markup) -> Markup {
    let done = desk.said.done.and_then(done_message);
    page(
        &desk.frame,
        html! {
            nav.desk aria-label="Desk" {
                ul {
                    @for each in Part::ALL.into_iter().filter(|p| *p != Part::Staff || desk.admin) {
                        li {
                            a href=(each.path()) aria-current=[(each == part).then_some("page")] { (each.title()) }
                        }
                    }
                }
                p.now {
                    "Clinic time "
                    span.clock data-clock data-zone=(desk.zone.name()) { (when::time_of_day(desk.zone, desk.now)) }
                }
            }
            @if let Some(done) = done { p.done role="status" { (done) } }
            @if let Some(refused) = desk.said.refused { p.notice role="alert" { (refused) } }
            (main)
        },
    )
}

/// A doctor's name, or a plain word for one no longer listed.
pub fn doctor_name(doctors: &[Doctor], id: Option<DoctorId>) -> &str {
    match id {
        None => "Any doctor",
        Some(id) => doctors.iter().find(|d| d.id == id).map_or("Another doctor", |d| d.name.as_str()),
    }
}

/// A select of the doctors, `chosen` selected; with `any`, a first option for none.
pub fn doctor_select(
    id: &str,
    label: &str,
    doctors: &[Doctor],
    chosen: Option<DoctorId>,
    any: Option<&str>,
) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(id) {
                @if let Some(any) = any { option value="" selected[chosen.is_none()] { (any) } }
                @for doctor in doctors {
                    option value=(doctor.id) selected[chosen == Some(doctor.id)] {
                        (doctor.name) " · " (doctor.specialty)
                    }
                }
            }
        }
    }
}

/// A small form posting to `action` with `fields` hidden, as one button.
pub fn button_form(action: &str, fields: &[(&str, &str)], label: Markup, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            @for (name, value) in fields { input type="hidden" name=(name) value=(value); }
            button type="submit" class=(class) { (label) }
        }
    }
}

#[cfg(test)]
mod tests;
