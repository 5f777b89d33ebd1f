//! Picking a doctor, a day and one of its free slots: to book for a patient, or to move
//! a visit.

use clinic_domain::doctor::Doctor;
use clinic_domain::ids::DoctorId;
use clinic_domain::schedule::Slot;
use maud::{Markup, html};
use time::Date;

use super::doctor_select;
use crate::when;

pub struct SlotPicker<'a> {
    /// Where choosing another doctor or day goes (a GET of the same page).
    pub browse: &'a str,
    /// Where the chosen slot is posted.
    pub action: &'a str,
    /// What the slot buttons do: "Book", "Move here".
    pub verb: &'a str,
    pub doctors: &'a [Doctor],
    pub doctor: Option<DoctorId>,
    pub date: Date,
    /// The doctor's free slots that day (none until a doctor is chosen).
    pub slots: &'a [Slot],
    /// Posted along with the slot (the booking's idempotency key).
    pub hidden: &'a [(&'a str, &'a str)],
}

pub fn slot_picker(zone: &clinic_domain::clinic::ClinicZone, picker: &SlotPicker<'_>) -> Markup {
    html! {
        form.row method="get" action=(picker.browse) {
            (doctor_select("doctor", "Doctor", picker.doctors, picker.doctor, None))
            div.field {
                label for="date" { "Day" }
                input id="date" name="date" type="date" value=(when::iso_day(picker.date));
            }
            button.secondary type="submit" { "Show free slots" }
        }
        @if let Some(doctor) = picker.doctor {
            h3 { "Free slots, " (when::day(picker.date)) }
            @if picker.slots.is_empty() {
                p.muted { "No free slot that day. Try another day or doctor." }
            } @else {
                form method="post" action=(picker.action) {
                    input type="hidden" name="doctor_id" value=(doctor);
                    @for (name, value) in picker.hidden { input type="hidden" name=(name) value=(value); }
                    ul.plain.slots {
                        @for slot in picker.slots {
                            li {
                                button type="submit" name="start" value=(when::iso_instant(slot.start)) {
                                    span.visually-hidden { (picker.verb) " at " }
                                    (when::time_of_day(zone, slot.start))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Moving a visit: another slot, of the same doctor or another.
pub fn move_visit(desk: &super::Desk<'_>, picker: &SlotPicker<'_>) -> Markup {
    super::desk_page(
        desk,
        super::Part::Today,
        html! {
            h1 { "Move a visit" }
            p { "Pick the new slot. The patient is texted the new time; the old slot is free again." }
            (slot_picker(desk.zone, picker))
            p { a href={ "/desk?date=" (when::iso_day(picker.date)) } { "Back to the day list" } }
        },
    )
}
