//! "My appointments": the patient's upcoming and past visits, moving one to another slot
//! of the same doctor, and cancelling one after a confirmation.

use clinic_domain::appointment::{Appointment, AppointmentStatus, CancelledBy};
use clinic_domain::clinic::ClinicZone;
use clinic_domain::schedule::Slot;
use maud::{Markup, html};

use crate::form::notice;
use crate::layout::{Frame, page};
use crate::picking::{DayPicker, slot_list};
use crate::when;

/// One of the patient's visits, with its doctor's name.
pub struct Visit<'a> {
    pub appointment: &'a Appointment,
    pub doctor: &'a str,
}

impl Visit<'_> {
    fn path(&self, action: &str) -> String {
        format!("/appointments/{}/{action}", self.appointment.id)
    }
}

/// A status as the patient reads it.
pub fn status_words(appointment: &Appointment) -> String {
    match (appointment.status, &appointment.cancellation) {
        (AppointmentStatus::Booked, _) => "Booked".to_owned(),
        (AppointmentStatus::Completed, _) => "Seen".to_owned(),
        (AppointmentStatus::NoShow, _) => "Missed".to_owned(),
        (AppointmentStatus::Cancelled, Some(cancellation)) if cancellation.by == CancelledBy::Patient => {
            "Cancelled by you".to_owned()
        }
        (AppointmentStatus::Cancelled, Some(cancellation)) => match &cancellation.reason {
            Some(reason) => format!("Cancelled by the clinic ({reason})"),
            None => "Cancelled by the clinic".to_owned(),
        },
        (AppointmentStatus::Cancelled, None) => "Cancelled".to_owned(),
    }
}

/// The list: upcoming visits with "Move" and "Cancel", then the others with their status.
pub fn list(
    frame: &Frame<'_>,
    zone: &ClinicZone,
    upcoming: &[Visit<'_>],
    past: &[Visit<'_>],
    done: Option<&str>,
) -> Markup {
    page(
        frame,
        html! {
            h1 { "My appointments" }
            @if let Some(done) = done { p.done role="status" { (done) } }
            section aria-labelledby="upcoming" {
                h2 #upcoming { "Upcoming" }
                @if upcoming.is_empty() {
                    p { "No visits booked. " a href="/" { "Book a visit" } }
                } @else {
                    ul.plain.visits {
                        @for visit in upcoming {
                            li {
                                p { strong { (when::moment(zone, visit.appointment.scheduled_start)) } br; (visit.doctor) }
                                p.actions {
                                    a.button.secondary href=(visit.path("move")) { "Move" }
                                    " "
                                    a.button.danger href=(visit.path("cancel")) { "Cancel" }
                                }
                            }
                        }
                    }
                }
            }
            @if !past.is_empty() {
                section aria-labelledby="past" {
                    h2 #past { "Past and cancelled" }
                    ul.plain.visits {
                        @for visit in past {
                            li {
                                p { (when::moment(zone, visit.appointment.scheduled_start)) br; (visit.doctor) }
                                p.status { (status_words(visit.appointment)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// "Cancel this visit?", with a button that says what it does and a way back.
pub fn cancel_confirm(frame: &Frame<'_>, zone: &ClinicZone, visit: &Visit<'_>) -> Markup {
    page(
        frame,
        html! {
            h1 { "Cancel this visit?" }
            p { strong { (when::moment(zone, visit.appointment.scheduled_start)) } " with " (visit.doctor) }
            p { "The time goes to another patient, and we'll text you that it is cancelled." }
            form method="post" action=(visit.path("cancel")) {
                button.danger type="submit" { "Yes, cancel this visit" }
            }
            p { a href="/appointments" { "No, keep it" } }
        },
    )
}

/// Moving a visit: another day and slot of its doctor, then "Move here".
pub struct MovePage<'a> {
    pub frame: Frame<'a>,
    pub zone: &'a ClinicZone,
    pub visit: Visit<'a>,
    pub picker: DayPicker<'a>,
    pub slots: &'a [Slot],
    /// The slot picked and still free.
    pub picked: Option<&'a Slot>,
    pub notice: Option<&'a str>,
}

pub fn move_page(page_: &MovePage<'_>) -> Markup {
    let (zone, picker, visit) = (page_.zone, &page_.picker, &page_.visit);
    let slot_href = |slot: &Slot| format!("{}#confirm", picker.link(picker.day, Some(slot.start)));
    page(
        &page_.frame,
        html! {
            h1 { "Move your visit" }
            (notice(page_.notice))
            p { "Now: " strong { (when::moment(zone, visit.appointment.scheduled_start)) } " with " (visit.doctor) }
            section aria-labelledby="day-title" {
                h2 #day-title { "Pick a new day" }
                (picker.render())
                (slot_list(zone, picker.day, page_.slots, page_.picked.map(|slot| slot.start), slot_href))
            }
            @if let Some(slot) = page_.picked {
                section #confirm aria-labelledby="confirm-title" {
                    h2 #confirm-title { "Your new time" }
                    p { strong { (when::moment(zone, slot.start)) } " with " (visit.doctor) }
                    form method="post" action=(visit.path("move")) {
                        input type="hidden" name="start" value=(when::iso_instant(slot.start));
                        button type="submit" { "Move my visit here" }
                    }
                }
            }
            p { a href="/appointments" { "Back to my appointments" } }
        },
    )
}
