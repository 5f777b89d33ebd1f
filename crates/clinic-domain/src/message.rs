//! The texts patients receive, and what they cost in SMS segments.
//!
//! Templates are plain GSM-7 (no emoji, no curly quotes) so a message fits 160
//! characters a segment instead of UCS-2's 70. They carry no reason for the visit:
//! a text on a lock screen says no more than it must.

use time::OffsetDateTime;
use time::macros::format_description;

use crate::clinic::Clinic;

/// `Gabriel Family Clinic: appointment confirmed with Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out.`
pub fn confirmation(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: appointment confirmed with {} on {}. Reply STOP to opt out.",
        clinic.name,
        doctor_name,
        visit_time(clinic, start)
    )
}

/// `Gabriel Family Clinic: reminder, you see Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out.`
pub fn reminder(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: reminder, you see {} on {}. Reply STOP to opt out.",
        clinic.name,
        doctor_name,
        visit_time(clinic, start)
    )
}

/// `Gabriel Family Clinic: your appointment is moved to Thu 26 Nov 2026, 10:00 with Dr Tan. Reply STOP to opt out.`
pub fn rescheduled(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: your appointment is moved to {} with {}. Reply STOP to opt out.",
        clinic.name,
        visit_time(clinic, start),
        doctor_name
    )
}

/// The patient's own cancel, acknowledged:
/// `Gabriel Family Clinic: your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled, as you asked. Reply STOP to opt out.`
pub fn cancelled_as_asked(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: your appointment with {} on {} is cancelled, as you asked. Reply STOP to opt out.",
        clinic.name,
        doctor_name,
        visit_time(clinic, start)
    )
}

/// The clinic's cancel, with its reason:
/// `Gabriel Family Clinic: sorry, your appointment with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled (Doctor unwell). Please call us to book again. Reply STOP to opt out.`
pub fn cancelled_by_clinic(
    clinic: &Clinic,
    doctor_name: &str,
    start: OffsetDateTime,
    reason: Option<&str>,
) -> String {
    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    format!(
        "{}: sorry, your appointment with {} on {} is cancelled{}. Please call us to book again. Reply STOP to opt out.",
        clinic.name,
        doctor_name,
        visit_time(clinic, start),
        reason
    )
}

/// A reminder's last line when patients may answer it (`REPLIES=on`).
pub const REPLY_INVITATION: &str = "Reply C to confirm or X to cancel.";

/// The text, inviting a reply: `... Reply STOP to opt out. Reply C to confirm or X to cancel.`
pub fn inviting_replies(text: &str) -> String {
    format!("{text} {REPLY_INVITATION}")
}

/// The answer to a confirming reply:
/// `Gabriel Family Clinic: thank you, see you on Wed 25 Nov 2026, 09:30 with Dr Tan.`
pub fn reply_confirmed(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!("{}: thank you, see you on {} with {}.", clinic.name, visit_time(clinic, start), doctor_name)
}

/// The answer to a reply about a visit cancelled before it came.
pub fn reply_already_cancelled(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: your appointment with {} on {} was already cancelled. We have passed your message to the clinic.",
        clinic.name,
        doctor_name,
        visit_time(clinic, start)
    )
}

/// The answer to a reply about a visit moved since its reminder.
pub fn reply_moved(clinic: &Clinic, doctor_name: &str, start: OffsetDateTime) -> String {
    format!(
        "{}: your appointment is now on {} with {}. We have passed your message to the clinic.",
        clinic.name,
        visit_time(clinic, start),
        doctor_name
    )
}

/// The answer to any other text: it is in the staff inbox.
pub fn reply_passed_on(clinic: &Clinic) -> String {
    format!(
        "{}: thank you, we have passed your message to the clinic. For anything urgent, please call us.",
        clinic.name
    )
}

/// A walk-in is called in: `Gabriel Family Clinic: ticket A012, please come to Room 3 now.`
pub fn queue_called(clinic: &Clinic, ticket: &str, room: &str) -> String {
    format!("{}: ticket {ticket}, please come to {room} now.", clinic.name)
}

/// A walk-in is near the front:
/// `Gabriel Family Clinic: ticket A012, you are 3rd in line, about 15 minutes. Reply STOP to opt out.`
pub fn queue_ahead(clinic: &Clinic, ticket: &str, position: u32, minutes: u32) -> String {
    format!(
        "{}: ticket {ticket}, you are {} in line, about {minutes} minutes. Reply STOP to opt out.",
        clinic.name,
        ordinal(position)
    )
}

/// `1st`, `2nd`, `3rd`, `4th`, ..., `11th`, `21st`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The answer to HELP or INFO.
pub fn help(clinic: &Clinic) -> String {
    format!("{}: appointment messages. Reply STOP to opt out, START to opt back in.", clinic.name)
}

/// `Wed 25 Nov 2026, 09:30` on the clinic's wall clock.
fn visit_time(clinic: &Clinic, start: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short] [day padding:none] [month repr:short] [year], [hour]:[minute]"
    );
    clinic.zone.local(start).format(&format).unwrap_or_else(|_| start.to_string())
}

/// How many SMS segments a text takes: GSM-7 fits 160 septets in one segment and 153 a
/// segment when split; anything outside GSM-7 turns the whole text into UCS-2, 70 and 67.
pub fn sms_segments(text: &str) -> u32 {
    let (units, single, multi) = match gsm7_septets(text) {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    let segments = if units <= single { 1 } else { units.div_ceil(multi) };
    u32::try_from(segments).unwrap_or(u32::MAX)
}

/// Septets the text takes in GSM-7 (extension characters take two), or `None` when a
/// character is not in GSM-7 at all.
fn gsm7_septets(text: &str) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "^{}\\[~]|€\u{c}";
    text.chars().try_fold(0, |septets, c| {
        if BASIC.contains(c) {
            Some(septets + 1)
        } else if EXTENSION.contains(c) {
            Some(septets + 2)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::clinic::ClinicZone;

    fn clinic(zone: &str) -> Clinic {
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse(zone).unwrap() }
    }

    #[test]
    fn queue_alerts_name_the_ticket_the_room_or_the_place_in_line_in_one_segment() {
        let clinic = clinic("Asia/Singapore");
        assert_eq!(
            queue_called(&clinic, "A012", "Room 3"),
            "Gabriel Family Clinic: ticket A012, please come to Room 3 now."
        );
        let ahead = queue_ahead(&clinic, "A012", 3, 15);
        assert_eq!(
            ahead,
            "Gabriel Family Clinic: ticket A012, you are 3rd in line, about 15 minutes. Reply STOP to opt out."
        );
        assert_eq!(sms_segments(&ahead), 1);
        let places: Vec<String> = [1, 2, 4, 11, 12, 13, 21, 22, 23].into_iter().map(ordinal).collect();
        assert_eq!(places, ["1st", "2nd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]);
    }

    #[test]
    fn a_confirmation_names_clinic_doctor_and_local_time() {
        let text = confirmation(&clinic("Asia/Singapore"), "Dr Tan", datetime!(2026-11-25 01:30 UTC));
        assert_eq!(
            text,
            "Gabriel Family Clinic: appointment confirmed with Dr Tan on Wed 25 Nov 2026, 09:30. Reply STOP to opt out."
        );
        assert_eq!(sms_segments(&text), 1);
        assert!(gsm7_septets(&text).is_some());
    }

    #[test]
    fn message_times_follow_daylight_saving_time() {
        let new_york = clinic("America/New_York");
        assert!(
            reminder(&new_york, "Dr Lee", datetime!(2026-03-08 13:00 UTC)).contains("Sun 8 Mar 2026, 09:00")
        );
        assert!(
            reminder(&new_york, "Dr Lee", datetime!(2026-11-01 14:00 UTC)).contains("Sun 1 Nov 2026, 09:00")
        );
    }

    #[test]
    fn every_template_is_gsm7_and_one_segment() {
        let clinic = clinic("Asia/Singapore");
        let start = datetime!(2026-11-25 01:30 UTC);
        for text in
            [confirmation(&clinic, "Dr Tan", start), reminder(&clinic, "Dr Tan", start), help(&clinic)]
        {
            assert!(gsm7_septets(&text).is_some(), "{text}");
            assert_eq!(sms_segments(&text), 1, "{text}");
        }
    }

    #[test]
    fn a_reminder_inviting_replies_stays_one_segment_for_the_demo_doctors() {
        let clinic = clinic("Asia/Singapore");
        let start = datetime!(2026-11-25 01:30 UTC);
        for doctor in ["Dr Tan Wei Ming", "Dr Sarah Lim"] {
            let text = inviting_replies(&reminder(&clinic, doctor, start));
            assert!(text.ends_with("Reply C to confirm or X to cancel."), "{text}");
            assert_eq!(sms_segments(&text), 1, "{text}");
        }
        for text in [
            reply_confirmed(&clinic, "Dr Tan Wei Ming", start),
            reply_already_cancelled(&clinic, "Dr Tan Wei Ming", start),
            reply_moved(&clinic, "Dr Tan Wei Ming", start),
            reply_passed_on(&clinic),
        ] {
            assert!(gsm7_septets(&text).is_some(), "{text}");
        }
    }

    #[test]
    fn segments_are_counted_per_encoding() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        // Extension characters take two septets.
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        // One character outside GSM-7 makes the whole text UCS-2.
        assert_eq!(sms_segments(&format!("{}😀", "a".repeat(60))), 1);
        assert_eq!(sms_segments(&format!("{}王", "a".repeat(70))), 2);
    }
}
