//! The reception desk: today's visits, the queue, the inbox; a clock in the clinic's zone.

use clinic_domain::clinic::ClinicZone;
use maud::{Markup, html};
use time::OffsetDateTime;

use crate::layout::{Frame, page};
use crate::when;

/// The desk's day.
pub fn today(frame: &Frame<'_>, zone: &ClinicZone, now: OffsetDateTime) -> Markup {
    page(
        frame,
        html! {
            h1 { "Today, " (when::day(zone.local_date(now))) }
            p { "Clinic time " span.clock data-clock data-zone=(zone.name()) { (when::time_of_day(zone, now)) } }
        },
    )
}
