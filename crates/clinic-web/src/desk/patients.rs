//! Patients: find one (by name, whatever its accents, or by phone) or register one, and
//! book for them, as the desk does for a caller on the phone.

use clinic_domain::appointment::Appointment;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::PatientId;
use clinic_domain::patient::PatientRecord;
use clinic_domain::patient_records::PatientFile;
use clinic_domain::phone::mask_phone_numbers;
use maud::{Markup, html};

use super::slots::{SlotPicker, slot_picker};
use super::today::status_words;
use super::{Desk, Part, desk_page, doctor_name};
use crate::form::Field;
use crate::when;

/// The search and the registration form, as typed.
#[derive(Default)]
pub struct Finding<'a> {
    pub query: &'a str,
    /// `None` until something was searched for.
    pub found: Option<&'a [PatientRecord]>,
    pub full_name: &'a str,
    pub phone: &'a str,
    /// Registering was refused: this patient has that phone.
    pub existing: Option<PatientId>,
}

pub fn patients(desk: &Desk<'_>, finding: &Finding<'_>) -> Markup {
    let problems = &desk.said.problems;
    // A whole number typed in is not shown again: no page shows a full phone number.
    let query = if mask_phone_numbers(finding.query) == finding.query { finding.query } else { "" };
    desk_page(
        desk,
        Part::Patients,
        html! {
            h1 { "Patients" }
            div.columns {
                section aria-labelledby="find" {
                    h2 #find { "Find a patient" }
                    form method="get" action=(Part::Patients.path()) {
                        (Field::new("q", "Name or phone", "search").value(query)
                            .hint("Part of the name, the whole number (+65…), or its last 4 digits").render(problems))
                        button type="submit" { "Find" }
                    }
                    @if let Some(found) = finding.found {
                        @if found.is_empty() {
                            p { "No patient matches. Register them below, or on the right." }
                        } @else {
                            table {
                                thead { tr { th { "Name" } th { "Phone" } th { "Signs in" } th { "Book" } } }
                                tbody {
                                    @for record in found { (patient_row(record)) }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="register" {
                    h2 #register { "Register a patient" }
                    @if let Some(existing) = finding.existing {
                        p.notice role="alert" {
                            "A patient with that phone is already registered. "
                            a href={ "/desk/patients/" (existing) } { "Open that patient" }
                        }
                    }
                    form method="post" action=(Part::Patients.path()) {
                        (Field::new("full_name", "Full name", "text").value(finding.full_name).autocomplete("off").render(problems))
                        (Field::new("phone", "Phone", "tel").value(finding.phone)
                            .hint("With the country code: +65, then the 8 digits").autocomplete("off").render(problems))
                        button type="submit" { "Register" }
                    }
                }
            }
        },
    )
}

fn patient_row(record: &PatientRecord) -> Markup {
    let profile = &record.profile;
    html! {
        tr {
            td { (profile.full_name) }
            td { @match &profile.phone { Some(phone) => (phone.masked()), None => span.muted { "none" } } }
            td { @if record.has_login { "Yes" } @else { span.muted { "Not yet" } } }
            td { a href={ "/desk/patients/" (profile.id) } { "Book for " (profile.full_name) } }
        }
    }
}

/// One patient: who they are, their visits, and a slot to book for them.
pub fn patient_file(
    desk: &Desk<'_>,
    file: &PatientFile,
    doctors: &[Doctor],
    picker: &SlotPicker<'_>,
) -> Markup {
    let profile = &file.record.profile;
    desk_page(
        desk,
        Part::Patients,
        html! {
            h1 { (profile.full_name) }
            p {
                "Phone " @match &profile.phone { Some(phone) => (phone.masked()), None => "none" }
                @if !profile.sms_opt_in { " · " strong { "Texts stopped (the patient replied STOP)" } }
            }
            div.columns {
                section aria-labelledby="book" {
                    h2 #book { "Book a visit" }
                    (slot_picker(desk.zone, picker))
                }
                section aria-labelledby="visits" {
                    h2 #visits { "Visits" }
                    @if file.appointments.is_empty() {
                        p.muted { "No visits yet." }
                    } @else {
                        ul.plain {
                            @for visit in file.appointments.iter().rev() { (visit_line(desk, doctors, visit)) }
                        }
                    }
                }
            }
        },
    )
}

fn visit_line(desk: &Desk<'_>, doctors: &[Doctor], visit: &Appointment) -> Markup {
    html! {
        li {
            (when::moment(desk.zone, visit.scheduled_start)) " · "
            (doctor_name(doctors, Some(visit.doctor_id))) " · "
            (status_words(visit.status))
        }
    }
}
