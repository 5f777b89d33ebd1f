//! Outbox rows: one per message, moved from `pending` to `sent`, `failed` or `skipped`.

use time::OffsetDateTime;

use crate::appointment::{Appointment, AppointmentStatus};
use crate::clinic::Clinic;
use crate::ids::{AppointmentId, NotificationId, PatientId, TicketId};
use crate::message;
use crate::patient::{Channel, PatientProfile};
use crate::phone::PhoneNumber;
use crate::validation::FieldErrors;

named_enum!(
    /// What a message is for (the `type` column).
    NotificationKind {
        Confirmation = "confirmation",
        Reminder = "reminder",
        QueueAlert = "queue_alert",
        /// The appointment moved.
        Rescheduled = "rescheduled",
        /// The appointment was cancelled, by the patient or the clinic.
        Cancellation = "cancellation",
    }
);

named_enum!(
    /// Where a message is in its life.
    NotificationStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        Skipped = "skipped",
    }
);

/// Why a message will not be sent; stored as the row's `error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoPhone,
    OptedOut,
    AppointmentCancelled,
    /// The visit has started (or has an outcome): the message would come too late.
    AppointmentPassed,
    /// The appointment moved since: a message about its old time would be untrue.
    Rescheduled,
    /// A nearer reminder of the same visit went instead (a run missed this lead's moment).
    Superseded,
    /// A queue alert whose ticket was called (again), served or left since.
    TicketMovedOn,
    /// The gateway cannot send on this channel (`sms not configured`, ...).
    NotConfigured(String),
}

impl SkipReason {
    pub fn describe(&self) -> &str {
        match self {
            Self::NoPhone => "no phone",
            Self::OptedOut => "patient opted out",
            Self::AppointmentCancelled => "appointment cancelled",
            Self::AppointmentPassed => "appointment already started",
            Self::Rescheduled => "rescheduled",
            Self::Superseded => "superseded",
            Self::TicketMovedOn => "ticket called, served or gone",
            Self::NotConfigured(what) => what,
        }
    }

    /// Why the messages still pending about an appointment's older versions are not sent,
    /// once a change of `kind` has been made (a later message tells the truth).
    pub fn superseded_by(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::Cancellation => Self::AppointmentCancelled,
            _ => Self::Rescheduled,
        }
    }

    /// The number to text about this appointment at `now` a message of `kind`, or why
    /// nothing may be sent: a cancellation is about a cancelled appointment, everything else
    /// about a booked one.
    pub fn recipient(
        kind: NotificationKind,
        phone: Option<&PhoneNumber>,
        sms_opt_in: bool,
        appointment: AppointmentStatus,
        starts: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<&PhoneNumber, Self> {
        let expected = match kind {
            NotificationKind::Cancellation => AppointmentStatus::Cancelled,
            _ => AppointmentStatus::Booked,
        };
        if appointment == AppointmentStatus::Cancelled && expected != appointment {
            Err(Self::AppointmentCancelled)
        } else if appointment != expected || starts <= now {
            Err(Self::AppointmentPassed)
        } else if !sms_opt_in {
            Err(Self::OptedOut)
        } else {
            phone.ok_or(Self::NoPhone)
        }
    }
}

/// A message as it enters the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub id: NotificationId,
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub channel: Channel,
    pub kind: NotificationKind,
    pub message: String,
    pub segments: u32,
    pub to_phone: Option<PhoneNumber>,
    /// `None`: pending, to be sent as soon as the outbox worker gets to it.
    pub skipped: Option<SkipReason>,
    pub created_at: OffsetDateTime,
}

impl NewNotification {
    /// The confirmation of a booking, composed when the booking is made.
    pub fn confirmation(
        clinic: &Clinic,
        doctor_name: &str,
        profile: &PatientProfile,
        to_phone: Option<PhoneNumber>,
        appointment: &Appointment,
    ) -> Self {
        let message = message::confirmation(clinic, doctor_name, appointment.scheduled_start);
        Self {
            id: NotificationId::generate(),
            appointment_id: appointment.id,
            patient_id: appointment.patient_id,
            channel: profile.preferred_channel,
            kind: NotificationKind::Confirmation,
            segments: message::sms_segments(&message),
            message,
            skipped: SkipReason::recipient(
                NotificationKind::Confirmation,
                to_phone.as_ref(),
                profile.sms_opt_in,
                appointment.status,
                appointment.scheduled_start,
                appointment.booked_at,
            )
            .err(),
            to_phone,
            created_at: appointment.booked_at,
        }
    }
}

/// A message as staff see it in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    /// What the message is about: an appointment, or (a queue alert) a walk-in's ticket.
    pub appointment_id: Option<AppointmentId>,
    pub ticket_id: Option<TicketId>,
    pub patient_id: PatientId,
    pub channel: Channel,
    pub kind: NotificationKind,
    pub status: NotificationStatus,
    pub message: Option<String>,
    pub segments: Option<u32>,
    pub to_phone: Option<PhoneNumber>,
    pub attempts: u32,
    pub provider_sid: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub delivery_status: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// Which outbox rows staff want to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationFilter {
    pub status: Option<NotificationStatus>,
    pub kind: Option<NotificationKind>,
    pub limit: u32,
}

impl NotificationFilter {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// Reads the query's `status`, `type` and `limit`; unknown values are errors.
    pub fn parse(status: Option<&str>, kind: Option<&str>, limit: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let status = status.and_then(|s| {
            s.parse()
                .map_err(|()| {
                    errors.add("status", one_of(NotificationStatus::ALL.iter().map(|s| s.as_str())))
                })
                .ok()
        });
        let kind = kind.and_then(|k| {
            k.parse()
                .map_err(|()| errors.add("type", one_of(NotificationKind::ALL.iter().map(|k| k.as_str()))))
                .ok()
        });
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(raw) => {
                raw.parse().ok().filter(|n| (1..=Self::MAX_LIMIT).contains(n)).unwrap_or_else(|| {
                    errors.add("limit", format!("must be a whole number from 1 to {}", Self::MAX_LIMIT));
                    Self::DEFAULT_LIMIT
                })
            }
        };
        errors.into_result(Self { status, kind, limit })
    }
}

fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> String {
    format!("must be one of {}", names.collect::<Vec<_>>().join(", "))
}

/// A status callback, as Twilio reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub sid: String,
    pub status: String,
    pub error_code: Option<String>,
    pub at: OffsetDateTime,
}

/// How long a report for a SID we have not recorded is kept, waiting for its send.
pub const EARLY_REPORT_LIFETIME: time::Duration = time::Duration::DAY;

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::clinic::ClinicZone;
    use crate::ids::DoctorId;
    use crate::schedule::Slot;

    fn booking(profile: &PatientProfile) -> Appointment {
        let start = datetime!(2026-11-25 01:30 UTC);
        Appointment::book(
            profile.id,
            DoctorId::generate(),
            Slot { start, end: start + time::Duration::minutes(15) },
            datetime!(2026-11-24 08:00 UTC),
        )
    }

    fn profile(sms_opt_in: bool, channel: Channel) -> PatientProfile {
        PatientProfile {
            id: PatientId::generate(),
            full_name: "Siti".into(),
            phone: Some(PhoneNumber::parse("+6591234567").unwrap()),
            sms_opt_in,
            preferred_channel: channel,
        }
    }

    fn clinic() -> Clinic {
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() }
    }

    #[test]
    fn a_confirmation_is_pending_for_a_reachable_patient() {
        let patient = profile(true, Channel::WhatsApp);
        let appointment = booking(&patient);
        let confirmation =
            NewNotification::confirmation(&clinic(), "Dr Tan", &patient, patient.phone.clone(), &appointment);
        assert_eq!(confirmation.skipped, None);
        assert_eq!(confirmation.kind, NotificationKind::Confirmation);
        assert_eq!(confirmation.channel, Channel::WhatsApp);
        assert_eq!(confirmation.appointment_id, appointment.id);
        assert_eq!(confirmation.segments, 1);
        assert!(confirmation.message.contains("Dr Tan on Wed 25 Nov 2026, 09:30"));
        assert_eq!(confirmation.created_at, appointment.booked_at);
    }

    #[test]
    fn a_confirmation_is_skipped_without_a_phone_or_consent() {
        let opted_out = profile(false, Channel::Sms);
        let appointment = booking(&opted_out);
        let skipped = NewNotification::confirmation(
            &clinic(),
            "Dr Tan",
            &opted_out,
            opted_out.phone.clone(),
            &appointment,
        );
        assert_eq!(skipped.skipped, Some(SkipReason::OptedOut));

        let phoneless = profile(true, Channel::Sms);
        let skipped =
            NewNotification::confirmation(&clinic(), "Dr Tan", &phoneless, None, &booking(&phoneless));
        assert_eq!(skipped.skipped, Some(SkipReason::NoPhone));
        assert_eq!(skipped.skipped.unwrap().describe(), "no phone");
    }

    #[test]
    fn nothing_is_sent_about_a_cancelled_or_started_appointment() {
        let phone = PhoneNumber::parse("+6591234567").unwrap();
        let start = datetime!(2026-11-25 01:30 UTC);
        let before = start - time::Duration::minutes(1);
        let skip = |status, now| {
            SkipReason::recipient(NotificationKind::Confirmation, Some(&phone), true, status, start, now)
                .err()
        };
        assert_eq!(skip(AppointmentStatus::Cancelled, before), Some(SkipReason::AppointmentCancelled));
        assert_eq!(skip(AppointmentStatus::Booked, before), None);
        assert_eq!(skip(AppointmentStatus::Booked, start), Some(SkipReason::AppointmentPassed));
        assert_eq!(skip(AppointmentStatus::Completed, before), Some(SkipReason::AppointmentPassed));
        assert_eq!(SkipReason::AppointmentPassed.describe(), "appointment already started");
    }

    #[test]
    fn kinds_and_statuses_round_trip_through_their_names() {
        for kind in NotificationKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(*kind));
        }
        for status in NotificationStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(*status));
        }
    }
}
