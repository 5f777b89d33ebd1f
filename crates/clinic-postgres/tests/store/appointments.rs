use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::booking_record::{BookingKey, BookingStored, ChangeStored, IdempotencyKey};
use clinic_domain::ports::{AppointmentRepository, StoreError};
use clinic_domain::schedule::Slot;
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use time::Duration;

use crate::fixtures::{NOW, SLOT, booking_of, cancel, change, count, doctor, outbox, patient};

#[test]
fn a_booking_stores_the_appointment_and_its_confirmation_together() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let booking = booking_of(&siti, &tan, SLOT);
    assert_eq!(store.book(&booking).unwrap(), BookingStored::Booked);
    assert_eq!(store.find(booking.appointment.id).unwrap(), Some(booking.appointment.clone()));
    let rows = outbox(&mut db.connection());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].appointment_id, booking.appointment.id.as_uuid());
    assert_eq!((rows[0].kind.as_str(), rows[0].status.as_str()), ("confirmation", "pending"));
}

#[test]
fn a_confirmation_that_cannot_be_sent_is_stored_as_skipped_with_its_reason() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, phoneless) = (doctor(&store, "Dr Tan"), patient(&store, None));
    store.book(&booking_of(&phoneless, &tan, SLOT)).unwrap();
    let rows = outbox(&mut db.connection());
    assert_eq!(rows[0].status, "skipped");
    assert_eq!(rows[0].error_message.as_deref(), Some("no phone"));
}

#[test]
fn a_taken_slot_stores_nothing() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let (first, second) = (patient(&store, Some("+6591234567")), patient(&store, Some("+6598765432")));
    assert_eq!(store.book(&booking_of(&first, &tan, SLOT)).unwrap(), BookingStored::Booked);
    let mut late = booking_of(&second, &tan, SLOT);
    late.key = Some(key_for(&late, "late"));
    assert_eq!(store.book(&late).unwrap(), BookingStored::SlotTaken);
    let mut conn = db.connection();
    assert_eq!(count(&mut conn, "appointments"), 1);
    assert_eq!(count(&mut conn, "notifications"), 1);
    assert_eq!(count(&mut conn, "idempotency_keys"), 0, "the key of a failed booking is not kept");
    // Another doctor, or another start, is a different slot.
    assert_eq!(
        store.book(&booking_of(&second, &doctor(&store, "Dr Lee"), SLOT)).unwrap(),
        BookingStored::Booked
    );
    assert_eq!(
        store.book(&booking_of(&second, &tan, SLOT + Duration::minutes(30))).unwrap(),
        BookingStored::Booked
    );
}

#[test]
fn of_sixteen_concurrent_bookings_for_one_slot_exactly_one_is_stored() {
    let db = TestDatabase::new();
    let store = db.store();
    let tan = doctor(&store, "Dr Tan");
    let bookings: Vec<_> = (0..16).map(|_| booking_of(&patient(&store, None), &tan, SLOT)).collect();
    let results = concurrently(bookings.len(), |i| store.book(&bookings[i]).unwrap());
    let booked = results.iter().filter(|r| **r == BookingStored::Booked).count();
    let taken = results.iter().filter(|r| **r == BookingStored::SlotTaken).count();
    assert_eq!((booked, taken), (1, 15));
    assert_eq!(count(&mut db.connection(), "notifications"), 1);
}

#[test]
fn cancelling_frees_the_slot() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    let first = booking_of(&siti, &tan, SLOT);
    store.book(&first).unwrap();
    let cancelled = cancel(&store, &first.appointment);
    assert_eq!(store.find(cancelled.id).unwrap().unwrap(), cancelled);
    assert_eq!(store.book(&booking_of(&siti, &tan, SLOT)).unwrap(), BookingStored::Booked);
}

#[test]
fn a_change_applies_only_to_the_version_it_was_decided_on() {
    let db = TestDatabase::new();
    let store = db.store();
    let booking = booking_of(&patient(&store, None), &doctor(&store, "Dr Tan"), SLOT);
    store.book(&booking).unwrap();
    let read = booking.appointment;
    let completed = read.with_status(AppointmentStatus::Completed, None);
    assert_eq!(change(&store, &read, completed, None), ChangeStored::Changed);
    let missed = read.with_status(AppointmentStatus::Cancelled, None);
    assert_eq!(change(&store, &read, missed, None), ChangeStored::Stale);
    let now = store.find(read.id).unwrap().unwrap();
    assert_eq!((now.status, now.version), (AppointmentStatus::Completed, 2));
}

#[test]
fn a_patients_appointments_are_listed_by_start() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti, other) = (doctor(&store, "Dr Tan"), patient(&store, None), patient(&store, None));
    let later = booking_of(&siti, &tan, SLOT + Duration::days(1));
    let sooner = booking_of(&siti, &tan, SLOT);
    for booking in [&later, &sooner, &booking_of(&other, &tan, SLOT + Duration::hours(1))] {
        store.book(booking).unwrap();
    }
    assert_eq!(store.list_for_patient(siti.id).unwrap(), vec![sooner.appointment, later.appointment]);
}

fn key_for(booking: &clinic_domain::booking_record::NewBooking, key: &str) -> BookingKey {
    BookingKey {
        patient_id: booking.appointment.patient_id,
        key: IdempotencyKey::parse(key).unwrap(),
        doctor_id: booking.appointment.doctor_id,
        scheduled_start: booking.appointment.scheduled_start,
        appointment_id: booking.appointment.id,
        created_at: NOW,
    }
}

#[test]
fn a_live_key_books_once_and_is_found_again() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    let mut first = booking_of(&siti, &tan, SLOT);
    first.key = Some(key_for(&first, "k-1"));
    assert_eq!(store.book(&first).unwrap(), BookingStored::Booked);
    let key = IdempotencyKey::parse("k-1").unwrap();
    let since = NOW - Duration::hours(24);
    let read = store.find_for_booking(siti.id, Some(key.clone()), since).unwrap();
    assert_eq!((read.profile.map(|p| p.id), read.earlier), (Some(siti.id), first.key.clone()));
    let later = NOW + Duration::seconds(1);
    assert_eq!(store.find_for_booking(siti.id, Some(key), later).unwrap().earlier, None);

    let mut again = booking_of(&siti, &tan, SLOT + Duration::hours(1));
    again.key = Some(key_for(&again, "k-1"));
    assert_eq!(store.book(&again).unwrap(), BookingStored::KeyAlreadyUsed(first.key.clone().unwrap()));
    assert_eq!(count(&mut db.connection(), "appointments"), 1);
}

#[test]
fn an_expired_key_may_book_again() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    let mut first = booking_of(&siti, &tan, SLOT);
    first.key = Some(key_for(&first, "k-1"));
    store.book(&first).unwrap();
    let mut next_week = booking_of(&siti, &tan, SLOT + Duration::days(7));
    next_week.key = Some(BookingKey { created_at: NOW + Duration::days(2), ..key_for(&next_week, "k-1") });
    next_week.keys_used_since = NOW + Duration::days(1);
    assert_eq!(store.book(&next_week).unwrap(), BookingStored::Booked);
    let key = IdempotencyKey::parse("k-1").unwrap();
    let found = store.find_for_booking(siti.id, Some(key), NOW + Duration::days(1)).unwrap().earlier.unwrap();
    assert_eq!(found.appointment_id, next_week.appointment.id);
}

#[test]
fn concurrent_requests_with_one_key_book_once() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    let bookings: Vec<_> = (0..8)
        .map(|i| {
            let mut booking = booking_of(&siti, &tan, SLOT + Duration::minutes(30 * i));
            booking.key = Some(key_for(&booking, "same"));
            booking
        })
        .collect();
    let results = concurrently(bookings.len(), |i| store.book(&bookings[i]).unwrap());
    assert_eq!(results.iter().filter(|r| **r == BookingStored::Booked).count(), 1);
    assert!(results.iter().all(|r| matches!(r, BookingStored::Booked | BookingStored::KeyAlreadyUsed(_))));
    assert_eq!(count(&mut db.connection(), "appointments"), 1);
}

#[test]
fn an_unreachable_database_is_unavailable() {
    let store = PgStore::connect_with_timeout(
        "host=/nonexistent port=5432 user=postgres dbname=clinic",
        1,
        std::time::Duration::from_millis(300),
    );
    let err = store.ping().unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[test]
fn expired_keys_are_forgotten_and_live_ones_kept() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    for (i, used) in [NOW - Duration::hours(30), NOW - Duration::hours(2)].into_iter().enumerate() {
        let mut booking = booking_of(&siti, &tan, SLOT + Duration::minutes(30 * i as i64));
        booking.key = Some(BookingKey { created_at: used, ..key_for(&booking, &format!("k-{i}")) });
        store.book(&booking).unwrap();
    }
    assert_eq!(store.forget_booking_keys(NOW - Duration::hours(24)).unwrap(), 1);
    assert_eq!(count(&mut db.connection(), "idempotency_keys"), 1);
    assert_eq!(count(&mut db.connection(), "appointments"), 2, "the bookings stay");
}

#[test]
fn an_arrival_is_marked_only_on_the_version_read_so_a_move_meanwhile_wins() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let booking = booking_of(&siti, &tan, SLOT);
    store.book(&booking).unwrap();
    let read = booking.appointment;
    let next_day =
        Slot { start: SLOT + Duration::days(1), end: SLOT + Duration::days(1) + Duration::minutes(30) };
    let moved = read.moved(tan.id, next_day, NOW).unwrap();
    assert_eq!(change(&store, &read, moved.clone(), None), ChangeStored::Changed);

    assert_eq!(store.mark_arrived(read.id, read.version, NOW).unwrap(), None, "the stale version is refused");
    assert_eq!(store.find(read.id).unwrap().unwrap().scheduled_start, next_day.start);
    assert_eq!(
        store.mark_arrived(read.id, moved.version, NOW).unwrap(),
        Some(NOW),
        "the current one is marked"
    );
}

#[test]
fn a_booking_whose_locks_time_out_leaves_its_connection_usable() {
    use diesel::RunQueryDsl;
    use diesel::connection::SimpleConnection;
    let db = TestDatabase::new();
    let (tan, siti) = (doctor(&db.store(), "Dr Tan"), patient(&db.store(), None));
    let mut closing = db.connection();
    closing.batch_execute("SET lock_timeout = '100ms'").unwrap();
    let name: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_database()"))
        .get_result(&mut closing)
        .unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} SET lock_timeout = '100ms'"))
        .execute(&mut closing)
        .unwrap();
    // A closure of the whole clinic being recorded: its exclusive lock ("clos", 0).
    closing.batch_execute("SELECT pg_advisory_lock(1668050803, 0)").unwrap();
    let store = PgStore::connect(db.url(), 1);
    assert!(store.book(&booking_of(&siti, &tan, SLOT)).is_err(), "the lock timed out");

    closing.batch_execute("SELECT pg_advisory_unlock(1668050803, 0)").unwrap();
    let next = booking_of(&siti, &tan, SLOT + Duration::hours(1));
    assert_eq!(store.book(&next).unwrap(), BookingStored::Booked, "no transaction was left open");
    assert_eq!(count(&mut db.connection(), "appointments"), 1);
}
