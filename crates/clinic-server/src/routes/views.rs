//! The JSON shapes of api.md. Instants go out as RFC 3339 in UTC (`Z`).

use clinic_domain::appointment::Appointment;
use clinic_domain::booking::BookingReceipt;
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::{AppointmentId, DoctorId, PatientId};
use clinic_domain::patient::PatientProfile;
use clinic_domain::schedule::Slot;
use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub fn rfc3339_utc(instant: OffsetDateTime) -> String {
    instant
        .to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| instant.to_string())
}

pub fn utc<S: Serializer>(instant: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_utc(*instant))
}

#[derive(Serialize)]
pub struct DoctorView<'a> {
    pub id: DoctorId,
    pub name: &'a str,
    pub specialty: &'a str,
}

impl<'a> From<&'a Doctor> for DoctorView<'a> {
    fn from(doctor: &'a Doctor) -> Self {
        Self {
            id: doctor.id,
            name: &doctor.name,
            specialty: &doctor.specialty,
        }
    }
}

#[derive(Serialize)]
pub struct SlotView {
    #[serde(serialize_with = "utc")]
    pub start: OffsetDateTime,
    #[serde(serialize_with = "utc")]
    pub end: OffsetDateTime,
}

impl From<&Slot> for SlotView {
    fn from(slot: &Slot) -> Self {
        Self {
            start: slot.start,
            end: slot.end,
        }
    }
}

#[derive(Serialize)]
pub struct ProfileView<'a> {
    pub id: PatientId,
    pub full_name: &'a str,
    pub phone: Option<&'a str>,
    pub sms_opt_in: bool,
    pub preferred_channel: &'static str,
}

impl<'a> From<&'a PatientProfile> for ProfileView<'a> {
    fn from(profile: &'a PatientProfile) -> Self {
        Self {
            id: profile.id,
            full_name: &profile.full_name,
            phone: profile.phone.as_ref().map(|p| p.as_str()),
            sms_opt_in: profile.sms_opt_in,
            preferred_channel: profile.preferred_channel.as_str(),
        }
    }
}

#[derive(Serialize)]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub doctor_id: DoctorId,
    #[serde(serialize_with = "utc")]
    pub scheduled_start: OffsetDateTime,
    pub status: &'static str,
}

impl From<&Appointment> for AppointmentView {
    fn from(a: &Appointment) -> Self {
        Self {
            id: a.id,
            patient_id: a.patient_id,
            doctor_id: a.doctor_id,
            scheduled_start: a.scheduled_start,
            status: a.status.as_str(),
        }
    }
}

impl From<&BookingReceipt> for AppointmentView {
    /// A booking's answer says `booked`, also when replayed: it repeats the first answer.
    fn from(r: &BookingReceipt) -> Self {
        Self {
            id: r.appointment_id,
            patient_id: r.patient_id,
            doctor_id: r.doctor_id,
            scheduled_start: r.scheduled_start,
            status: clinic_domain::appointment::AppointmentStatus::Booked.as_str(),
        }
    }
}
