//! The day list: each doctor's visits of a day, with what can be done to each.

use clinic_domain::appointment::{AppointmentStatus, DayEntry};
use clinic_domain::doctor::Doctor;
use maud::{Markup, html};
use time::Date;

use super::{Desk, Part, button_form, desk_page};
use crate::when;

/// One day's visits, by doctor.
pub struct DayList<'a> {
    pub date: Date,
    pub doctors: &'a [Doctor],
    pub entries: &'a [DayEntry],
}

pub fn today(desk: &Desk<'_>, day: &DayList<'_>) -> Markup {
    let is_today = day.date == desk.zone.local_date(desk.now);
    let iso = when::iso_day(day.date);
    // Doctors no longer listed keep their visits, under one heading.
    let unlisted: Vec<&DayEntry> =
        day.entries.iter().filter(|e| !day.doctors.iter().any(|d| d.id == e.appointment.doctor_id)).collect();
    desk_page(
        desk,
        Part::Today,
        html! {
            h1 { @if is_today { "Today, " } (when::day(day.date)) }
            form.row method="get" action=(Part::Today.path()) {
                div.field {
                    label for="date" { "Day" }
                    input id="date" name="date" type="date" value=(iso);
                }
                button.secondary type="submit" { "Show day" }
            }
            @for doctor in day.doctors {
                @let visits: Vec<&DayEntry> =
                    day.entries.iter().filter(|e| e.appointment.doctor_id == doctor.id).collect();
                (doctor_visits(desk, &doctor.name, &iso, &visits))
            }
            @if !unlisted.is_empty() { (doctor_visits(desk, "Other doctors", &iso, &unlisted)) }
        },
    )
}

fn doctor_visits(desk: &Desk<'_>, doctor: &str, iso: &str, visits: &[&DayEntry]) -> Markup {
    html! {
        section {
            h2 { (doctor) }
            @if visits.is_empty() {
                p.muted { "No visits booked." }
            } @else {
                table {
                    thead { tr { th { "Time" } th { "Patient" } th { "Phone" } th { "Status" } th { "Confirmed" } th { "Actions" } } }
                    tbody {
                        @for entry in visits { (visit_row(desk, iso, entry)) }
                    }
                }
            }
        }
    }
}

fn visit_row(desk: &Desk<'_>, iso: &str, entry: &DayEntry) -> Markup {
    let a = &entry.appointment;
    let time = when::time_of_day(desk.zone, a.scheduled_start);
    let action = format!("/desk/appointments/{}/status", a.id);
    let whose = format!(" {} at {time}", entry.patient_name);
    html! {
        tr {
            td { (time) }
            td { (entry.patient_name) }
            td { @match &entry.patient_phone { Some(phone) => (phone.masked()), None => span.muted { "none" } } }
            td {
                span class={ "status " (a.status.as_str()) } { (status_words(a.status)) }
                @if let Some(at) = entry.arrived_at { br; "Arrived " (when::time_of_day(desk.zone, at)) }
            }
            td {
                @match entry.patient_confirmed_at {
                    Some(at) => { "Yes, " (when::time_of_day(desk.zone, at)) }
                    None => span.muted { "No" },
                }
            }
            td.actions {
                // Which change is allowed is the service's to say: a refusal comes back as a message.
                @if entry.arrived_at.is_none() && a.status == AppointmentStatus::Booked {
                    (button_form(&format!("/desk/appointments/{}/arrived", a.id), &[("date", iso)],
                        html! { "Arrived" span.visually-hidden { (whose) } }, ""))
                }
                @for (status, label) in [("completed", "Completed"), ("no_show", "No-show")] {
                    @if a.status.as_str() != status {
                        (button_form(&action, &[("status", status), ("date", iso)],
                            html! { (label) span.visually-hidden { (whose) } }, "secondary"))
                    }
                }
                @if a.status == AppointmentStatus::Booked {
                    a.button.secondary href={ "/desk/appointments/" (a.id) "/move?doctor=" (a.doctor_id) "&date=" (iso) } {
                        "Move" span.visually-hidden { (whose) }
                    }
                    form.inline method="post" action=(action) {
                        input type="hidden" name="status" value="cancelled";
                        input type="hidden" name="date" value=(iso);
                        label for={ "reason-" (a.id) } { "Reason texted" span.visually-hidden { (whose) } }
                        input id={ "reason-" (a.id) } name="reason" type="text" maxlength="160" placeholder="optional";
                        button.danger type="submit" { "Cancel visit" span.visually-hidden { (whose) } }
                    }
                }
            }
        }
    }
}

/// A status as the desk says it.
pub fn status_words(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "Booked",
        AppointmentStatus::Cancelled => "Cancelled",
        AppointmentStatus::Completed => "Completed",
        AppointmentStatus::NoShow => "No-show",
    }
}
