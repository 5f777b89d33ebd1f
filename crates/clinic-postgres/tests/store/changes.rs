//! A change as one unit of work: the version check, the older messages skipped (unless a
//! worker is sending one), the change's message addressed from the profile.

use clinic_domain::appointment::AppointmentStatus;
use clinic_domain::booking_record::ChangeStored;
use clinic_domain::notification::NotificationKind;
use clinic_domain::ports::{AppointmentRepository, NotificationRepository};
use clinic_domain::schedule::Slot;
use clinic_postgres::testing::TestDatabase;
use time::Duration;

use crate::fixtures::{NOW, OutboxRow, SLOT, booking_of, change, doctor, outbox, patient};
use crate::outbox::EVERYTHING;

fn of_kind<'a>(rows: &'a [OutboxRow], kind: &str) -> &'a OutboxRow {
    rows.iter().find(|row| row.kind == kind).unwrap()
}

#[test]
fn a_move_skips_the_older_pending_messages_and_tells_the_patient_once() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let booking = booking_of(&siti, &tan, SLOT);
    store.book(&booking).unwrap();
    let later = Slot { start: SLOT + Duration::hours(1), end: SLOT + Duration::minutes(90) };
    let moved = booking.appointment.moved(tan.id, later, NOW).unwrap();
    let told = Some(NotificationKind::Rescheduled);
    assert_eq!(change(&store, &booking.appointment, moved.clone(), told), ChangeStored::Changed);
    assert_eq!(
        change(&store, &booking.appointment, moved.clone(), told),
        ChangeStored::Stale,
        "decided on v1"
    );
    let rows = outbox(&mut db.connection());
    assert_eq!(rows.len(), 2);
    let confirmation = of_kind(&rows, "confirmation");
    assert_eq!(
        (confirmation.status.as_str(), confirmation.error_message.as_deref()),
        ("skipped", Some("rescheduled"))
    );
    assert_eq!(of_kind(&rows, "rescheduled").status, "pending");
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let due = &batch.notifications()[0];
    assert_eq!((due.about_version, due.appointment_version, due.scheduled_start), (2, 2, later.start));
    assert_eq!(due.to_phone.as_ref().map(|p| p.as_str()), Some("+6591234567"));
    assert!(!due.patient_told);
    batch.finish(&[]).unwrap();
    assert_eq!(store.find(moved.id).unwrap().unwrap(), moved);
}

#[test]
fn a_message_a_worker_is_sending_is_not_skipped_by_a_change() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let booking = booking_of(&siti, &tan, SLOT);
    store.book(&booking).unwrap();
    let sending = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let cancelled = booking.appointment.with_status(AppointmentStatus::Cancelled, None);
    let stored = change(&store, &booking.appointment, cancelled, Some(NotificationKind::Cancellation));
    assert_eq!(stored, ChangeStored::Changed, "without waiting for the worker");
    drop(sending);
    let rows = outbox(&mut db.connection());
    assert_eq!(of_kind(&rows, "confirmation").status, "pending", "it was being sent: its worker decides");
    assert_eq!(of_kind(&rows, "cancellation").status, "pending");
}

#[test]
fn a_move_after_a_send_of_unknown_fate_is_worded_for_a_patient_who_was_told() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let booking = booking_of(&siti, &tan, SLOT);
    store.book(&booking).unwrap();
    // A worker claimed the confirmation, and died: its attempt's fate is unknown.
    drop(store.claim_due(EVERYTHING, NOW, 10).unwrap());
    let later = Slot { start: SLOT + Duration::hours(1), end: SLOT + Duration::minutes(90) };
    let moved = booking.appointment.moved(tan.id, later, NOW).unwrap();
    change(&store, &booking.appointment, moved, Some(NotificationKind::Rescheduled));
    let batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let rescheduled = batch.notifications().iter().find(|n| n.kind == NotificationKind::Rescheduled).unwrap();
    assert!(rescheduled.patient_told, "the confirmation may have reached them");
}

#[test]
fn a_change_reaches_the_phone_the_confirmation_went_to_when_the_profile_has_none() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, None));
    let mut booking = booking_of(&siti, &tan, SLOT);
    // The login's phone, as the booking service addresses the confirmation.
    booking.confirmation.to_phone = Some(clinic_domain::phone::PhoneNumber::parse("+6598765432").unwrap());
    store.book(&booking).unwrap();
    let cancelled = booking.appointment.with_status(AppointmentStatus::Cancelled, None);
    change(&store, &booking.appointment, cancelled, Some(NotificationKind::Cancellation));
    let mut batch = store.claim_due(EVERYTHING, NOW, 10).unwrap();
    let cancellation =
        batch.notifications().iter().find(|n| n.kind == NotificationKind::Cancellation).unwrap();
    assert_eq!(cancellation.to_phone.as_ref().map(|p| p.as_str()), Some("+6598765432"));
    batch.finish(&[]).unwrap();
}
