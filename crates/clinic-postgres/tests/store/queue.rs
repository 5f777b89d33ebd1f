use clinic_domain::delivery::Scope;
use clinic_domain::ids::{NotificationId, TicketId};
use clinic_domain::ports::{NotificationRepository, QueueRepository};
use clinic_domain::queue::{NewTicket, QueueAlert, Ticket, TicketNow, TicketStatus, status_token};
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use time::Duration;
use time::macros::date;

use crate::fixtures::{NOW, count, doctor, patient};

fn issue(store: &PgStore, patient: &clinic_domain::patient::PatientProfile, day: time::Date) -> Ticket {
    let new = NewTicket {
        id: TicketId::generate(),
        day,
        patient_id: patient.id,
        doctor_id: None,
        status_token: status_token(),
        issued_at: NOW,
    };
    store.issue(&new).unwrap()
}

fn alert(ticket: &Ticket, call: u32) -> QueueAlert {
    QueueAlert {
        id: NotificationId::generate(),
        ticket_id: ticket.id,
        call,
        message: format!("ticket {} alert {call}", ticket.label()),
        segments: 1,
        created_at: NOW,
    }
}

#[test]
fn thirty_two_tickets_issued_at_once_get_thirty_two_consecutive_numbers_and_places() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = patient(&store, Some("+6591234567"));
    let day = date!(2026 - 11 - 24);
    let tickets = concurrently(32, |_| issue(&store, &siti, day));
    let mut numbers: Vec<u32> = tickets.iter().map(|t| t.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=32).collect::<Vec<_>>());
    let mut places: Vec<u32> = tickets.iter().map(|t| t.issued_position).collect();
    places.sort_unstable();
    assert_eq!(places, (1..=32).collect::<Vec<_>>(), "each saw the tickets issued before it");
    assert_eq!(issue(&store, &siti, date!(2026 - 11 - 25)).number, 1, "a new day starts again at A001");
}

#[test]
fn of_alerts_for_one_ticket_and_call_enqueued_at_once_one_is_stored() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = patient(&store, Some("+6591234567"));
    let ticket = issue(&store, &siti, date!(2026 - 11 - 24));
    let stored = concurrently(8, |_| store.enqueue_alerts(&[alert(&ticket, 0)]).unwrap());
    assert_eq!(stored.iter().sum::<u64>(), 1);
    assert_eq!(store.enqueue_alerts(&[alert(&ticket, 0), alert(&ticket, 1)]).unwrap(), 1, "the call is new");
    assert_eq!(count(&mut db.connection(), "notifications"), 2);
}

#[test]
fn a_call_stores_its_alert_once_and_the_claim_reads_the_ticket_as_it_is_now() {
    let db = TestDatabase::new();
    let store = db.store();
    let siti = patient(&store, Some("+6591234567"));
    doctor(&store, "Dr Tan");
    let ticket = issue(&store, &siti, date!(2026 - 11 - 24));
    let called = store.call(&ticket, "Room 3", &alert(&ticket, 1), NOW).unwrap().unwrap();
    assert_eq!(
        (called.status, called.calls, called.room.as_deref()),
        (TicketStatus::Called, 1, Some("Room 3"))
    );
    assert_eq!(store.call(&ticket, "Room 4", &alert(&ticket, 1), NOW).unwrap(), None, "called meanwhile");
    store.finish(ticket.id, TicketStatus::Served, NOW + Duration::minutes(7)).unwrap().unwrap();
    assert_eq!(store.finish(ticket.id, TicketStatus::Left, NOW).unwrap(), None, "finished already");
    assert_eq!(store.serve_times(None, 20).unwrap(), [Duration::minutes(7)]);
    let batch = store.claim_due(Scope::Everything { reminders_created_before: NOW }, NOW, 10).unwrap();
    let due = &batch.notifications()[0];
    assert_eq!((due.appointment_id, due.to_phone.as_ref().map(|p| p.as_str())), (None, Some("+6591234567")));
    assert_eq!(due.ticket, Some(TicketNow { status: TicketStatus::Served, calls: 1, call: 1 }));
    assert_eq!(due.message.as_deref(), Some("ticket A001 alert 1"));
}
