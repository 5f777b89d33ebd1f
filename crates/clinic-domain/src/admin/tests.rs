use std::sync::Arc;

use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

use super::*;
use crate::appointment::{Cancellation, CancelledBy};
use crate::booking_record::ChangeStored;
use crate::clinic::ClinicZone;
use crate::ids::PatientId;
use crate::notification::{NotificationKind, NotificationStatus};
use crate::ports::{
    ManualClock, MockAppointmentRepository, MockDoctorRepository, MockNotificationRepository,
};
use crate::schedule::{OpeningHoursInput, Slot};

const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

struct World {
    doctors: MockDoctorRepository,
    appointments: MockAppointmentRepository,
    notifications: MockNotificationRepository,
}

impl World {
    fn new() -> Self {
        Self {
            doctors: MockDoctorRepository::new(),
            appointments: MockAppointmentRepository::new(),
            notifications: MockNotificationRepository::new(),
        }
    }

    fn admin(self) -> Administration {
        Administration::new(
            Clinic {
                name: "Gabriel Family Clinic".into(),
                zone: ClinicZone::parse("Asia/Singapore").unwrap(),
            },
            Arc::new(self.doctors),
            Arc::new(self.appointments),
            Arc::new(self.notifications),
            Arc::new(ManualClock::new(NOW)),
        )
    }
}

#[test]
fn a_created_doctor_is_stored_active_and_without_openings() {
    let mut world = World::new();
    world
        .doctors
        .expect_insert()
        .withf(|d, at| d.name == "Dr Tan" && d.active && d.schedule.hours().is_empty() && *at == NOW)
        .times(1)
        .returning(|_, _| Ok(()));
    assert_eq!(world.admin().create_doctor(" Dr Tan ", "GP").unwrap().name, "Dr Tan");
}

#[test]
fn a_doctor_with_an_empty_name_is_not_created() {
    let err = World::new().admin().create_doctor("", "GP").unwrap_err();
    assert!(matches!(err, AdminError::Invalid(f) if f.fields().contains_key("name")));
}

#[test]
fn updating_a_doctor_changes_only_the_given_fields() {
    let doctor = Doctor::new("Dr Tan", "GP").unwrap();
    let mut world = World::new();
    let stored = doctor.clone();
    world.doctors.expect_find().returning(move |_| Ok(Some(stored.clone())));
    world
        .doctors
        .expect_update()
        .withf(|d, _| d.name == "Dr Tan" && d.specialty == "Paediatrics" && !d.active)
        .times(1)
        .returning(|_, _| Ok(true));
    let changes = DoctorChanges {
        specialty: Some("Paediatrics".into()),
        active: Some(false),
        ..DoctorChanges::default()
    };
    let updated = world.admin().update_doctor(doctor.id, &changes).unwrap();
    assert!(!updated.active);
}

#[test]
fn an_unknown_doctor_cannot_be_updated_or_scheduled() {
    let mut world = World::new();
    world.doctors.expect_find().returning(|_| Ok(None));
    world.doctors.expect_replace_schedule().returning(|_, _, _| Ok(false));
    let admin = world.admin();
    let id = DoctorId::generate();
    assert_eq!(admin.update_doctor(id, &DoctorChanges::default()), Err(AdminError::DoctorNotFound));
    let schedule = ScheduleInput { slot_minutes: 15, weekly: vec![] };
    assert_eq!(admin.replace_schedule(id, &schedule), Err(AdminError::DoctorNotFound));
}

#[test]
fn an_invalid_schedule_is_refused_before_anything_is_stored() {
    let input = ScheduleInput {
        slot_minutes: 300,
        weekly: vec![OpeningHoursInput { weekday: 1, start: "12:00".into(), end: "09:00".into() }],
    };
    let err = World::new().admin().replace_schedule(DoctorId::generate(), &input).unwrap_err();
    let AdminError::Invalid(fields) = err else { panic!("{err:?}") };
    assert!(fields.fields().contains_key("slot_minutes") && fields.fields().contains_key("weekly[0].end"));
}

#[test]
fn the_day_list_covers_the_clinic_local_day() {
    let mut world = World::new();
    let doctor = DoctorId::generate();
    world
        .appointments
        .expect_list_between()
        .withf(move |from, until, d| {
            *from == datetime!(2026-11-24 16:00 UTC)
                && *until == datetime!(2026-11-25 16:00 UTC)
                && *d == Some(doctor)
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    assert_eq!(world.admin().day(date!(2026 - 11 - 25), Some(doctor)), Ok(vec![]));
}

fn appointment(start: OffsetDateTime, status: AppointmentStatus) -> Appointment {
    let slot = Slot { start, end: start + Duration::minutes(15) };
    Appointment { status, ..Appointment::book(PatientId::generate(), DoctorId::generate(), slot, NOW) }
}

fn world_with(appointment: &Appointment) -> World {
    let mut world = World::new();
    let stored = appointment.clone();
    world.appointments.expect_find().returning(move |_| Ok(Some(stored.clone())));
    world
}

#[test]
fn an_outcome_is_recorded_once_the_visit_has_started() {
    let started = appointment(NOW - Duration::minutes(5), AppointmentStatus::Booked);
    let mut world = world_with(&started);
    world
        .appointments
        .expect_change()
        .withf(|c| {
            c.after.status == AppointmentStatus::Completed && c.after.version == 2 && c.message.is_none()
        })
        .times(1)
        .returning(|_| Ok(ChangeStored::Changed));
    let result = world.admin().set_status(started.id, AppointmentStatus::Completed, None).unwrap();
    assert_eq!((result.status, result.version), (AppointmentStatus::Completed, 2));
}

#[test]
fn an_outcome_before_the_visit_is_refused() {
    let upcoming = appointment(NOW + Duration::hours(1), AppointmentStatus::Booked);
    assert_eq!(
        world_with(&upcoming).admin().set_status(upcoming.id, AppointmentStatus::NoShow, None),
        Err(AdminError::StatusChange(StatusChangeRefused::NotStarted))
    );
}

#[test]
fn an_unknown_appointment_has_no_outcome() {
    let mut world = World::new();
    world.appointments.expect_find().returning(|_| Ok(None));
    assert_eq!(
        world.admin().set_status(AppointmentId::generate(), AppointmentStatus::Cancelled, None),
        Err(AdminError::AppointmentNotFound)
    );
}

#[test]
fn a_clinic_cancel_tells_the_patient_with_the_reason() {
    let upcoming = appointment(NOW + Duration::hours(1), AppointmentStatus::Booked);
    let mut world = world_with(&upcoming);
    world
        .appointments
        .expect_change()
        .withf(|c| {
            c.after.status == AppointmentStatus::Cancelled
                && c.message == Some(NotificationKind::Cancellation)
                && c.after.cancellation
                    == Some(Cancellation { by: CancelledBy::Clinic, reason: Some("Doctor unwell".into()) })
        })
        .times(1)
        .returning(|_| Ok(ChangeStored::Changed));
    let cancelled =
        world.admin().set_status(upcoming.id, AppointmentStatus::Cancelled, Some(" Doctor unwell "));
    assert_eq!(cancelled.unwrap().status, AppointmentStatus::Cancelled);
}

#[test]
fn a_reason_over_160_characters_is_refused_before_anything_changes() {
    let upcoming = appointment(NOW + Duration::hours(1), AppointmentStatus::Booked);
    let long = "x".repeat(161);
    let refused = World::new().admin().set_status(upcoming.id, AppointmentStatus::Cancelled, Some(&long));
    assert!(matches!(refused, Err(AdminError::Invalid(errors)) if errors.fields().contains_key("reason")));
}

#[test]
fn the_notification_filter_reads_the_query() {
    let filter = NotificationFilter::parse(Some("failed"), Some("reminder"), Some("10")).unwrap();
    assert_eq!(
        filter,
        NotificationFilter {
            status: Some(NotificationStatus::Failed),
            kind: Some(NotificationKind::Reminder),
            limit: 10
        }
    );
    assert_eq!(NotificationFilter::parse(None, None, None).unwrap().limit, 50);
    let errors = NotificationFilter::parse(Some("lost"), Some("memo"), Some("501")).unwrap_err();
    let fields: Vec<_> = errors.fields().keys().cloned().collect();
    assert_eq!(fields, vec!["limit", "status", "type"]);
    assert!(NotificationFilter::parse(None, None, Some("0")).is_err());
}

#[test]
fn a_patient_arrives_for_a_booked_visit_of_the_day_even_early() {
    let later_today = appointment(NOW + Duration::hours(1), AppointmentStatus::Booked);
    let mut world = world_with(&later_today);
    world
        .appointments
        .expect_mark_arrived()
        .withf(|_, at| *at == NOW)
        .times(1)
        .returning(|_, at| Ok(Some(at)));
    let (marked, at) = world.admin().mark_arrived(later_today.id).unwrap();
    assert_eq!((marked.status, at), (AppointmentStatus::Booked, NOW));
}

#[test]
fn a_patient_arrives_only_on_the_visits_day_and_only_for_a_booked_visit() {
    // Tuesday 16:00 in Singapore: Wednesday's visit is another day.
    let tomorrow = appointment(NOW + Duration::hours(17), AppointmentStatus::Booked);
    let mut world = world_with(&tomorrow);
    world.appointments.expect_mark_arrived().times(0);
    assert_eq!(
        world.admin().mark_arrived(tomorrow.id),
        Err(AdminError::StatusChange(StatusChangeRefused::NotToday))
    );

    let cancelled = appointment(NOW + Duration::hours(1), AppointmentStatus::Cancelled);
    assert_eq!(
        world_with(&cancelled).admin().mark_arrived(cancelled.id),
        Err(AdminError::StatusChange(StatusChangeRefused::Closed(AppointmentStatus::Cancelled)))
    );
}

#[test]
fn a_visit_cancelled_while_its_arrival_is_marked_is_refused_as_it_is_now() {
    let booked = appointment(NOW + Duration::hours(1), AppointmentStatus::Booked);
    let cancelled = Appointment { status: AppointmentStatus::Cancelled, ..booked.clone() };
    let mut world = World::new();
    let reads = std::sync::atomic::AtomicUsize::new(0);
    world.appointments.expect_find().returning(move |_| {
        let first = reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        Ok(Some(if first { booked.clone() } else { cancelled.clone() }))
    });
    world.appointments.expect_mark_arrived().returning(|_, _| Ok(None));
    assert_eq!(
        world.admin().mark_arrived(AppointmentId::generate()),
        Err(AdminError::StatusChange(StatusChangeRefused::Closed(AppointmentStatus::Cancelled)))
    );
}
