use clinic_domain::appointment::{Appointment, AppointmentStatus};
use clinic_domain::ids::InboundMessageId;
use clinic_domain::inbound::{InboundMessage, storable_body};
use clinic_domain::notification::NotificationKind;
use clinic_domain::phone::PhoneNumber;
use clinic_domain::ports::{AppointmentRepository, InboxRepository, PatientRepository};
use clinic_domain::schedule::Slot;
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use diesel::RunQueryDsl;
use diesel::sql_types::{Int4, Text, Timestamptz, Uuid as SqlUuid};
use time::{Duration, OffsetDateTime};

use crate::fixtures::{NOW, SLOT, booking_of, cancel, change, doctor, patient};

const PHONE: &str = "+6591234567";

fn phone() -> PhoneNumber {
    PhoneNumber::parse(PHONE).unwrap()
}

fn booked(
    store: &PgStore,
    who: &clinic_domain::patient::PatientProfile,
    start: OffsetDateTime,
) -> Appointment {
    let doctor = doctor(store, "Dr Tan");
    let booking = booking_of(who, &doctor, start);
    store.book(&booking).unwrap();
    booking.appointment
}

/// A reminder of `appointment` (as it is now), `lead` minutes ahead, to `to`, with
/// `status`, sent at `sent_at`.
fn reminder(db: &TestDatabase, appointment: &Appointment, lead: i32, status: &str, sent_at: OffsetDateTime) {
    diesel::sql_query(
        "INSERT INTO notifications (id, appointment_id, patient_id, channel, type, to_phone, status, \
           attempts, next_attempt_at, created_at, updated_at, sent_at, appointment_version, lead_minutes) \
         VALUES ($1, $2, $3, 'sms', 'reminder', $4, $5, 1, $6, $6, $6, $6, $7, $8)",
    )
    .bind::<SqlUuid, _>(uuid::Uuid::new_v4())
    .bind::<SqlUuid, _>(appointment.id.as_uuid())
    .bind::<SqlUuid, _>(appointment.patient_id.as_uuid())
    .bind::<Text, _>(PHONE)
    .bind::<Text, _>(status)
    .bind::<Timestamptz, _>(sent_at)
    .bind::<Int4, _>(i32::try_from(appointment.version).unwrap())
    .bind::<Int4, _>(lead)
    .execute(&mut db.connection())
    .unwrap();
}

#[test]
fn a_reply_is_about_the_visit_last_reminded_at_that_number_whichever_profile() {
    let db = TestDatabase::new();
    let store = db.store();
    let (mother, son) = (patient(&store, Some(PHONE)), patient(&store, Some(PHONE)));
    let hers = booked(&store, &mother, SLOT);
    let his = booked(&store, &son, SLOT + Duration::days(1));
    assert_eq!(store.reminded_visit(&phone(), NOW, None).unwrap(), None, "no reminder sent yet");
    reminder(&db, &hers, 1440, "sent", NOW - Duration::hours(2));
    reminder(&db, &his, 1440, "sent", NOW - Duration::hours(1));
    reminder(&db, &hers, 120, "pending", NOW);
    let visit = store.reminded_visit(&phone(), NOW, None).unwrap().unwrap();
    assert_eq!(
        (visit.appointment.id, visit.doctor_name.as_str(), visit.reminded_version),
        (his.id, "Dr Tan", 1)
    );
    assert_eq!(store.reminded_visit(&PhoneNumber::parse("+6598765432").unwrap(), NOW, None).unwrap(), None);

    // His is cancelled: hers, reminded earlier but still on, is the one.
    cancel(&store, &his);
    assert_eq!(store.reminded_visit(&phone(), NOW, None).unwrap().unwrap().appointment.id, hers.id);
    // Asked for by id (a reply that lost a race): that visit, as it is now.
    let his_now = store.reminded_visit(&phone(), NOW, Some(his.id)).unwrap().unwrap();
    assert_eq!((his_now.appointment.id, his_now.appointment.status), (his.id, AppointmentStatus::Cancelled));
    let other = PhoneNumber::parse("+6598765432").unwrap();
    assert_eq!(store.reminded_visit(&other, NOW, Some(his.id)).unwrap(), None, "not reminded there");
    // Both over: the last reminded one, as it is now.
    let visit = store.reminded_visit(&phone(), SLOT + Duration::minutes(5), None).unwrap().unwrap();
    assert_eq!((visit.appointment.id, visit.appointment.status), (his.id, AppointmentStatus::Cancelled));
}

#[test]
fn a_confirmation_holds_only_for_the_visit_as_reminded_and_keeps_its_first_time() {
    let db = TestDatabase::new();
    let store = db.store();
    let who = patient(&store, Some(PHONE));
    let appointment = booked(&store, &who, SLOT);
    let confirmed_at = |store: &PgStore| {
        let day = store.list_between(SLOT, SLOT + Duration::minutes(1), None).unwrap();
        day[0].patient_confirmed_at
    };
    assert_eq!(confirmed_at(&store), None);
    assert!(!store.confirm(appointment.id, 2, NOW).unwrap(), "another version");
    assert!(!store.confirm(appointment.id, 1, SLOT).unwrap(), "started");
    let results = concurrently(8, |i| store.confirm(appointment.id, 1, NOW + Duration::seconds(i as i64)));
    assert!(results.into_iter().all(|r| r.unwrap()));
    let first = confirmed_at(&store).unwrap();
    assert!(first >= NOW && first < NOW + Duration::seconds(8));
    assert!(store.confirm(appointment.id, 1, NOW + Duration::minutes(1)).unwrap());
    assert_eq!(confirmed_at(&store), Some(first), "the first confirmation counts");

    // A move forgets it: the patient confirmed the old time.
    let slot = Slot { start: SLOT + Duration::hours(1), end: SLOT + Duration::minutes(90) };
    let moved = appointment.moved(appointment.doctor_id, slot, NOW).unwrap();
    change(&store, &appointment, moved.clone(), Some(NotificationKind::Rescheduled));
    let day = store.list_between(slot.start, slot.end, None).unwrap();
    assert_eq!(day[0].patient_confirmed_at, None);
    let cancelled = cancel(&store, &moved);
    assert!(!store.confirm(cancelled.id, cancelled.version, NOW).unwrap(), "cancelled");
}

#[test]
fn the_inbox_keeps_any_text_newest_first_and_marks_it_read_once() {
    let db = TestDatabase::new();
    let store = db.store();
    let older = patient(&store, Some(PHONE));
    let younger = clinic_domain::patient::PatientProfile {
        id: clinic_domain::ids::PatientId::generate(),
        ..older.clone()
    };
    PatientRepository::save(&store, &younger, NOW + Duration::hours(1)).unwrap();
    let appointment = booked(&store, &older, SLOT);
    let huge = "👍".repeat(10_000);
    let bodies = ["", "Running late 😅 — 10 min", "CANCEL APPT please", &huge, "中文\0ok"];
    let messages: Vec<InboundMessage> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let at = NOW + Duration::minutes(i as i64);
            InboundMessage::received(Some(phone()), (i == 2).then_some(&appointment), body, at)
        })
        .collect();
    concurrently(messages.len(), |i| store.keep(&messages[i]).unwrap());
    let stranger = InboundMessage::received(None, None, "hello", NOW - Duration::hours(1));
    store.keep(&stranger).unwrap();

    let inbox = store.inbox(false, 100).unwrap();
    assert_eq!(inbox.len(), 6);
    let ids: Vec<InboundMessageId> = inbox.iter().map(|e| e.message.id).collect();
    let mut newest_first: Vec<InboundMessageId> = messages.iter().rev().map(|m| m.id).collect();
    newest_first.push(stranger.id);
    assert_eq!(ids, newest_first);
    for (entry, body) in inbox.iter().zip(bodies.iter().rev()) {
        assert_eq!(entry.message.body, storable_body(body));
        // Sent from a shared phone: the oldest profile's, unless the reply named its patient.
        assert_eq!(
            (entry.message.patient_id, entry.patient_name.as_deref()),
            (Some(older.id), Some("Siti Rahman"))
        );
    }
    assert_eq!(inbox[2].message.appointment_id, Some(appointment.id));
    assert_eq!(
        (inbox[5].message.patient_id, inbox[5].patient_name.as_deref(), &inbox[5].message.from),
        (None, None, &None)
    );
    assert_eq!(store.inbox(false, 2).unwrap().len(), 2);

    let read = store.mark_read(messages[0].id, NOW + Duration::hours(1)).unwrap().unwrap();
    assert_eq!(read.message.read_at, Some(NOW + Duration::hours(1)));
    let again = store.mark_read(messages[0].id, NOW + Duration::hours(2)).unwrap().unwrap();
    assert_eq!(again.message.read_at, Some(NOW + Duration::hours(1)), "the first reading counts");
    let unread = store.inbox(true, 100).unwrap();
    assert_eq!(unread.len(), 5);
    assert!(unread.iter().all(|e| e.message.id != messages[0].id && e.message.read_at.is_none()));
    assert_eq!(store.mark_read(InboundMessageId::generate(), NOW).unwrap(), None);
}
