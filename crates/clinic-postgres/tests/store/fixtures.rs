//! Rows every test needs: a doctor with a schedule, a patient, a booking.

use clinic_domain::appointment::{Appointment, AppointmentStatus, Cancellation, CancelledBy};
use clinic_domain::booking_record::NewBooking;
use clinic_domain::booking_record::{AppointmentChange, ChangeStored};
use clinic_domain::clinic::{Clinic, ClinicZone};
use clinic_domain::closure::{Closure, ClosureRequest};
use clinic_domain::doctor::Doctor;
use clinic_domain::ids::PatientId;
use clinic_domain::notification::{NewNotification, NotificationKind};
use clinic_domain::patient::{Channel, PatientProfile};
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{AppointmentRepository, DoctorRepository, PatientRepository};
use clinic_domain::schedule::{OpeningHoursInput, ScheduleInput, Slot, WeeklySchedule};
use clinic_postgres::PgStore;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);
pub const SLOT: OffsetDateTime = datetime!(2026-11-25 01:30 UTC);

pub fn clinic() -> Clinic {
    Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() }
}

pub fn weekdays_nine_to_five(slot_minutes: i64) -> WeeklySchedule {
    WeeklySchedule::parse(&ScheduleInput {
        slot_minutes,
        weekly: (1..=5)
            .map(|weekday| OpeningHoursInput { weekday, start: "09:00".into(), end: "17:00".into() })
            .collect(),
    })
    .unwrap()
}

pub fn doctor(store: &PgStore, name: &str) -> Doctor {
    let doctor =
        Doctor { schedule: weekdays_nine_to_five(30), ..Doctor::new(name, "Family medicine").unwrap() };
    store.insert(&doctor, NOW).unwrap();
    doctor
}

/// A closure of the doctor, or with `None` of the whole clinic (not stored).
pub fn closure(doctor: Option<&Doctor>, starts: OffsetDateTime, ends: OffsetDateTime) -> Closure {
    Closure::new(&ClosureRequest {
        doctor_id: doctor.map(|d| d.id),
        starts,
        ends,
        reason: "Public holiday".into(),
        cancel_booked: false,
    })
    .unwrap()
}

pub fn patient(store: &PgStore, phone: Option<&str>) -> PatientProfile {
    let profile = PatientProfile {
        id: PatientId::generate(),
        full_name: "Siti Rahman".into(),
        phone: phone.map(|p| PhoneNumber::parse(p).unwrap()),
        sms_opt_in: true,
        preferred_channel: Channel::Sms,
    };
    store.save(&profile, NOW).unwrap();
    profile
}

/// The unit of work the booking service would hand the store for this slot.
pub fn booking_of(profile: &PatientProfile, doctor: &Doctor, start: OffsetDateTime) -> NewBooking {
    let slot = Slot { start, end: start + Duration::minutes(30) };
    let appointment = Appointment::book(profile.id, doctor.id, slot, NOW);
    let confirmation =
        NewNotification::confirmation(&clinic(), &doctor.name, profile, profile.phone.clone(), &appointment);
    NewBooking { appointment, confirmation, key: None, keys_used_since: NOW - Duration::hours(24) }
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub appointment_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub error_message: Option<String>,
}

/// Every outbox row, oldest first; of rows written at one instant, the older version's first.
pub fn outbox(conn: &mut diesel::PgConnection) -> Vec<OutboxRow> {
    diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT appointment_id, type AS kind, status, error_message FROM notifications ORDER BY created_at, appointment_version, id",
        ),
        conn,
    )
    .unwrap()
}

/// How many rows a table has.
pub fn count(conn: &mut diesel::PgConnection, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::RunQueryDsl::get_result::<Count>(
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")),
        conn,
    )
    .unwrap()
    .n
}

/// Stores `change` of `before` (a status change, a move) with its message, if any.
pub fn change(
    store: &PgStore,
    before: &Appointment,
    after: Appointment,
    message: Option<NotificationKind>,
) -> ChangeStored {
    store.change(&AppointmentChange { before: before.clone(), after, message, at: NOW }).unwrap()
}

/// Cancels `appointment` as the clinic, telling the patient; the appointment as it now is.
pub fn cancel(store: &PgStore, appointment: &Appointment) -> Appointment {
    let cancellation = Cancellation { by: CancelledBy::Clinic, reason: None };
    let after = appointment.with_status(AppointmentStatus::Cancelled, Some(cancellation));
    assert_eq!(
        change(store, appointment, after.clone(), Some(NotificationKind::Cancellation)),
        ChangeStored::Changed
    );
    after
}
