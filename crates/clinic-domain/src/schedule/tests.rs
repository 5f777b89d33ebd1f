use time::macros::{date, datetime, time};

use super::*;

fn input(slot_minutes: i64, weekly: &[(i64, &str, &str)]) -> ScheduleInput {
    ScheduleInput {
        slot_minutes,
        weekly: weekly
            .iter()
            .map(|&(weekday, start, end)| OpeningHoursInput { weekday, start: start.into(), end: end.into() })
            .collect(),
    }
}

fn singapore() -> ClinicZone {
    ClinicZone::parse("Asia/Singapore").unwrap()
}

fn errors_of(input: &ScheduleInput) -> Vec<(String, String)> {
    let errors = WeeklySchedule::parse(input).unwrap_err();
    errors.fields().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn a_valid_schedule_is_sorted_by_weekday_and_start() {
    let schedule = WeeklySchedule::parse(&input(
        30,
        &[(2, "14:00", "17:00"), (1, "09:00", "12:00"), (2, "09:00", "12:00")],
    ))
    .unwrap();
    let hours: Vec<_> = schedule.hours().iter().map(|h| (h.weekday, h.start)).collect();
    assert_eq!(
        hours,
        vec![
            (Weekday::Monday, time!(09:00)),
            (Weekday::Tuesday, time!(09:00)),
            (Weekday::Tuesday, time!(14:00)),
        ]
    );
    assert_eq!(schedule.slot_length().minutes(), 30);
}

#[test]
fn slot_minutes_must_be_between_5_and_240() {
    for bad in [0, 4, 241, -15] {
        assert_eq!(errors_of(&input(bad, &[]))[0].0, "slot_minutes");
    }
    for good in [5, 240] {
        assert!(WeeklySchedule::parse(&input(good, &[])).is_ok());
    }
}

#[test]
fn weekdays_are_iso_numbers_1_to_7() {
    assert_eq!(errors_of(&input(15, &[(0, "09:00", "10:00")]))[0].0, "weekly[0].weekday");
    assert_eq!(errors_of(&input(15, &[(8, "09:00", "10:00")]))[0].0, "weekly[0].weekday");
    assert_eq!(iso_weekday(1), Some(Weekday::Monday));
    assert_eq!(iso_weekday(7), Some(Weekday::Sunday));
}

#[test]
fn times_must_be_hh_mm() {
    for bad in ["9:00", "09:0", "24:00", "12:60", "noon", "+9:00", "09:00:00", ""] {
        let errors = errors_of(&input(15, &[(1, bad, "23:00")]));
        assert_eq!(errors, vec![("weekly[0].start".into(), "must be a time HH:MM".into())], "{bad}");
    }
    assert_eq!(parse_clock_time("23:59"), Some(time!(23:59)));
    assert_eq!(format_clock_time(time!(07:05)), "07:05");
}

#[test]
fn an_opening_must_start_before_it_ends() {
    assert_eq!(
        errors_of(&input(15, &[(1, "12:00", "09:00")])),
        vec![("weekly[0].end".into(), "must be after start".into())]
    );
    assert_eq!(errors_of(&input(15, &[(1, "09:00", "09:00")]))[0].0, "weekly[0].end");
}

#[test]
fn overlapping_openings_on_one_day_are_rejected_but_touching_ones_are_not() {
    assert_eq!(
        errors_of(&input(15, &[(1, "09:00", "12:00"), (1, "11:30", "13:00")])),
        vec![("weekly[1]".into(), "overlaps weekly[0]".into())]
    );
    assert!(WeeklySchedule::parse(&input(15, &[(1, "09:00", "12:00"), (1, "12:00", "13:00")])).is_ok());
    assert!(WeeklySchedule::parse(&input(15, &[(1, "09:00", "12:00"), (2, "09:00", "12:00")])).is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = errors_of(&input(1, &[(9, "x", "09:00"), (1, "10:00", "09:00")]));
    let fields: Vec<_> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(fields, vec!["slot_minutes", "weekly[0].start", "weekly[0].weekday", "weekly[1].end"]);
}

#[test]
fn an_opening_is_cut_into_whole_slots() {
    let schedule = WeeklySchedule::parse(&input(30, &[(3, "09:00", "10:45")])).unwrap();
    // 2026-11-25 is a Wednesday; Singapore is UTC+8 all year.
    let slots = schedule.slots_on(date!(2026 - 11 - 25), &singapore());
    assert_eq!(
        slots,
        vec![
            Slot { start: datetime!(2026-11-25 01:00 UTC), end: datetime!(2026-11-25 01:30 UTC) },
            Slot { start: datetime!(2026-11-25 01:30 UTC), end: datetime!(2026-11-25 02:00 UTC) },
            Slot { start: datetime!(2026-11-25 02:00 UTC), end: datetime!(2026-11-25 02:30 UTC) },
        ]
    );
    assert!(schedule.slots_on(date!(2026 - 11 - 26), &singapore()).is_empty());
}

#[test]
fn slots_follow_the_wall_clock_across_daylight_saving_changes() {
    let zone = ClinicZone::parse("America/New_York").unwrap();
    let schedule =
        WeeklySchedule::parse(&input(60, &[(7, "01:00", "04:00"), (6, "09:00", "10:00")])).unwrap();
    // Spring forward, Sunday 2026-03-08: 02:00 does not exist.
    let spring: Vec<_> = schedule.slots_on(date!(2026 - 03 - 08), &zone).iter().map(|s| s.start).collect();
    assert_eq!(spring, vec![datetime!(2026-03-08 06:00 UTC), datetime!(2026-03-08 07:00 UTC)]);
    // Fall back, Sunday 2026-11-01: 01:00 happens twice; the slot is the first one.
    let fall: Vec<_> = schedule.slots_on(date!(2026 - 11 - 01), &zone).iter().map(|s| s.start).collect();
    assert_eq!(
        fall,
        vec![
            datetime!(2026-11-01 05:00 UTC),
            datetime!(2026-11-01 07:00 UTC),
            datetime!(2026-11-01 08:00 UTC)
        ]
    );
    // Saturdays either side of the change: same wall clock, different instants.
    assert_eq!(schedule.slots_on(date!(2026 - 03 - 07), &zone)[0].start, datetime!(2026-03-07 14:00 UTC));
    assert_eq!(schedule.slots_on(date!(2026 - 03 - 14), &zone)[0].start, datetime!(2026-03-14 13:00 UTC));
}

#[test]
fn an_instant_is_a_slot_only_on_a_boundary_inside_an_opening() {
    let zone = singapore();
    let schedule = WeeklySchedule::parse(&input(15, &[(3, "09:00", "12:00")])).unwrap();
    let slot = schedule.slot_starting_at(datetime!(2026-11-25 01:15 UTC), &zone).unwrap();
    assert_eq!(slot.end, datetime!(2026-11-25 01:30 UTC));
    assert_eq!(
        schedule.slot_starting_at(datetime!(2026-11-25 01:10 UTC), &zone),
        Err(NotASlot::NotOnSlotBoundary)
    );
    assert_eq!(
        schedule.slot_starting_at(datetime!(2026-11-25 01:15:30 UTC), &zone),
        Err(NotASlot::NotOnSlotBoundary)
    );
    assert_eq!(
        schedule.slot_starting_at(datetime!(2026-11-25 04:00 UTC), &zone),
        Err(NotASlot::OutsideSchedule)
    );
    assert_eq!(
        schedule.slot_starting_at(datetime!(2026-11-26 01:15 UTC), &zone),
        Err(NotASlot::OutsideSchedule)
    );
}

#[test]
fn the_second_pass_of_a_repeated_hour_is_not_a_slot() {
    let zone = ClinicZone::parse("America/New_York").unwrap();
    let schedule = WeeklySchedule::parse(&input(60, &[(7, "01:00", "02:00")])).unwrap();
    assert!(schedule.slot_starting_at(datetime!(2026-11-01 05:00 UTC), &zone).is_ok());
    assert!(schedule.slot_starting_at(datetime!(2026-11-01 06:00 UTC), &zone).is_err());
}

#[test]
fn stored_schedules_are_rebuilt_only_when_valid() {
    let opening = |start, end| OpeningHours { weekday: Weekday::Monday, start, end };
    assert!(
        WeeklySchedule::from_parts(SlotLength::DEFAULT, vec![opening(time!(09:00), time!(12:00))]).is_some()
    );
    assert!(
        WeeklySchedule::from_parts(SlotLength::DEFAULT, vec![opening(time!(12:00), time!(09:00))]).is_none()
    );
    assert!(
        WeeklySchedule::from_parts(
            SlotLength::DEFAULT,
            vec![opening(time!(09:00), time!(12:00)), opening(time!(11:00), time!(13:00))]
        )
        .is_none()
    );
}

#[test]
fn slots_never_overlap_when_the_clocks_spring_forward_inside_an_opening() {
    let zone = ClinicZone::parse("America/New_York").unwrap();
    let schedule = WeeklySchedule::parse(&input(45, &[(7, "01:00", "04:00")])).unwrap();
    // 01:00 and 01:45 EST, then 02:30 does not exist and 03:15 EDT (07:15Z) would begin
    // before 01:45 EST (06:45Z) ends at 07:30Z.
    let slots = schedule.slots_on(date!(2026 - 03 - 08), &zone);
    let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    assert_eq!(starts, vec![datetime!(2026-03-08 06:00 UTC), datetime!(2026-03-08 06:45 UTC)]);
    assert!(slots.windows(2).all(|w| w[1].start >= w[0].end));
    assert!(schedule.slot_starting_at(datetime!(2026-03-08 07:15 UTC), &zone).is_err());
}
