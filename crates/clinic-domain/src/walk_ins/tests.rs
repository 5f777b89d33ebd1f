use std::sync::Mutex;

use time::OffsetDateTime;
use time::macros::{date, datetime};

use super::*;
use crate::clinic::ClinicZone;
use crate::patient::{Channel, PatientProfile};
use crate::phone::PhoneNumber;
use crate::ports::{
    ManualClock, MockDoctorRepository, MockPatientRecordRepository, MockPatientRepository,
    MockQueueRepository,
};
use crate::queue::tests::ticket;

/// 09:00 on Wed 25 Nov 2026 in Singapore.
const NOW: OffsetDateTime = datetime!(2026-11-25 01:00 UTC);
const TODAY: Date = date!(2026 - 11 - 25);

fn walk_ins(queue: MockQueueRepository, records: MockPatientRecordRepository) -> WalkIns {
    walk_ins_knowing(queue, records, MockPatientRepository::new())
}

fn walk_ins_knowing(
    queue: MockQueueRepository,
    records: MockPatientRecordRepository,
    patients: MockPatientRepository,
) -> WalkIns {
    WalkIns::new(
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() },
        Arc::new(queue),
        Arc::new(patients),
        Arc::new(records),
        Arc::new(MockDoctorRepository::new()),
        Arc::new(ManualClock::new(NOW)),
        3,
    )
}

/// A queue whose day is `tickets` and whose serve times are `minutes`, remembering the
/// alerts it is asked to store.
fn queue_of(
    tickets: Vec<Ticket>,
    minutes: Vec<i64>,
    alerts: Arc<Mutex<Vec<QueueAlert>>>,
) -> MockQueueRepository {
    let mut queue = MockQueueRepository::new();
    let by_id = tickets.clone();
    queue.expect_find().returning(move |id| Ok(by_id.iter().find(|t| t.id == id).cloned()));
    queue.expect_day().returning(move |_| Ok(tickets.clone()));
    queue
        .expect_serve_times()
        .returning(move |_, _| Ok(minutes.iter().map(|m| time::Duration::minutes(*m)).collect()));
    queue.expect_enqueue_alerts().returning(move |new| {
        alerts.lock().unwrap().extend_from_slice(new);
        Ok(new.len() as u64)
    });
    queue
}

fn line(statuses: &[TicketStatus]) -> Vec<Ticket> {
    statuses.iter().enumerate().map(|(i, s)| ticket(i as u32 + 1, None, *s)).collect()
}

#[test]
fn a_walk_in_by_name_and_phone_becomes_a_patient_and_gets_the_days_ticket_with_its_wait() {
    let mut records = MockPatientRecordRepository::new();
    let existing = PatientId::generate();
    records.expect_register().times(1).returning(move |_, _| Ok(Registered::PhoneTaken(existing)));
    let issued = Arc::new(Mutex::new(None));
    let mut queue = MockQueueRepository::new();
    let seen = issued.clone();
    queue.expect_issue().times(1).returning(move |new: &NewTicket| {
        *seen.lock().unwrap() = Some(new.clone());
        let mut t = ticket(2, None, TicketStatus::Waiting);
        (t.id, t.patient_id, t.day, t.status_token) =
            (new.id, new.patient_id, new.day, new.status_token.clone());
        Ok(t)
    });
    let first = ticket(1, None, TicketStatus::Waiting);
    let seen = issued.clone();
    queue.expect_day().returning(move |day| {
        let new = seen.lock().unwrap().clone().unwrap();
        assert_eq!(day, new.day);
        let mut t = ticket(2, None, TicketStatus::Waiting);
        (t.id, t.patient_id) = (new.id, new.patient_id);
        Ok(vec![first.clone(), t])
    });
    queue.expect_serve_times().times(1).returning(|_, _| Ok(vec![time::Duration::minutes(7)]));
    // The phone's patient is the same visitor, written another way.
    let mut patients = MockPatientRepository::new();
    patients.expect_find().returning(move |id| {
        Ok(Some(PatientProfile {
            id,
            full_name: "AHMAD".into(),
            phone: Some(PhoneNumber::parse("+6598765432").unwrap()),
            sms_opt_in: true,
            preferred_channel: Channel::Sms,
        }))
    });
    let placed = walk_ins_knowing(queue, records, patients)
        .issue(Visitor::WalkIn { name: "Ahmad".into(), phone: "+6598765432".into() }, None)
        .unwrap();
    let new = issued.lock().unwrap().clone().unwrap();
    assert_eq!((new.day, new.patient_id), (TODAY, existing), "the phone's patient, on the clinic's day");
    assert_eq!(
        (placed.ticket.label(), placed.position, placed.estimated_wait_minutes),
        ("A002".into(), Some(2), Some(14))
    );
}

#[test]
fn a_walk_in_with_a_bad_phone_is_refused_before_anything_is_stored() {
    let error = walk_ins(MockQueueRepository::new(), MockPatientRecordRepository::new())
        .issue(Visitor::WalkIn { name: "Ahmad".into(), phone: "12".into() }, None)
        .unwrap_err();
    assert!(matches!(error, QueueError::Invalid(fields) if fields.fields().contains_key("phone")));
}

#[test]
fn whoever_comes_within_n_of_the_front_is_owed_the_alert_on_every_recompute_and_the_store_keeps_one() {
    let mut tickets = line(&[
        TicketStatus::Called,
        TicketStatus::Waiting,
        TicketStatus::Waiting,
        TicketStatus::Waiting,
        TicketStatus::Waiting,
    ]);
    tickets.iter_mut().for_each(|t| t.issued_position = 5);
    tickets[2].issued_position = 2; // issued near the front: at the desk, not texted
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let desk =
        walk_ins(queue_of(tickets.clone(), vec![5], alerts.clone()), MockPatientRecordRepository::new());
    desk.day(TODAY).unwrap();
    desk.day(TODAY).unwrap();
    let alerts = alerts.lock().unwrap();
    let owed: Vec<(TicketId, u32)> = alerts.iter().map(|a| (a.ticket_id, a.call)).collect();
    assert_eq!(owed, [(tickets[1].id, 0), (tickets[3].id, 0), (tickets[1].id, 0), (tickets[3].id, 0)]);
    assert_eq!(
        alerts[1].message,
        "Gabriel Family Clinic: ticket A004, you are 3rd in line, about 15 minutes. Reply STOP to opt out."
    );
}

#[test]
fn another_days_list_queues_no_alert() {
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let tickets = line(&[TicketStatus::Waiting; 4]);
    let desk = walk_ins(queue_of(tickets, vec![], alerts.clone()), MockPatientRecordRepository::new());
    let placed = desk.day(date!(2026 - 11 - 24)).unwrap();
    assert_eq!(placed[3].estimated_wait_minutes, Some(40), "ten minutes each without history");
    assert!(alerts.lock().unwrap().is_empty());
}

#[test]
fn a_call_texts_the_room_once_per_call_and_is_refused_for_unknown_finished_or_other_days_tickets() {
    let mut tickets = line(&[TicketStatus::Waiting, TicketStatus::Served]);
    let mut yesterday = ticket(3, None, TicketStatus::Waiting);
    yesterday.day = date!(2026 - 11 - 24);
    tickets.push(yesterday.clone());
    let mut queue = queue_of(tickets.clone(), vec![], Arc::new(Mutex::new(Vec::new())));
    let waiting = tickets[0].clone();
    queue
        .expect_call()
        .withf(|before, room, alert, _| {
            room == "Room 3"
                && alert.call == before.calls + 1
                && alert.message == "Gabriel Family Clinic: ticket A001, please come to Room 3 now."
        })
        .times(1)
        .returning(move |_, _, _, _| {
            Ok(Some(Ticket { status: TicketStatus::Called, calls: 1, ..waiting.clone() }))
        });
    let desk = walk_ins(queue, MockPatientRecordRepository::new());
    assert_eq!(desk.call(tickets[0].id, " Room 3 ").unwrap().ticket.id, tickets[0].id);
    assert_eq!(desk.call(TicketId::generate(), "Room 3").unwrap_err(), QueueError::NotFound);
    assert_eq!(desk.call(tickets[1].id, "Room 3").unwrap_err(), QueueError::Finished);
    assert_eq!(desk.call(yesterday.id, "Room 3").unwrap_err(), QueueError::OtherDay);
    assert!(matches!(desk.call(tickets[0].id, "").unwrap_err(), QueueError::Invalid(_)));
    assert_eq!(desk.finish(yesterday.id, TicketStatus::Left).unwrap_err(), QueueError::OtherDay);
    assert!(matches!(desk.finish(tickets[0].id, TicketStatus::Waiting).unwrap_err(), QueueError::Invalid(_)));
}

#[test]
fn the_public_status_and_a_finish_place_the_ticket_but_only_a_finish_moves_the_line_to_alerts() {
    let mut tickets =
        line(&[TicketStatus::Called, TicketStatus::Waiting, TicketStatus::Waiting, TicketStatus::Waiting]);
    tickets.iter_mut().for_each(|t| t.issued_position = 5);
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let mut queue = queue_of(tickets.clone(), vec![], alerts.clone());
    let by_token = tickets[3].clone();
    queue.expect_find_by_token().returning(move |_| Ok(Some(by_token.clone())));
    let served = Ticket { status: TicketStatus::Served, ..tickets[0].clone() };
    queue.expect_finish().times(1).returning(move |_, _, _| Ok(Some(served.clone())));
    let desk = walk_ins(queue, MockPatientRecordRepository::new());
    let status = desk.status(&"a1".repeat(32)).unwrap();
    assert_eq!((status.position, status.estimated_wait_minutes), (Some(3), Some(30)));
    assert!(alerts.lock().unwrap().is_empty(), "a visitor looking queues nothing");
    desk.finish(tickets[0].id, TicketStatus::Served).unwrap();
    assert_eq!(alerts.lock().unwrap().len(), 3, "every waiting ticket is within 3 of the front");
}
