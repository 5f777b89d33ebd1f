//! The JSON shapes of api.md. Instants go out as RFC 3339 in UTC (`Z`). Their
//! `ToSchema` makes them the OpenAPI document's schemas too.

use clinic_domain::appointment::Appointment;
use clinic_domain::appointment::DayEntry;
use clinic_domain::booking::BookingReceipt;
use clinic_domain::closure::{Closure, ClosureMade};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::{AppointmentId, ClosureId, DoctorId, NotificationId, PatientId, TicketId};
use clinic_domain::notification::Notification;
use clinic_domain::outbox::DeliveryReport;
use clinic_domain::patient::{PatientProfile, PatientRecord};
use clinic_domain::patient_records::PatientFile;
use clinic_domain::schedule::{Slot, format_clock_time};
use serde::{Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use utoipa::ToSchema;

pub fn rfc3339_utc(instant: OffsetDateTime) -> String {
    instant.to_offset(UtcOffset::UTC).format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
}

pub fn utc<S: Serializer>(instant: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339_utc(*instant))
}

#[derive(Serialize, ToSchema)]
pub struct DoctorView<'a> {
    #[schema(value_type = Uuid)]
    pub id: DoctorId,
    pub name: &'a str,
    pub specialty: &'a str,
}

impl<'a> From<&'a Doctor> for DoctorView<'a> {
    fn from(doctor: &'a Doctor) -> Self {
        Self { id: doctor.id, name: &doctor.name, specialty: &doctor.specialty }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SlotView {
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
}

impl From<&Slot> for SlotView {
    fn from(slot: &Slot) -> Self {
        Self { start: slot.start, end: slot.end }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProfileView<'a> {
    #[schema(value_type = Uuid)]
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

#[derive(Serialize, ToSchema)]
pub struct AppointmentView {
    #[schema(value_type = Uuid)]
    pub id: AppointmentId,
    #[schema(value_type = Uuid)]
    pub patient_id: PatientId,
    #[schema(value_type = Uuid)]
    pub doctor_id: DoctorId,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
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

/// A doctor as staff see it: with its state and its weekly schedule.
#[derive(Serialize, ToSchema)]
pub struct StaffDoctorView<'a> {
    #[schema(value_type = Uuid)]
    pub id: DoctorId,
    pub name: &'a str,
    pub specialty: &'a str,
    pub active: bool,
    pub slot_minutes: u16,
    pub weekly: Vec<OpeningView>,
}

#[derive(Serialize, ToSchema)]
pub struct OpeningView {
    pub weekday: u8,
    pub start: String,
    pub end: String,
}

impl<'a> From<&'a Doctor> for StaffDoctorView<'a> {
    fn from(doctor: &'a Doctor) -> Self {
        Self {
            id: doctor.id,
            name: &doctor.name,
            specialty: &doctor.specialty,
            active: doctor.active,
            slot_minutes: doctor.schedule.slot_length().minutes(),
            weekly: doctor
                .schedule
                .hours()
                .iter()
                .map(|h| OpeningView {
                    weekday: h.weekday.number_from_monday(),
                    start: format_clock_time(h.start),
                    end: format_clock_time(h.end),
                })
                .collect(),
        }
    }
}

/// A line of the day list; the phone is masked.
#[derive(Serialize, ToSchema)]
pub struct DayEntryView<'a> {
    #[schema(value_type = Uuid)]
    pub id: AppointmentId,
    #[schema(value_type = Uuid)]
    pub doctor_id: DoctorId,
    #[schema(value_type = Uuid)]
    pub patient_id: PatientId,
    pub patient_name: &'a str,
    pub patient_phone: Option<String>,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub scheduled_start: OffsetDateTime,
    pub status: &'static str,
    /// The patient answered a reminder with C (for the time it has now).
    pub patient_confirmed: bool,
    #[serde(serialize_with = "utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub patient_confirmed_at: Option<OffsetDateTime>,
    /// When the desk marked the patient arrived; the visit stays `booked`.
    #[serde(serialize_with = "utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub arrived_at: Option<OffsetDateTime>,
}

impl<'a> From<&'a DayEntry> for DayEntryView<'a> {
    fn from(entry: &'a DayEntry) -> Self {
        let a = &entry.appointment;
        Self {
            id: a.id,
            doctor_id: a.doctor_id,
            patient_id: a.patient_id,
            patient_name: &entry.patient_name,
            patient_phone: entry.patient_phone.as_ref().map(|p| p.masked()),
            scheduled_start: a.scheduled_start,
            status: a.status.as_str(),
            patient_confirmed: entry.patient_confirmed_at.is_some(),
            patient_confirmed_at: entry.patient_confirmed_at,
            arrived_at: entry.arrived_at,
        }
    }
}

/// `POST /api/admin/appointments/{id}/arrived`'s answer.
#[derive(Serialize, ToSchema)]
pub struct ArrivalView {
    pub appointment: AppointmentView,
    /// The first time the desk marked the patient arrived.
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub arrived_at: OffsetDateTime,
}

/// An outbox row as staff see it; the phone is masked.
#[derive(Serialize, ToSchema)]
pub struct NotificationView<'a> {
    #[schema(value_type = Uuid)]
    pub id: NotificationId,
    /// `null` for a queue alert, which is about `ticket_id`.
    #[schema(value_type = Option<Uuid>)]
    pub appointment_id: Option<AppointmentId>,
    #[schema(value_type = Option<Uuid>)]
    pub ticket_id: Option<TicketId>,
    #[schema(value_type = Uuid)]
    pub patient_id: PatientId,
    pub channel: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: &'static str,
    pub delivery_status: Option<&'a str>,
    pub provider_sid: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub to_phone: Option<String>,
    pub attempts: u32,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(serialize_with = "utc_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
}

impl<'a> From<&'a Notification> for NotificationView<'a> {
    fn from(n: &'a Notification) -> Self {
        Self {
            id: n.id,
            appointment_id: n.appointment_id,
            ticket_id: n.ticket_id,
            patient_id: n.patient_id,
            channel: n.channel.as_str(),
            kind: n.kind.as_str(),
            status: n.status.as_str(),
            delivery_status: n.delivery_status.as_deref(),
            provider_sid: n.provider_sid.as_deref(),
            error_code: n.error_code.as_deref(),
            error_message: n.error_message.as_deref(),
            to_phone: n.to_phone.as_ref().map(|p| p.masked()),
            attempts: n.attempts,
            created_at: n.created_at,
            sent_at: n.sent_at,
        }
    }
}

pub fn utc_option<S: Serializer>(instant: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match instant {
        Some(instant) => utc(instant, serializer),
        None => serializer.serialize_none(),
    }
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct HealthView {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ClinicView<'a> {
    pub name: &'a str,
    /// IANA zone of schedules and dates.
    #[schema(example = "Asia/Singapore")]
    pub timezone: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct DoctorList<'a> {
    pub doctors: Vec<DoctorView<'a>>,
}

/// The free slots of one clinic-local day.
#[derive(Serialize, ToSchema)]
pub struct FreeSlots<'a> {
    #[schema(value_type = Uuid)]
    pub doctor_id: DoctorId,
    #[schema(value_type = String, format = Date)]
    pub date: &'a str,
    pub timezone: &'static str,
    pub slots: Vec<SlotView>,
}

#[derive(Serialize, ToSchema)]
pub struct AppointmentList {
    pub appointments: Vec<AppointmentView>,
}

/// `POST /api/appointments/book`'s 201.
#[derive(Serialize, ToSchema)]
pub struct Booked {
    pub success: bool,
    pub appointment: AppointmentView,
}

#[derive(Serialize, ToSchema)]
pub struct DayList<'a> {
    pub appointments: Vec<DayEntryView<'a>>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList<'a> {
    pub notifications: Vec<NotificationView<'a>>,
}

/// A closure: a doctor's leave, or (no `doctor_id`) the whole clinic's.
#[derive(Serialize, ToSchema)]
pub struct ClosureView<'a> {
    #[schema(value_type = Uuid)]
    pub id: ClosureId,
    /// Null: the whole clinic.
    #[schema(value_type = Option<Uuid>)]
    pub doctor_id: Option<DoctorId>,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub starts: OffsetDateTime,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String, format = DateTime)]
    pub ends: OffsetDateTime,
    pub reason: &'a str,
}

impl<'a> From<&'a Closure> for ClosureView<'a> {
    fn from(c: &'a Closure) -> Self {
        Self { id: c.id, doctor_id: c.doctor_id, starts: c.starts, ends: c.ends, reason: &c.reason }
    }
}

/// `POST /api/admin/closures`'s 201: the closure and the appointments booked inside it.
#[derive(Serialize, ToSchema)]
pub struct ClosureMadeView<'a> {
    pub closure: ClosureView<'a>,
    /// By start; `cancelled` when the request said `cancel_booked`.
    pub affected: Vec<AppointmentView>,
}

impl<'a> From<&'a ClosureMade> for ClosureMadeView<'a> {
    fn from(made: &'a ClosureMade) -> Self {
        Self { closure: (&made.closure).into(), affected: made.affected.iter().map(Into::into).collect() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClosureList<'a> {
    pub closures: Vec<ClosureView<'a>>,
}

/// The reminders job's answer: `processed` rows this run handled, `success` sent,
/// `failed` failed or left for a retry, `skipped` not sendable.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderSummary {
    /// Every reminder this run claimed was handled and recorded.
    pub ok: bool,
    pub processed: u32,
    pub success: u32,
    pub failed: u32,
    pub skipped: u32,
    /// Claimed but not reached within the run's budget: pending, for the worker.
    pub left: u32,
    /// Of `success`, found at Twilio from an earlier attempt rather than sent now.
    pub adopted: u32,
    /// Handled, but the outcome could not be recorded: asked about before any resend.
    pub unrecorded: u32,
}

impl From<DeliveryReport> for ReminderSummary {
    fn from(report: DeliveryReport) -> Self {
        Self {
            ok: report.left == 0 && report.unrecorded == 0,
            processed: report.processed,
            success: report.sent,
            failed: report.failed,
            skipped: report.skipped,
            left: report.left,
            adopted: report.adopted,
            unrecorded: report.unrecorded,
        }
    }
}

/// A patient as staff see them; the phone is masked.
#[derive(Serialize, ToSchema)]
pub struct PatientView<'a> {
    #[schema(value_type = Uuid)]
    pub id: PatientId,
    pub full_name: &'a str,
    #[schema(example = "+65****4567")]
    pub phone: Option<String>,
    pub sms_opt_in: bool,
    pub preferred_channel: &'static str,
    /// Whether a login is this patient; false for one staff registered, until they log in.
    pub has_login: bool,
}

impl<'a> From<&'a PatientRecord> for PatientView<'a> {
    fn from(record: &'a PatientRecord) -> Self {
        let profile = &record.profile;
        Self {
            id: profile.id,
            full_name: &profile.full_name,
            phone: profile.phone.as_ref().map(|p| p.masked()),
            sms_opt_in: profile.sms_opt_in,
            preferred_channel: profile.preferred_channel.as_str(),
            has_login: record.has_login,
        }
    }
}

/// What a patient search found, by name.
#[derive(Serialize, ToSchema)]
pub struct PatientList<'a> {
    pub patients: Vec<PatientView<'a>>,
}

/// A patient and their appointments, by start.
#[derive(Serialize, ToSchema)]
pub struct PatientFileView<'a> {
    pub patient: PatientView<'a>,
    pub appointments: Vec<AppointmentView>,
}

impl<'a> From<&'a PatientFile> for PatientFileView<'a> {
    fn from(file: &'a PatientFile) -> Self {
        Self {
            patient: PatientView::from(&file.record),
            appointments: file.appointments.iter().map(Into::into).collect(),
        }
    }
}
