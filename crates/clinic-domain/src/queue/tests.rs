use time::macros::{date, datetime};

use super::*;

pub(crate) fn ticket(number: u32, doctor: Option<DoctorId>, status: TicketStatus) -> Ticket {
    Ticket {
        id: TicketId::generate(),
        day: date!(2026 - 11 - 25),
        number,
        patient_id: PatientId::generate(),
        patient_name: format!("Visitor {number}"),
        patient_phone: None,
        doctor_id: doctor,
        status,
        status_token: status_token(),
        room: None,
        calls: 0,
        issued_position: number,
        issued_at: datetime!(2026-11-25 01:00 UTC),
    }
}

#[test]
fn waiting_tickets_are_placed_in_their_doctors_line_by_number() {
    let tan = Some(DoctorId::generate());
    let tickets = [
        ticket(1, None, TicketStatus::Called),
        ticket(2, tan, TicketStatus::Waiting),
        ticket(3, None, TicketStatus::Waiting),
        ticket(4, tan, TicketStatus::Left),
        ticket(5, tan, TicketStatus::Waiting),
        ticket(6, None, TicketStatus::Waiting),
    ];
    assert_eq!(positions(&tickets), [None, Some(1), Some(1), None, Some(2), Some(2)]);
}

#[test]
fn the_wait_is_the_position_times_the_median_serve_time_else_ten_minutes() {
    let minutes = |m: i64| Duration::minutes(m);
    assert_eq!(serve_time(&[]), DEFAULT_SERVE_TIME);
    assert_eq!(serve_time(&[minutes(30), minutes(4), minutes(6)]), minutes(6));
    assert_eq!(serve_time(&[minutes(8), minutes(4), minutes(6), minutes(30)]), minutes(7));
    assert_eq!(estimated_wait_minutes(3, DEFAULT_SERVE_TIME), 30);
    assert_eq!(estimated_wait_minutes(2, Duration::seconds(301)), 11, "rounded up");
    assert_eq!(estimated_wait_minutes(1, Duration::ZERO), 0);
}

#[test]
fn the_nth_in_line_alert_is_owed_to_a_waiting_ticket_issued_behind_that_place() {
    let behind = Ticket { issued_position: 5, ..ticket(5, None, TicketStatus::Waiting) };
    assert!(behind.owed_ahead_alert(Some(3), 3));
    assert!(behind.owed_ahead_alert(Some(1), 3), "two ahead left at once: still told");
    assert!(!behind.owed_ahead_alert(Some(4), 3));
    let at_the_desk = Ticket { issued_position: 3, ..ticket(3, None, TicketStatus::Waiting) };
    assert!(!at_the_desk.owed_ahead_alert(Some(3), 3));
    let called = Ticket { issued_position: 5, ..ticket(5, None, TicketStatus::Called) };
    assert!(!called.owed_ahead_alert(None, 3));
}

#[test]
fn a_status_token_is_64_hex_digits_and_fresh_each_time() {
    let token = status_token();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(token, status_token());
}

#[test]
fn a_queue_alert_goes_only_while_it_is_still_true() {
    let phone = PhoneNumber::parse("+6591234567").unwrap();
    let to = |status, calls, call, opt_in| TicketNow { status, calls, call }.recipient(Some(&phone), opt_in);
    assert_eq!(to(TicketStatus::Waiting, 0, 0, true), Ok(&phone));
    assert_eq!(to(TicketStatus::Called, 1, 0, true), Err(SkipReason::TicketMovedOn));
    assert_eq!(to(TicketStatus::Called, 2, 2, true), Ok(&phone));
    assert_eq!(to(TicketStatus::Called, 2, 1, true), Err(SkipReason::TicketMovedOn));
    assert_eq!(to(TicketStatus::Served, 1, 1, true), Err(SkipReason::TicketMovedOn));
    assert_eq!(to(TicketStatus::Waiting, 0, 0, false), Err(SkipReason::OptedOut));
    let none = TicketNow { status: TicketStatus::Waiting, calls: 0, call: 0 }.recipient(None, true);
    assert_eq!(none, Err(SkipReason::NoPhone));
    assert_eq!(SkipReason::TicketMovedOn.describe(), "ticket called, served or gone");
}
