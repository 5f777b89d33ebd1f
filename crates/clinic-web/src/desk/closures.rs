//! Closures: a doctor's day off or the clinic's holiday, listed, and reopened.

use clinic_domain::closure::Closure;
use clinic_domain::doctor::Doctor;
use maud::{Markup, html};

use super::{Desk, Part, button_form, desk_page, doctor_name, doctor_select};
use crate::form::Field;
use crate::when;

/// The closing form as typed.
#[derive(Default)]
pub struct Closing<'a> {
    pub first_day: &'a str,
    pub last_day: &'a str,
    pub reason: &'a str,
    pub cancel_booked: bool,
}

pub fn closures(desk: &Desk<'_>, doctors: &[Doctor], closures: &[Closure], closing: &Closing<'_>) -> Markup {
    let problems = &desk.said.problems;
    desk_page(
        desk,
        Part::Closures,
        html! {
            h1 { "Closures" }
            div.columns {
                section aria-labelledby="listed" {
                    h2 #listed { "Coming closures" }
                    @if closures.is_empty() {
                        p.muted { "Nothing is closed in the coming months." }
                    } @else {
                        table {
                            thead { tr { th { "Who" } th { "From" } th { "Until" } th { "Reason" } th { "Reopen" } } }
                            tbody {
                                @for closure in closures {
                                    tr {
                                        td { @match closure.doctor_id { None => "The whole clinic", Some(id) => (doctor_name(doctors, Some(id))) } }
                                        td { (when::moment(desk.zone, closure.starts)) }
                                        td { (when::moment(desk.zone, closure.ends)) }
                                        td { (closure.reason) }
                                        td { (button_form(&format!("/desk/closures/{}/reopen", closure.id), &[],
                                            html! { "Reopen" span.visually-hidden { " " (closure.reason) } }, "secondary")) }
                                    }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="close" {
                    h2 #close { "Close a day" }
                    form method="post" action=(Part::Closures.path()) {
                        (doctor_select("doctor_id", "Who is away", doctors, None, Some("The whole clinic")))
                        (Field::new("starts", "First day", "date").value(closing.first_day).render(problems))
                        (Field::new("ends", "Last day", "date").value(closing.last_day)
                            .hint("Closed until the end of this day").render(problems))
                        (Field::new("reason", "Reason", "text").value(closing.reason)
                            .hint("Patients whose visits are cancelled are texted it").render(problems))
                        div.check {
                            input id="cancel_booked" name="cancel_booked" type="checkbox" value="true" checked[closing.cancel_booked];
                            label for="cancel_booked" { "Cancel the visits already booked in it (each patient is texted)" }
                        }
                        button type="submit" { "Close" }
                    }
                }
            }
        },
    )
}
