//! A doctor's weekly schedule and the slots it opens on a given day.

use time::{Date, Duration, OffsetDateTime, Time, Weekday};

use crate::clinic::{ClinicZone, instant_in_calendar};
use crate::validation::FieldErrors;

/// Minutes per appointment, 5 to 240.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotLength(u16);

impl SlotLength {
    pub const MIN: u16 = 5;
    pub const MAX: u16 = 240;
    pub const DEFAULT: Self = Self(15);

    pub fn from_minutes(minutes: i64) -> Option<Self> {
        u16::try_from(minutes).ok().filter(|m| (Self::MIN..=Self::MAX).contains(m)).map(Self)
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn duration(self) -> Duration {
        Duration::minutes(i64::from(self.0))
    }
}

/// One opening on one weekday, clinic-local wall clock: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    pub weekday: Weekday,
    pub start: Time,
    pub end: Time,
}

/// The schedule as a client sends it: ISO weekdays (Monday = 1) and `HH:MM` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInput {
    pub slot_minutes: i64,
    pub weekly: Vec<OpeningHoursInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHoursInput {
    pub weekday: i64,
    pub start: String,
    pub end: String,
}

/// A valid weekly schedule: openings sorted by weekday and start, none overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklySchedule {
    slot_length: SlotLength,
    hours: Vec<OpeningHours>,
}

/// One bookable interval, as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

/// Why an instant is not a slot of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotASlot {
    /// No opening covers that wall-clock time.
    OutsideSchedule,
    /// Inside an opening, but not where a slot starts.
    NotOnSlotBoundary,
}

impl WeeklySchedule {
    /// No openings: a new doctor takes no bookings until staff give it a schedule.
    pub fn closed(slot_length: SlotLength) -> Self {
        Self { slot_length, hours: Vec::new() }
    }

    /// Checks a schedule a client sent; every problem is reported against its field.
    pub fn parse(input: &ScheduleInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let slot_length = SlotLength::from_minutes(input.slot_minutes);
        if slot_length.is_none() {
            errors
                .add("slot_minutes", format!("must be between {} and {}", SlotLength::MIN, SlotLength::MAX));
        }
        let mut hours = Vec::with_capacity(input.weekly.len());
        for (i, opening) in input.weekly.iter().enumerate() {
            let field = |name: &str| format!("weekly[{i}].{name}");
            let weekday = iso_weekday(opening.weekday);
            if weekday.is_none() {
                errors.add(field("weekday"), "must be 1 (Monday) to 7 (Sunday)");
            }
            let start = parse_clock_time(&opening.start);
            if start.is_none() {
                errors.add(field("start"), "must be a time HH:MM");
            }
            let end = parse_clock_time(&opening.end);
            if end.is_none() {
                errors.add(field("end"), "must be a time HH:MM");
            }
            if let (Some(weekday), Some(start), Some(end)) = (weekday, start, end) {
                if start < end {
                    hours.push((i, OpeningHours { weekday, start, end }));
                } else {
                    errors.add(field("end"), "must be after start");
                }
            }
        }
        hours.sort_by_key(|(_, h)| (h.weekday.number_from_monday(), h.start));
        for pair in hours.windows(2) {
            let ((i, earlier), (j, later)) = (&pair[0], &pair[1]);
            if earlier.weekday == later.weekday && later.start < earlier.end {
                let (first, second) = ((*i).min(*j), (*i).max(*j));
                errors.add(format!("weekly[{second}]"), format!("overlaps weekly[{first}]"));
            }
        }
        let hours = hours.into_iter().map(|(_, h)| h).collect();
        match slot_length {
            Some(slot_length) if errors.is_empty() => Ok(Self { slot_length, hours }),
            _ => Err(errors),
        }
    }

    /// Rebuilds a stored schedule; `None` if the stored data breaks the rules.
    pub fn from_parts(slot_length: SlotLength, mut hours: Vec<OpeningHours>) -> Option<Self> {
        hours.sort_by_key(|h| (h.weekday.number_from_monday(), h.start));
        let valid = hours.iter().all(|h| h.start < h.end)
            && hours.windows(2).all(|w| w[0].weekday != w[1].weekday || w[0].end <= w[1].start);
        valid.then_some(Self { slot_length, hours })
    }

    pub fn slot_length(&self) -> SlotLength {
        self.slot_length
    }

    pub fn hours(&self) -> &[OpeningHours] {
        &self.hours
    }

    /// Every slot of a clinic-local day, in order and never overlapping. A slot whose
    /// wall-clock start is skipped by a DST change does not exist that day.
    pub fn slots_on(&self, date: Date, zone: &ClinicZone) -> Vec<Slot> {
        if zone.day(date).is_none() {
            return Vec::new();
        }
        let length = self.slot_length.duration();
        let mut slots: Vec<Slot> = Vec::new();
        for start in self.wall_clock_starts(date.weekday()).filter_map(|start| zone.instant_at(date, start)) {
            // Past a skipped hour the wall clock jumps ahead of real time: a slot that
            // would begin before the previous one ends is not offered.
            if slots.last().is_none_or(|previous| start >= previous.end) {
                slots.push(Slot { start, end: start + length });
            }
        }
        slots
    }

    /// The slot that starts at `start`, or why there is none.
    pub fn slot_starting_at(&self, start: OffsetDateTime, zone: &ClinicZone) -> Result<Slot, NotASlot> {
        // A day either side of the instant must be in the calendar for its local time to exist.
        if !instant_in_calendar(start) {
            return Err(NotASlot::OutsideSchedule);
        }
        let local = zone.local(start);
        if let Some(slot) = self.slots_on(local.date(), zone).into_iter().find(|s| s.start == start) {
            return Ok(slot);
        }
        let inside_opening = self
            .hours
            .iter()
            .any(|h| h.weekday == local.weekday() && h.start <= local.time() && local.time() < h.end);
        if inside_opening { Err(NotASlot::NotOnSlotBoundary) } else { Err(NotASlot::OutsideSchedule) }
    }

    /// Wall-clock starts of the slots on a weekday: each opening is cut into whole slots.
    fn wall_clock_starts(&self, weekday: Weekday) -> impl Iterator<Item = Time> + '_ {
        let step = usize::from(self.slot_length.minutes());
        self.hours
            .iter()
            .filter(move |h| h.weekday == weekday)
            .flat_map(move |h| {
                let (open, close) = (minutes_of_day(h.start), minutes_of_day(h.end));
                (open..close).step_by(step).take_while(move |m| m + self.slot_length.minutes() <= close)
            })
            .filter_map(|m| Time::from_hms((m / 60) as u8, (m % 60) as u8, 0).ok())
    }
}

/// ISO weekday number: Monday = 1 … Sunday = 7.
pub fn iso_weekday(number: i64) -> Option<Weekday> {
    let offset = u8::try_from(number).ok().filter(|n| (1..=7).contains(n))?;
    Some(Weekday::Monday.nth_next(offset - 1))
}

/// `HH:MM`, 00:00 to 23:59.
pub fn parse_clock_time(text: &str) -> Option<Time> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return None;
    }
    Time::from_hms(hours.parse().ok()?, minutes.parse().ok()?, 0).ok()
}

/// `HH:MM` for a wall-clock time.
pub fn format_clock_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

fn minutes_of_day(time: Time) -> u16 {
    u16::from(time.hour()) * 60 + u16::from(time.minute())
}

#[cfg(test)]
mod tests;
