//! `/help`: patients' questions about the clinic's texts, in plain words. docs/patients.md
//! says the same; change both together.

use maud::{Markup, html};

use crate::layout::{Frame, page};

/// `replies`: reminders invite "C" or "X" and those replies act (`REPLIES`).
pub fn help(frame: &Frame<'_>, replies: bool) -> Markup {
    let clinic = frame.clinic;
    page(
        frame,
        html! {
            h1 { "Questions about our texts" }
            p { "Every text from us starts with " strong { (clinic) } " and gives times on the clinic's clock." }
            section aria-labelledby="texts" {
                h2 #texts { "What each text means" }
                dl {
                    dt { "Appointment confirmed" }
                    dd { "You booked a visit: the text gives the doctor, the day and the time. Nothing more to do." }
                    dt { "Reminder" }
                    dd {
                        "Your visit is coming up."
                        @if replies {
                            " Reply " strong { "C" } " to confirm you are coming, or " strong { "X" } " to cancel: we answer to say it is done, and the time goes to another patient."
                        }
                    }
                    dt { "Your appointment is moved" }
                    dd { "You or the clinic moved your visit: the text gives the new time. The old time is no longer yours." }
                    dt { "Cancelled, as you asked" }
                    dd { "You cancelled a visit. Book again here whenever you like." }
                    dt { "Sorry, your appointment is cancelled" }
                    dd { "The clinic had to cancel (a doctor is unwell, a holiday), with the reason when there is one. Please book another time or call us." }
                    dt { "Ticket, you are 3rd in line" }
                    dd { "You are waiting as a walk-in: your turn is near. Please stay close to the clinic." }
                    dt { "Ticket, please come to Room 3 now" }
                    dd { "It is your turn: go to the room named." }
                }
            }
            section aria-labelledby="stop" {
                h2 #stop { "Stopping the texts" }
                p { "Reply " strong { "STOP" } " to any text and we send you nothing more. Reply " strong { "START" } " to have them again." }
                p { "Stopped texts mean no reminders either: keep an eye on your visits under " a href="/appointments" { "My appointments" } "." }
            }
            section aria-labelledby="change" {
                h2 #change { "Changing or cancelling a visit" }
                p {
                    "Sign in with your phone and open " a href="/appointments" { "My appointments" }
                    ": " strong { "Move" } " picks another time with the same doctor, " strong { "Cancel" }
                    " frees your time (we ask first). "
                    @if replies { "You can also reply X to a reminder. " }
                    "Any other reply to our texts reaches the front desk."
                }
            }
            p { a href="/" { "Book a visit" } }
        },
    )
}
