use clinic_domain::appointment::Appointment;
use clinic_domain::booking_record::NewBooking;
use clinic_domain::delivery::{REMINDER_HANDOFF, Scope};
use clinic_domain::doctor::Doctor;
use clinic_domain::patient::PatientProfile;
use clinic_domain::ports::{AppointmentRepository, NotificationRepository};
use clinic_domain::reminder::ReminderWindow;
use clinic_postgres::PgStore;
use clinic_postgres::testing::{TestDatabase, concurrently};
use time::{Duration, OffsetDateTime};

use crate::fixtures::{NOW, booking_of, doctor, outbox, patient};

const LEAD: Duration = Duration::hours(24);

fn window(now: OffsetDateTime) -> ReminderWindow {
    ReminderWindow::at(now, &[LEAD], None)
}

/// An appointment starting at `start`, booked at `booked_at`.
fn appointment(
    store: &PgStore,
    who: &PatientProfile,
    doctor: &Doctor,
    start: OffsetDateTime,
    booked_at: OffsetDateTime,
) -> Appointment {
    let NewBooking { appointment, confirmation, key, keys_used_since } = booking_of(who, doctor, start);
    let appointment = Appointment { booked_at, time_set_at: booked_at, ..appointment };
    let confirmation = clinic_domain::notification::NewNotification { created_at: booked_at, ..confirmation };
    store.book(&NewBooking { appointment: appointment.clone(), confirmation, key, keys_used_since }).unwrap();
    appointment
}

fn reminded(db: &TestDatabase) -> Vec<uuid::Uuid> {
    let mut ids: Vec<_> = outbox(&mut db.connection())
        .into_iter()
        .filter(|r| r.kind == "reminder")
        .map(|r| r.appointment_id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_window_is_half_open_on_the_appointments_start() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let early = NOW - Duration::days(3);
    let at = |start| appointment(&store, &siti, &tan, start, early).id.as_uuid();
    let mut inside = vec![at(NOW), at(NOW + LEAD - Duration::seconds(1))];
    for outside in [NOW - Duration::seconds(1), NOW + LEAD, NOW + LEAD + Duration::minutes(30)] {
        at(outside);
    }
    assert_eq!(store.create_reminders(&window(NOW)).unwrap(), 2);
    inside.sort();
    assert_eq!(reminded(&db), inside);
}

#[test]
fn cancelled_appointments_and_those_booked_after_the_leads_moment_get_no_reminder() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let start = NOW + Duration::hours(5);
    let cancelled = appointment(&store, &siti, &tan, start, NOW - Duration::days(1));
    crate::fixtures::cancel(&store, &cancelled);
    appointment(
        &store,
        &siti,
        &tan,
        start + Duration::hours(1),
        start + Duration::hours(1) - LEAD + Duration::seconds(1),
    );
    let just_enough =
        appointment(&store, &siti, &tan, start + Duration::hours(2), start + Duration::hours(2) - LEAD);
    assert_eq!(store.create_reminders(&window(NOW)).unwrap(), 1);
    assert_eq!(reminded(&db), vec![just_enough.id.as_uuid()]);
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ReminderRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    appointment_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    lead_minutes: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

#[test]
fn the_sql_reminds_exactly_as_the_domains_rule_says_for_every_lead() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let leads = [Duration::hours(24), Duration::hours(2)];
    let mut appointments = Vec::new();
    // Starts across and around both windows, each booked just after, at, and long before each lead's moment.
    for minutes in [-30, -1, 0, 1, 90, 119, 120, 121, 600, 24 * 60 - 1, 24 * 60, 24 * 60 + 30] {
        let start = NOW + Duration::minutes(minutes);
        for notice in [
            Duration::hours(2) - Duration::seconds(1),
            Duration::hours(2),
            LEAD - Duration::seconds(1),
            LEAD,
            Duration::days(2),
        ] {
            let apart = Duration::seconds(appointments.len() as i64);
            appointments.push(appointment(&store, &siti, &tan, start + apart, start + apart - notice));
        }
    }
    appointments[27] = crate::fixtures::cancel(&store, &appointments[27]);
    let window = ReminderWindow::at(NOW, &leads, None);
    store.create_reminders(&window).unwrap();
    let mut expected: Vec<ReminderRow> = appointments
        .iter()
        .flat_map(|a| {
            let sent = window.sends(a);
            leads.iter().filter(|lead| window.includes(a, **lead)).map(move |lead| ReminderRow {
                appointment_id: a.id.as_uuid(),
                lead_minutes: lead.whole_minutes() as i32,
                status: if Some(*lead) == sent { "pending" } else { "skipped" }.into(),
            })
        })
        .collect();
    expected.sort();
    let mut stored: Vec<ReminderRow> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT appointment_id, lead_minutes, status FROM notifications WHERE type = 'reminder'",
        ),
        &mut db.connection(),
    )
    .unwrap();
    stored.sort();
    assert!(expected.iter().filter(|r| r.status == "skipped").count() > 2, "superseded leads are covered");
    assert!(expected.iter().filter(|r| r.status == "pending").count() > 5);
    assert_eq!(stored, expected);
}

#[test]
fn a_reminder_is_created_once_however_many_runs_race() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    for i in 0..20 {
        appointment(&store, &siti, &tan, NOW + Duration::minutes(30 * i), NOW - Duration::days(1));
    }
    let created: u64 = concurrently(10, |_| db.store().create_reminders(&window(NOW)).unwrap()).iter().sum();
    assert_eq!(created, 20);
    assert_eq!(reminded(&db).len(), 20);
    assert_eq!(store.create_reminders(&window(NOW + Duration::minutes(5))).unwrap(), 0);
}

#[test]
fn reminders_carry_the_patients_phone_and_channel_and_wait_to_be_composed() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    appointment(&store, &siti, &tan, NOW + Duration::hours(3), NOW - Duration::days(1));
    store.create_reminders(&window(NOW)).unwrap();
    let batch = store.claim_due(Scope::Reminders, NOW, 10).unwrap();
    let due = &batch.notifications()[0];
    assert_eq!((due.to_phone.as_ref().unwrap().as_str(), due.message.as_deref()), ("+6591234567", None));
    assert_eq!((due.channel, due.attempts, due.doctor_name.as_str()), (siti.preferred_channel, 0, "Dr Tan"));
}

#[test]
fn the_worker_leaves_fresh_reminders_to_the_run_that_created_them() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    appointment(&store, &siti, &tan, NOW + Duration::hours(3), NOW - Duration::days(1));
    store.create_reminders(&window(NOW)).unwrap();
    let worker = |at: OffsetDateTime| Scope::Everything { reminders_created_before: at - REMINDER_HANDOFF };
    let soon = NOW + Duration::seconds(30);
    assert!(
        store
            .claim_due(worker(soon), soon, 10)
            .unwrap()
            .notifications()
            .iter()
            .all(|n| n.kind.as_str() != "reminder")
    );
    let later = NOW + REMINDER_HANDOFF + Duration::seconds(1);
    let batch = store.claim_due(worker(later), later, 10).unwrap();
    assert!(
        batch.notifications().iter().any(|n| n.kind.as_str() == "reminder"),
        "the worker takes over what a run left"
    );
}

#[test]
fn the_reminders_claim_takes_only_reminders() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    store.book(&booking_of(&siti, &tan, NOW + Duration::hours(3))).unwrap();
    let batch = store.claim_due(Scope::Reminders, NOW + Duration::minutes(1), 10).unwrap();
    assert!(batch.notifications().is_empty(), "the pending confirmation is the worker's");
}

#[test]
fn an_appointment_reminded_before_reminders_had_leads_gets_no_more() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let old = appointment(&store, &siti, &tan, NOW + Duration::hours(1), NOW - Duration::days(3));
    // As the previous version wrote it: one reminder, no lead.
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO notifications (id, appointment_id, patient_id, channel, type, status, attempts, \
             next_attempt_at, created_at, updated_at) \
             SELECT gen_random_uuid(), id, patient_id, 'sms', 'reminder', 'sent', 1, now(), now(), now() \
             FROM appointments",
        ),
        &mut db.connection(),
    )
    .unwrap();
    let window = ReminderWindow::at(NOW, &[LEAD, Duration::hours(2)], None);
    assert_eq!(store.create_reminders(&window).unwrap(), 0);
    assert_eq!(reminded(&db), vec![old.id.as_uuid()], "still the one");
}

#[test]
fn a_nearer_reminder_supersedes_a_farther_one_still_waiting() {
    let db = TestDatabase::new();
    let store = db.store();
    let (tan, siti) = (doctor(&store, "Dr Tan"), patient(&store, Some("+6591234567")));
    let start = NOW + Duration::hours(3);
    appointment(&store, &siti, &tan, start, NOW - Duration::days(3));
    let leads = [Duration::hours(3) + Duration::minutes(30), Duration::hours(1)];
    // The farther lead's reminder is created, held (quiet hours) until after the nearer's moment.
    let held =
        ReminderWindow { due_at: start - Duration::minutes(30), ..ReminderWindow::at(NOW, &leads, None) };
    assert_eq!(store.create_reminders(&held).unwrap(), 1);
    let later = ReminderWindow::at(start - Duration::minutes(50), &leads, None);
    assert_eq!(store.create_reminders(&later).unwrap(), 1);
    let mut statuses: Vec<String> = outbox(&mut db.connection())
        .into_iter()
        .filter(|r| r.kind == "reminder")
        .map(|r| format!("{} {}", r.status, r.error_message.unwrap_or_default()))
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["pending ", "skipped superseded"]);
}
