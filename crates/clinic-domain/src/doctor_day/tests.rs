use time::macros::{date, datetime};

use super::*;
use crate::closure::ClosureRequest;
use crate::ids::DoctorId;
use crate::schedule::{OpeningHoursInput, ScheduleInput, WeeklySchedule};

/// Wednesday 2026-11-25 in Singapore.
const WEDNESDAY: Date = date!(2026 - 11 - 25);
/// Tuesday 16:00 in Singapore: nothing of Wednesday has started.
const TUESDAY: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

fn singapore() -> ClinicZone {
    ClinicZone::parse("Asia/Singapore").unwrap()
}

/// Dr Tan, on Wednesdays 09:00 to 12:00 in 30-minute slots, with nothing taken or closed.
fn tans_wednesday() -> DoctorDay {
    let schedule = WeeklySchedule::parse(&ScheduleInput {
        slot_minutes: 30,
        weekly: vec![OpeningHoursInput { weekday: 3, start: "09:00".into(), end: "12:00".into() }],
    })
    .unwrap();
    let doctor = Doctor { schedule, ..Doctor::new("Dr Tan", "Family medicine").unwrap() };
    DoctorDay { doctor, taken: Vec::new(), closures: Vec::new() }
}

fn closure(doctor_id: Option<DoctorId>, starts: OffsetDateTime, ends: OffsetDateTime) -> Closure {
    let reason = "Public holiday".into();
    Closure::new(&ClosureRequest { doctor_id, starts, ends, reason, cancel_booked: false }).unwrap()
}

fn free_starts(day: &DoctorDay, date: Date, now: OffsetDateTime) -> Vec<OffsetDateTime> {
    day.free_slots(date, &singapore(), now).iter().map(|slot| slot.start).collect()
}

#[test]
fn a_day_with_nothing_taken_or_closed_offers_every_slot_of_the_schedule() {
    let day = tans_wednesday();
    let slots = day.free_slots(WEDNESDAY, &singapore(), TUESDAY);
    assert_eq!(slots, day.doctor.schedule.slots_on(WEDNESDAY, &singapore()));
    assert_eq!(slots.len(), 6);
    assert!(free_starts(&day, WEDNESDAY + time::Duration::days(1), TUESDAY).is_empty(), "Thursday: closed");
}

#[test]
fn taken_slots_and_those_started_are_left_out() {
    let mut day = tans_wednesday();
    day.taken = vec![datetime!(2026-11-25 02:30 UTC)];
    // Wednesday 09:45 in Singapore: 09:00 and 09:30 have started.
    let now = datetime!(2026-11-25 01:45 UTC);
    assert_eq!(
        free_starts(&day, WEDNESDAY, now),
        vec![
            datetime!(2026-11-25 02:00 UTC),
            datetime!(2026-11-25 03:00 UTC),
            datetime!(2026-11-25 03:30 UTC)
        ]
    );
    // A slot starting this very instant has started.
    assert_eq!(
        free_starts(&day, WEDNESDAY, datetime!(2026-11-25 02:00 UTC))[0],
        datetime!(2026-11-25 03:00 UTC)
    );
}

#[test]
fn the_doctors_and_the_clinics_closures_close_slots_and_another_doctors_do_not() {
    let mut day = tans_wednesday();
    day.closures = vec![
        // 09:00 to 10:10 Singapore: the 09:00, 09:30 and 10:00 slots.
        closure(Some(day.doctor.id), datetime!(2026-11-25 01:00 UTC), datetime!(2026-11-25 02:10 UTC)),
        closure(Some(DoctorId::generate()), datetime!(2026-11-25 00:00 UTC), datetime!(2026-11-26 00:00 UTC)),
        // The whole clinic from 11:30: the last slot.
        closure(None, datetime!(2026-11-25 03:30 UTC), datetime!(2026-11-25 05:00 UTC)),
    ];
    assert_eq!(
        free_starts(&day, WEDNESDAY, TUESDAY),
        vec![datetime!(2026-11-25 02:30 UTC), datetime!(2026-11-25 03:00 UTC)],
        "10:30 and 11:00 stay open"
    );
}
