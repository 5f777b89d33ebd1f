//! Picking a time, for a booking or a move: a day (today onward, in the clinic's zone),
//! then one of its free slots. Every step is a link or a GET form, so the back button and
//! the keyboard (Tab, Enter) do what people expect.

use clinic_domain::clinic::ClinicZone;
use clinic_domain::schedule::Slot;
use maud::{Markup, html};
use time::{Date, OffsetDateTime};

use crate::form::{Field, Problems};
use crate::link::href;
use crate::when;

/// The day picker of one page: the page it reloads and what its links keep.
pub struct DayPicker<'a> {
    /// The page showing the day (`/`, `/appointments/{id}/move`).
    pub path: &'a str,
    /// Query parameters every link keeps (the doctor).
    pub keep: &'a [(&'a str, &'a str)],
    pub day: Date,
    /// The clinic's today: no earlier day is offered.
    pub today: Date,
    /// What is wrong with the day asked for.
    pub problems: &'a Problems,
}

impl DayPicker<'_> {
    /// This page at `day`, with `slot` picked.
    pub fn link(&self, day: Date, slot: Option<OffsetDateTime>) -> String {
        let (day, slot) = (when::iso_day(day), slot.map(when::iso_instant));
        let mut params = self.keep.to_vec();
        params.push(("day", &day));
        if let Some(slot) = &slot {
            params.push(("slot", slot));
        }
        href(self.path, &params)
    }

    /// A date field with "Show free times", and the day before and after as links.
    pub fn render(&self) -> Markup {
        let (day, today) = (when::iso_day(self.day), when::iso_day(self.today));
        let field = Field::new("day", "Day", "date").value(&day).min(&today).hint("Today or later");
        let earlier = self.day.previous_day().filter(|earlier| *earlier >= self.today);
        let later = self.day.next_day();
        html! {
            form.day method="get" action=(self.path) {
                @for (name, value) in self.keep { input type="hidden" name=(name) value=(value); }
                (field.render(self.problems))
                button.secondary type="submit" { "Show free times" }
            }
            nav.days aria-label="Other days" {
                @if let Some(earlier) = earlier {
                    a href=(self.link(earlier, None)) { "← " (when::day(earlier)) }
                }
                @if let Some(later) = later {
                    a href=(self.link(later, None)) { (when::day(later)) " →" }
                }
            }
        }
    }
}

/// The day's free slots as links (`href` of each), the `picked` one marked.
pub fn slot_list(
    zone: &ClinicZone,
    day: Date,
    slots: &[Slot],
    picked: Option<OffsetDateTime>,
    href: impl Fn(&Slot) -> String,
) -> Markup {
    html! {
        h2 #times { "Free times on " (when::day(day)) }
        @if slots.is_empty() {
            p { "No free times on this day. Please try another day." }
        } @else {
            ul.plain.slots aria-labelledby="times" {
                @for slot in slots {
                    @let current = picked == Some(slot.start);
                    li {
                        a.button.secondary[!current] href=(href(slot)) aria-current=[current.then_some("true")] {
                            (when::time_of_day(zone, slot.start))
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn the_picker_offers_no_day_before_today_and_keeps_the_doctor() {
        let none = Problems::new();
        let keep = [("doctor", "d1")];
        let picker = DayPicker {
            path: "/",
            keep: &keep,
            day: date!(2026 - 11 - 24),
            today: date!(2026 - 11 - 24),
            problems: &none,
        };
        let html = picker.render().into_string();
        assert!(html.contains(r#"min="2026-11-24""#), "{html}");
        assert!(html.contains(r#"href="/?doctor=d1&amp;day=2026-11-25""#), "{html}");
        assert!(!html.contains("day=2026-11-23"), "{html}");
        assert_eq!(
            picker.link(date!(2026 - 11 - 25), Some(datetime!(2026-11-25 01:30 UTC))),
            "/?doctor=d1&day=2026-11-25&slot=2026-11-25T01:30:00Z"
        );
    }
}
