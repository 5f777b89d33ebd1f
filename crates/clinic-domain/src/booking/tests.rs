use std::sync::{Arc, Mutex};

use time::Duration;
use time::macros::{date, datetime};

use super::*;
use crate::appointment::{Cancellation, CancelledBy};
use crate::booking_record::{BookingReads, ChangeStored};
use crate::clinic::ClinicZone;
use crate::closure::{Closure, ClosureRequest};
use crate::doctor_day::DoctorDay;
use crate::notification::{NotificationKind, SkipReason};
use crate::patient::{Channel, PatientProfile};
use crate::phone::PhoneNumber;
use crate::ports::{MockAppointmentRepository, MockClock, MockDoctorRepository};
use crate::schedule::{OpeningHoursInput, ScheduleInput, WeeklySchedule};

/// Tuesday 2026-11-24, 16:00 in Singapore.
const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);
/// Wednesday 2026-11-25, 09:30 in Singapore: a slot of the doctor below.
const SLOT: OffsetDateTime = datetime!(2026-11-25 01:30 UTC);

/// A booking's first read, as the store was asked it: patient, key, keys used since.
type ReadAsked = (PatientId, Option<String>, OffsetDateTime);

struct World {
    doctors: MockDoctorRepository,
    /// The profile the store holds, and the booking the key made (a replay).
    profile: Option<PatientProfile>,
    earlier: Option<BookingKey>,
    reads_asked: Arc<Mutex<Vec<ReadAsked>>>,
    appointments: MockAppointmentRepository,
    now: OffsetDateTime,
}

impl World {
    fn new() -> Self {
        Self {
            doctors: MockDoctorRepository::new(),
            profile: None,
            earlier: None,
            reads_asked: Arc::default(),
            appointments: MockAppointmentRepository::new(),
            now: NOW,
        }
    }

    fn with_doctor(self, doctor: Doctor) -> Self {
        self.with_day(DoctorDay { doctor, taken: Vec::new(), closures: Vec::new() })
    }

    /// The doctor, and what the store holds of any day of it.
    fn with_day(mut self, day: DoctorDay) -> Self {
        let doctor = day.doctor.clone();
        self.doctors.expect_find().returning(move |id| Ok(Some(doctor.clone()).filter(|d| d.id == id)));
        self.doctors
            .expect_day_of()
            .returning(move |id, _, _| Ok(Some(day.clone()).filter(|d| d.doctor.id == id)));
        self
    }

    fn with_profile(mut self, profile: PatientProfile) -> Self {
        self.profile = Some(profile);
        self
    }

    fn booking(self) -> Booking {
        let mut clock = MockClock::new();
        let now = self.now;
        clock.expect_now().returning(move || now);
        let (profile, earlier, asked) = (self.profile, self.earlier, self.reads_asked);
        let mut appointments = self.appointments;
        appointments.expect_find_for_booking().returning(move |id, key, since| {
            asked.lock().unwrap().push((id, key.map(|k| k.as_str().to_owned()), since));
            Ok(BookingReads { profile: profile.clone().filter(|p| p.id == id), earlier: earlier.clone() })
        });
        Booking::new(
            Clinic {
                name: "Gabriel Family Clinic".into(),
                zone: ClinicZone::parse("Asia/Singapore").unwrap(),
            },
            Arc::new(self.doctors),
            Arc::new(appointments),
            Arc::new(clock),
        )
    }
}

fn doctor() -> Doctor {
    let schedule = WeeklySchedule::parse(&ScheduleInput {
        slot_minutes: 30,
        weekly: vec![OpeningHoursInput { weekday: 3, start: "09:00".into(), end: "12:00".into() }],
    })
    .unwrap();
    Doctor { schedule, ..Doctor::new("Dr Tan", "Family medicine").unwrap() }
}

fn patient() -> PatientLogin {
    PatientLogin { id: PatientId::generate(), phone: None }
}

fn profile_of(login: &PatientLogin) -> PatientProfile {
    PatientProfile {
        id: login.id,
        full_name: "Siti Rahman".into(),
        phone: Some(PhoneNumber::parse("+6591234567").unwrap()),
        sms_opt_in: true,
        preferred_channel: Channel::Sms,
    }
}

fn request(doctor: &Doctor, start: OffsetDateTime) -> BookingRequest {
    BookingRequest { doctor_id: doctor.id, scheduled_start: start }
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

#[test]
fn booking_a_free_slot_stores_the_appointment_with_its_confirmation() {
    let (doctor, login) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    let expected_doctor = doctor.id;
    world.appointments.expect_book().times(1).returning(move |booking| {
        let appointment = &booking.appointment;
        assert_eq!(appointment.doctor_id, expected_doctor);
        assert_eq!(appointment.scheduled_start, SLOT);
        assert_eq!(appointment.scheduled_end, SLOT + Duration::minutes(30));
        assert_eq!(appointment.status, AppointmentStatus::Booked);
        assert_eq!(appointment.booked_at, NOW);
        let confirmation = &booking.confirmation;
        assert_eq!(confirmation.appointment_id, appointment.id);
        assert_eq!(confirmation.kind, NotificationKind::Confirmation);
        assert_eq!(confirmation.skipped, None);
        assert_eq!(confirmation.to_phone.as_ref().unwrap().as_str(), "+6591234567");
        assert!(confirmation.message.contains("Dr Tan on Wed 25 Nov 2026, 09:30"));
        assert_eq!(booking.key, None);
        Ok(BookingStored::Booked)
    });
    let receipt = world.booking().book(&login, request(&doctor, SLOT), None).unwrap();
    assert_eq!(receipt.patient_id, login.id);
    assert_eq!(receipt.scheduled_start, SLOT);
    assert!(receipt.created);
}

#[test]
fn booking_needs_a_patient_profile() {
    let doctor = doctor();
    let world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&patient()));
    let err = world.booking().book(&patient(), request(&doctor, SLOT), None).unwrap_err();
    assert_eq!(err, BookingError::PatientProfileNotFound);
}

#[test]
fn unknown_and_inactive_doctors_cannot_be_booked() {
    let login = patient();
    let inactive = Doctor { active: false, ..doctor() };
    let booking = World::new().with_doctor(inactive.clone()).with_profile(profile_of(&login)).booking();
    assert_eq!(booking.book(&login, request(&inactive, SLOT), None), Err(BookingError::DoctorNotFound));
    assert_eq!(booking.book(&login, request(&doctor(), SLOT), None), Err(BookingError::DoctorNotFound));
    assert_eq!(booking.free_slots(inactive.id, date!(2026 - 11 - 25)), Err(BookingError::DoctorNotFound));
    assert_eq!(booking.free_slots(doctor().id, date!(2026 - 11 - 25)), Err(BookingError::DoctorNotFound));
}

#[test]
fn past_times_cannot_be_booked() {
    let (doctor, login) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    world.now = SLOT;
    let booking = world.booking();
    let in_the_past = Err(BookingError::NotBookable(NotBookable::InThePast));
    assert_eq!(booking.book(&login, request(&doctor, SLOT), None), in_the_past);
    assert_eq!(booking.book(&login, request(&doctor, SLOT - Duration::days(7)), None), in_the_past);
}

#[test]
fn only_slot_starts_inside_the_schedule_can_be_booked() {
    let (doctor, login) = (doctor(), patient());
    let booking = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login)).booking();
    assert_eq!(
        booking.book(&login, request(&doctor, SLOT + Duration::minutes(10)), None),
        Err(BookingError::NotBookable(NotBookable::NotOnSlotBoundary))
    );
    assert_eq!(
        booking.book(&login, request(&doctor, SLOT + Duration::hours(5)), None),
        Err(BookingError::NotBookable(NotBookable::OutsideSchedule))
    );
    assert_eq!(
        booking.book(&login, request(&doctor, SLOT + Duration::days(1)), None),
        Err(BookingError::NotBookable(NotBookable::OutsideSchedule))
    );
}

#[test]
fn a_slot_held_by_another_appointment_is_taken() {
    let (doctor, login) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    world.appointments.expect_book().returning(|_| Ok(BookingStored::SlotTaken));
    assert_eq!(world.booking().book(&login, request(&doctor, SLOT), None), Err(BookingError::SlotTaken));
}

#[test]
fn a_slot_a_closure_covers_is_not_bookable_as_the_store_decides() {
    let (doctor, login) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    world.appointments.expect_book().returning(|_| Ok(BookingStored::Closed));
    assert_eq!(
        world.booking().book(&login, request(&doctor, SLOT), None),
        Err(BookingError::NotBookable(NotBookable::Closed))
    );
}

#[test]
fn a_key_is_stored_with_its_booking_and_looked_up_for_24_hours() {
    let (doctor, login) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    let asked = world.reads_asked.clone();
    world.appointments.expect_book().times(1).returning(|booking| {
        let key = booking.key.as_ref().unwrap();
        assert_eq!(key.key.as_str(), "k-1");
        assert_eq!(key.appointment_id, booking.appointment.id);
        assert_eq!(key.scheduled_start, SLOT);
        assert_eq!(booking.keys_used_since, NOW - Duration::hours(24));
        Ok(BookingStored::Booked)
    });
    assert!(world.booking().book(&login, request(&doctor, SLOT), Some(key("k-1"))).unwrap().created);
    assert_eq!(*asked.lock().unwrap(), [(login.id, Some("k-1".into()), NOW - Duration::hours(24))]);
}

fn earlier_booking(login: &PatientLogin, doctor: &Doctor, start: OffsetDateTime) -> BookingKey {
    BookingKey {
        patient_id: login.id,
        key: key("k-1"),
        doctor_id: doctor.id,
        scheduled_start: start,
        appointment_id: AppointmentId::generate(),
        created_at: NOW - Duration::hours(1),
    }
}

#[test]
fn repeating_a_keyed_request_replays_the_first_booking() {
    let (doctor, login) = (doctor(), patient());
    let earlier = earlier_booking(&login, &doctor, SLOT);
    let first = earlier.clone();
    let mut world = World::new();
    world.earlier = Some(first);
    // Even once the slot has passed, the replay is the first answer.
    world.now = SLOT + Duration::hours(1);
    let receipt = world.booking().book(&login, request(&doctor, SLOT), Some(key("k-1"))).unwrap();
    assert_eq!(receipt.appointment_id, earlier.appointment_id);
    assert!(!receipt.created);
}

#[test]
fn a_key_used_for_another_booking_is_refused() {
    let (doctor, login) = (doctor(), patient());
    let earlier = earlier_booking(&login, &doctor, SLOT + Duration::minutes(30));
    let mut world = World::new();
    world.earlier = Some(earlier);
    assert_eq!(
        world.booking().book(&login, request(&doctor, SLOT), Some(key("k-1"))),
        Err(BookingError::IdempotencyKeyReused)
    );
}

#[test]
fn a_concurrent_request_with_the_same_key_gets_the_winners_answer() {
    let (doctor, login) = (doctor(), patient());
    let winner = earlier_booking(&login, &doctor, SLOT);
    let stored = winner.clone();
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&login));
    world.appointments.expect_book().returning(move |_| Ok(BookingStored::KeyAlreadyUsed(stored.clone())));
    let receipt = world.booking().book(&login, request(&doctor, SLOT), Some(key("k-1"))).unwrap();
    assert_eq!(receipt.appointment_id, winner.appointment_id);
    assert!(!receipt.created);
}

#[test]
fn the_login_phone_is_texted_when_the_profile_has_none_and_no_phone_means_skipped() {
    let doctor = doctor();
    let login = PatientLogin { phone: Some(PhoneNumber::parse("+6598765432").unwrap()), ..patient() };
    let profile = PatientProfile { phone: None, ..profile_of(&login) };
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile.clone());
    world.appointments.expect_book().returning(|booking| {
        assert_eq!(booking.confirmation.to_phone.as_ref().unwrap().as_str(), "+6598765432");
        assert_eq!(booking.confirmation.skipped, None);
        Ok(BookingStored::Booked)
    });
    world.booking().book(&login, request(&doctor, SLOT), None).unwrap();

    let phoneless = PatientLogin { phone: None, ..login };
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile);
    world.appointments.expect_book().returning(|booking| {
        assert_eq!(booking.confirmation.skipped, Some(SkipReason::NoPhone));
        Ok(BookingStored::Booked)
    });
    world.booking().book(&phoneless, request(&doctor, SLOT), None).unwrap();
}

#[test]
fn free_slots_are_worked_out_from_the_doctors_clinic_day_read_once() {
    let doctor = doctor();
    let mut world = World::new();
    // Wednesday 09:45 in Singapore: 09:00 and 09:30 have started.
    world.now = datetime!(2026-11-25 01:45 UTC);
    let reason = "Public holiday".into();
    let holiday = ClosureRequest {
        doctor_id: None,
        starts: datetime!(2026-11-25 03:30 UTC),
        ends: datetime!(2026-11-25 05:00 UTC),
        reason,
        cancel_booked: false,
    };
    let day = DoctorDay {
        doctor: doctor.clone(),
        taken: vec![datetime!(2026-11-25 02:30 UTC)],
        closures: vec![Closure::new(&holiday).unwrap()],
    };
    // The clinic's Wednesday, midnight to midnight in Singapore.
    world
        .doctors
        .expect_day_of()
        .withf(|_, from, until| {
            *from == datetime!(2026-11-24 16:00 UTC) && *until == datetime!(2026-11-25 16:00 UTC)
        })
        .times(1)
        .returning(move |_, _, _| Ok(Some(day.clone())));
    let slots = world.booking().free_slots(doctor.id, date!(2026 - 11 - 25)).unwrap();
    let starts: Vec<_> = slots.iter().map(|slot| slot.start).collect();
    assert_eq!(starts, vec![datetime!(2026-11-25 02:00 UTC), datetime!(2026-11-25 03:00 UTC)]);
}

#[test]
fn a_day_outside_the_calendar_has_no_slots_but_the_doctor_must_exist() {
    let doctor = doctor();
    let booking = World::new().with_doctor(doctor.clone()).booking();
    assert_eq!(booking.free_slots(doctor.id, date!(9998 - 12 - 31)), Ok(Vec::new()));
    assert_eq!(
        booking.free_slots(DoctorId::generate(), date!(9998 - 12 - 31)),
        Err(BookingError::DoctorNotFound)
    );
}

fn appointment_of(login: &PatientLogin, status: AppointmentStatus) -> Appointment {
    let slot = Slot { start: SLOT, end: SLOT + Duration::minutes(30) };
    Appointment { status, ..Appointment::book(login.id, DoctorId::generate(), slot, NOW) }
}

fn world_with(appointment: &Appointment) -> World {
    let mut world = World::new();
    let stored = appointment.clone();
    world.appointments.expect_find().returning(move |id| Ok(Some(stored.clone()).filter(|a| a.id == id)));
    world
}

#[test]
fn another_patients_appointment_is_not_found() {
    let appointment = appointment_of(&patient(), AppointmentStatus::Booked);
    let booking = world_with(&appointment).booking();
    let stranger = patient();
    assert_eq!(booking.appointment_of(stranger.id, appointment.id), Err(BookingError::AppointmentNotFound));
    assert_eq!(booking.cancel(stranger.id, appointment.id), Err(BookingError::AppointmentNotFound));
    assert_eq!(booking.appointment_of(appointment.patient_id, appointment.id), Ok(appointment));
}

#[test]
fn cancelling_moves_a_booked_appointment_to_cancelled_once() {
    let login = patient();
    let appointment = appointment_of(&login, AppointmentStatus::Booked);
    let mut world = world_with(&appointment);
    let before = appointment.clone();
    world
        .appointments
        .expect_change()
        .withf(move |c| {
            c.before == before
                && c.after.status == AppointmentStatus::Cancelled
                && c.after.version == before.version + 1
                && c.after.cancellation == Some(Cancellation { by: CancelledBy::Patient, reason: None })
                && c.message == Some(NotificationKind::Cancellation)
                && c.at == NOW
        })
        .times(1)
        .returning(|_| Ok(ChangeStored::Changed));
    let result = world.booking().cancel(login.id, appointment.id).unwrap();
    assert_eq!(result.status, AppointmentStatus::Cancelled);
}

#[test]
fn cancelling_twice_is_fine_but_a_finished_visit_cannot_be_cancelled() {
    let login = patient();
    let cancelled = appointment_of(&login, AppointmentStatus::Cancelled);
    assert_eq!(world_with(&cancelled).booking().cancel(login.id, cancelled.id), Ok(cancelled.clone()));
    let completed = appointment_of(&login, AppointmentStatus::Completed);
    assert_eq!(
        world_with(&completed).booking().cancel(login.id, completed.id),
        Err(BookingError::NotCancellable(StatusChangeRefused::Closed(AppointmentStatus::Completed)))
    );
}

#[test]
fn a_cancel_that_races_an_outcome_decides_on_the_new_status() {
    let login = patient();
    let booked = appointment_of(&login, AppointmentStatus::Booked);
    let no_show = Appointment { status: AppointmentStatus::NoShow, ..booked.clone() };
    let mut world = World::new();
    let mut reads = vec![no_show, booked.clone()];
    world.appointments.expect_find().times(2).returning(move |_| Ok(reads.pop()));
    world.appointments.expect_change().times(1).returning(|_| Ok(ChangeStored::Stale));
    assert_eq!(
        world.booking().cancel(login.id, booked.id),
        Err(BookingError::NotCancellable(StatusChangeRefused::Closed(AppointmentStatus::NoShow)))
    );
}

#[test]
fn idempotency_keys_are_short_visible_ascii() {
    assert!(IdempotencyKey::parse("order-123_ABC").is_some());
    assert!(IdempotencyKey::parse(&"k".repeat(255)).is_some());
    assert!(IdempotencyKey::parse(&"k".repeat(256)).is_none());
    assert!(IdempotencyKey::parse("").is_none());
    assert!(IdempotencyKey::parse("has space").is_none());
}

#[test]
fn keys_older_than_their_lifetime_are_forgotten() {
    let mut world = World::new();
    world
        .appointments
        .expect_forget_booking_keys()
        .withf(|before| *before == NOW - Duration::hours(24))
        .times(1)
        .returning(|_| Ok(3));
    assert_eq!(world.booking().forget_expired_keys(), Ok(3));
}

/// Wednesday 2026-11-25, 16:00 in Singapore: the doctor's 09:00 to 12:00 are over.
const WEDNESDAY_AFTERNOON: OffsetDateTime = datetime!(2026-11-25 08:00 UTC);

#[test]
fn staff_may_book_a_slot_that_started_earlier_today_for_a_walk_in() {
    let (doctor, registered) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&registered));
    world.now = WEDNESDAY_AFTERNOON;
    world.appointments.expect_book().times(1).returning(|_| Ok(BookingStored::Booked));
    let receipt = world.booking().book_for(registered.id, request(&doctor, SLOT), None).unwrap();
    assert_eq!((receipt.patient_id, receipt.scheduled_start), (registered.id, SLOT));
}

#[test]
fn a_patient_may_not_book_what_started_today_and_staff_not_what_started_yesterday() {
    let (doctor, registered) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&registered));
    // Thursday 00:30 in Singapore: Wednesday's slots are yesterday's.
    world.now = datetime!(2026-11-25 16:30 UTC);
    let in_the_past = Err(BookingError::NotBookable(NotBookable::InThePast));
    assert_eq!(world.booking().book_for(registered.id, request(&doctor, SLOT), None), in_the_past);

    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&registered));
    world.now = WEDNESDAY_AFTERNOON;
    assert_eq!(world.booking().book(&registered, request(&doctor, SLOT), None), in_the_past);
}

#[test]
fn staff_booking_follows_the_patients_rules_and_texts_the_patients_phone() {
    let (doctor, registered) = (doctor(), patient());
    let mut world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&registered));
    let asked = world.reads_asked.clone();
    world.appointments.expect_book().times(1).returning(move |booking| {
        assert_eq!(booking.confirmation.to_phone.as_ref().unwrap().as_str(), "+6591234567");
        assert_eq!(booking.key.as_ref().unwrap().patient_id, registered.id);
        Ok(BookingStored::SlotTaken)
    });
    let booking = world.booking();
    assert_eq!(
        booking.book_for(registered.id, request(&doctor, SLOT), Some(key("desk-1"))),
        Err(BookingError::SlotTaken)
    );
    assert_eq!(
        booking.book_for(registered.id, request(&doctor, SLOT + Duration::minutes(10)), None),
        Err(BookingError::NotBookable(NotBookable::NotOnSlotBoundary))
    );
    let keys: Vec<_> = asked.lock().unwrap().iter().map(|(id, key, _)| (*id, key.clone())).collect();
    assert_eq!(keys, [(registered.id, Some("desk-1".into())), (registered.id, None)]);
}

#[test]
fn staff_booking_for_an_unknown_patient_is_patient_not_found() {
    let doctor = doctor();
    let world = World::new().with_doctor(doctor.clone()).with_profile(profile_of(&patient()));
    let err = world.booking().book_for(PatientId::generate(), request(&doctor, SLOT), None).unwrap_err();
    assert_eq!(err, BookingError::PatientNotFound);
}

/// The doctor's booked appointment at SLOT, for `login`, and a world that holds both.
fn booked_with(doctor: &Doctor, login: &PatientLogin) -> (Appointment, World) {
    let slot = Slot { start: SLOT, end: SLOT + Duration::minutes(30) };
    let appointment = Appointment::book(login.id, doctor.id, slot, NOW - Duration::days(1));
    let world = world_with(&appointment).with_doctor(doctor.clone());
    (appointment, world)
}

const LATER: OffsetDateTime = datetime!(2026-11-25 03:00 UTC);

fn to(start: OffsetDateTime) -> Move {
    Move { scheduled_start: start, doctor_id: None }
}

#[test]
fn a_move_keeps_the_id_holds_the_new_slot_and_tells_the_patient() {
    let (tan, login) = (doctor(), patient());
    let (appointment, mut world) = booked_with(&tan, &login);
    let before = appointment.clone();
    world
        .appointments
        .expect_change()
        .withf(move |c| {
            c.before == before
                && c.after.id == before.id
                && (c.after.scheduled_start, c.after.scheduled_end) == (LATER, LATER + Duration::minutes(30))
                && (c.after.version, c.after.time_set_at) == (2, NOW)
                && c.message == Some(NotificationKind::Rescheduled)
        })
        .times(1)
        .returning(|_| Ok(ChangeStored::Changed));
    let moved = world.booking().reschedule(Requester::Patient(login.id), appointment.id, to(LATER)).unwrap();
    assert_eq!((moved.id, moved.scheduled_start), (appointment.id, LATER));
}

#[test]
fn moving_to_where_it_is_changes_nothing() {
    let (tan, login) = (doctor(), patient());
    let (appointment, world) = booked_with(&tan, &login);
    let unchanged = world.booking().reschedule(Requester::Staff, appointment.id, to(SLOT));
    assert_eq!(unchanged, Ok(appointment));
}

#[test]
fn only_a_booked_appointment_of_ones_own_moves_to_a_bookable_free_slot() {
    let (tan, login) = (doctor(), patient());
    let (appointment, world) = booked_with(&tan, &login);
    let booking = world.booking();
    let stranger = Requester::Patient(PatientId::generate());
    assert_eq!(
        booking.reschedule(stranger, appointment.id, to(LATER)),
        Err(BookingError::AppointmentNotFound)
    );
    assert_eq!(
        booking.reschedule(Requester::Staff, appointment.id, to(LATER + Duration::minutes(10))),
        Err(BookingError::NotBookable(NotBookable::NotOnSlotBoundary))
    );
    assert_eq!(
        booking.reschedule(Requester::Staff, appointment.id, to(NOW - Duration::hours(1))),
        Err(BookingError::NotBookable(NotBookable::InThePast))
    );
    let elsewhere = Move { scheduled_start: LATER, doctor_id: Some(DoctorId::generate()) };
    assert_eq!(
        booking.reschedule(Requester::Staff, appointment.id, elsewhere),
        Err(BookingError::DoctorNotFound)
    );

    let cancelled = Appointment { status: AppointmentStatus::Cancelled, ..appointment };
    let (_, world) = booked_with(&tan, &login);
    let world = World { appointments: world_with(&cancelled).appointments, ..world };
    assert_eq!(
        world.booking().reschedule(Requester::Staff, cancelled.id, to(LATER)),
        Err(BookingError::NotMovable(StatusChangeRefused::Closed(AppointmentStatus::Cancelled)))
    );
}

#[test]
fn a_move_onto_a_held_slot_is_refused_and_changes_nothing() {
    let (tan, login) = (doctor(), patient());
    let (appointment, mut world) = booked_with(&tan, &login);
    world.appointments.expect_change().times(1).returning(|_| Ok(ChangeStored::SlotTaken));
    assert_eq!(
        world.booking().reschedule(Requester::Staff, appointment.id, to(LATER)),
        Err(BookingError::SlotTaken)
    );
}
