//! The patient page: the clinic's doctors, a day, its free slots, "Book"; and the
//! patient's own appointments.

use clinic_domain::doctor::Doctor;
use maud::{Markup, html};

use crate::layout::{Frame, page};

/// The start: who can be seen.
pub fn home(frame: &Frame<'_>, doctors: &[Doctor]) -> Markup {
    page(
        frame,
        html! {
            h1 { "Book a visit" }
            @if doctors.is_empty() {
                p { "No doctor is taking bookings just now. Please call the clinic." }
            } @else {
                section aria-labelledby="doctors" {
                    h2 #doctors { "Our doctors" }
                    ul.plain {
                        @for doctor in doctors {
                            li { strong { (doctor.name) } " · " span.muted { (doctor.specialty) } }
                        }
                    }
                }
            }
        },
    )
}
