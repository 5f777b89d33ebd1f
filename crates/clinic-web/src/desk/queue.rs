//! The walk-in queue: issue a ticket, call the next, mark how each ended.

use clinic_domain::doctor::Doctor;
use clinic_domain::ids::PatientId;
use clinic_domain::queue::{PlacedTicket, TicketStatus};
use maud::{Markup, html};

use super::{Desk, Part, button_form, desk_page, doctor_name, doctor_select};
use crate::form::Field;
use crate::when;

/// The ticket form as typed.
#[derive(Default)]
pub struct Issuing<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    /// Refused: the phone is this patient's; the ticket can be theirs.
    pub existing: Option<PatientId>,
}

pub fn queue(desk: &Desk<'_>, doctors: &[Doctor], tickets: &[PlacedTicket], issuing: &Issuing<'_>) -> Markup {
    let problems = &desk.said.problems;
    // The front of the line: the waiting ticket with the first place.
    let next = tickets
        .iter()
        .filter(|t| t.ticket.status == TicketStatus::Waiting)
        .min_by_key(|t| (t.position.unwrap_or(u32::MAX), t.ticket.number));
    desk_page(
        desk,
        Part::Queue,
        html! {
            h1 { "Walk-in queue, " (when::day(desk.zone.local_date(desk.now))) }
            div.columns {
                section aria-labelledby="line" {
                    h2 #line { "Today's tickets" }
                    @if let Some(next) = next {
                        form.row.next method="post" action={ "/desk/queue/" (next.ticket.id) "/call" } {
                            p { "Next: " strong { (next.ticket.label()) " " (next.ticket.patient_name) } }
                            div.field {
                                label for="next-room" { "Send " (next.ticket.label()) " to room" }
                                input id="next-room" name="room" type="text" required maxlength="40";
                            }
                            button type="submit" { "Call " (next.ticket.label()) }
                        }
                    }
                    @if tickets.is_empty() {
                        p.muted { "No tickets yet today." }
                    } @else {
                        table {
                            thead { tr { th { "Number" } th { "Patient" } th { "Phone" } th { "Doctor" } th { "Status" } th { "Place" } th { "Actions" } } }
                            tbody { @for placed in tickets { (ticket_row(doctors, placed)) } }
                        }
                    }
                }
                section aria-labelledby="issue" {
                    h2 #issue { "Issue a ticket" }
                    @if let Some(existing) = issuing.existing {
                        div.notice role="alert" {
                            p { "That phone is a registered patient's." }
                            (button_form(Part::Queue.path(), &[("patient_id", &existing.to_string())],
                                html! { "Issue the ticket to that patient" }, ""))
                        }
                    }
                    form method="post" action=(Part::Queue.path()) {
                        (Field::new("name", "Name", "text").value(issuing.name).autocomplete("off").render(problems))
                        (Field::new("phone", "Phone", "tel").value(issuing.phone)
                            .hint("Texted when their turn comes near").autocomplete("off").render(problems))
                        (doctor_select("doctor_id", "Doctor", doctors, None, Some("Whichever doctor is free")))
                        button type="submit" { "Issue ticket" }
                    }
                }
            }
        },
    )
}

fn ticket_row(doctors: &[Doctor], placed: &PlacedTicket) -> Markup {
    let ticket = &placed.ticket;
    let label = ticket.label();
    let room_id = format!("room-{}", ticket.id);
    html! {
        tr {
            td { strong { (label) } }
            td { (ticket.patient_name) }
            td { @match &ticket.patient_phone { Some(phone) => (phone.masked()), None => span.muted { "none" } } }
            td { (doctor_name(doctors, ticket.doctor_id)) }
            td {
                (ticket.status.as_str())
                @if let Some(room) = &ticket.room { " · " (room) }
            }
            td {
                @if let Some(position) = placed.position {
                    (position)
                    @if let Some(wait) = placed.estimated_wait_minutes { span.muted { " · about " (wait) " min" } }
                }
            }
            td.actions {
                @if !ticket.status.is_finished() {
                    form.inline method="post" action={ "/desk/queue/" (ticket.id) "/call" } {
                        label for=(room_id) { "Room" span.visually-hidden { " for " (label) } }
                        input id=(room_id) name="room" type="text" required maxlength="40" size="8" value=[ticket.room.as_deref()];
                        button.secondary type="submit" { "Call" span.visually-hidden { " " (label) } }
                    }
                    @for (status, words) in [("served", "Served"), ("left", "Left")] {
                        (button_form(&format!("/desk/queue/{}/status", ticket.id), &[("status", status)],
                            html! { (words) span.visually-hidden { " " (label) } }, "secondary"))
                    }
                }
            }
        }
    }
}
