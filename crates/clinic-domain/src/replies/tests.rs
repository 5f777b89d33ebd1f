use std::sync::Mutex;

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::booking_record::ChangeStored;
use crate::clinic::ClinicZone;
use crate::ids::{DoctorId, PatientId};
use crate::ports::{ManualClock, MockAppointmentRepository, MockInboxRepository};
use crate::schedule::Slot;

/// Tuesday 2026-11-24, 16:00 in Singapore.
const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);
/// Wednesday 2026-11-25, 09:30 in Singapore.
const SLOT: OffsetDateTime = datetime!(2026-11-25 01:30 UTC);
const CLINIC: &str = "Gabriel Family Clinic";

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+6591234567").unwrap()
}

fn visit(start: OffsetDateTime) -> RemindedVisit {
    let slot = Slot { start, end: start + time::Duration::minutes(30) };
    let appointment = Appointment::book(PatientId::generate(), DoctorId::generate(), slot, NOW);
    RemindedVisit { appointment, doctor_name: "Dr Tan".into(), reminded_version: 1 }
}

/// The inbox answering `visits` in turn for the sender's number (the last one for
/// every later look), and remembering what it keeps.
struct World {
    inbox: MockInboxRepository,
    appointments: MockAppointmentRepository,
    kept: Arc<Mutex<Vec<InboundMessage>>>,
    understood: bool,
}

impl World {
    fn with(visits: Vec<Option<RemindedVisit>>) -> Self {
        let mut inbox = MockInboxRepository::new();
        let mut visits = visits;
        visits.reverse();
        inbox.expect_reminded_visit().returning(move |p, now, only| {
            assert_eq!((p, now), (&phone(), NOW));
            let visit =
                if visits.len() > 1 { visits.pop().flatten() } else { visits.last().cloned().flatten() };
            // After a lost race, the same visit is asked for again.
            assert!(only.is_none_or(|id| visit.as_ref().is_some_and(|v| v.appointment.id == id)));
            Ok(visit)
        });
        let kept = Arc::new(Mutex::new(Vec::new()));
        let keeping = kept.clone();
        inbox.expect_keep().returning(move |m| {
            keeping.lock().unwrap().push(m.clone());
            Ok(())
        });
        Self { inbox, appointments: MockAppointmentRepository::new(), kept, understood: true }
    }

    fn answer(self, from: Option<&PhoneNumber>, body: &str) -> (ReplyAnswer, Vec<InboundMessage>) {
        let clinic = Clinic { name: CLINIC.into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
        let clock = Arc::new(ManualClock::new(NOW));
        let replies =
            Replies::new(clinic, Arc::new(self.inbox), Arc::new(self.appointments), clock, self.understood);
        let answer = replies.answer(from, body).unwrap();
        let kept = self.kept.lock().unwrap().clone();
        (answer, kept)
    }
}

const PASSED_ON: &str = "Gabriel Family Clinic: thank you, we have passed your message to the clinic. For anything urgent, please call us.";

#[test]
fn c_confirms_the_visit_as_reminded_and_says_which() {
    let reminded = visit(SLOT);
    let id = reminded.appointment.id;
    let mut world = World::with(vec![Some(reminded)]);
    world
        .inbox
        .expect_confirm()
        .withf(move |a, v, at| (*a, *v, *at) == (id, 1, NOW))
        .times(1)
        .returning(|_, _, _| Ok(true));
    let (answer, kept) = world.answer(Some(&phone()), " confirm ");
    assert_eq!(answer.handled, Handled::Confirmed(id));
    assert_eq!(
        answer.text,
        "Gabriel Family Clinic: thank you, see you on Wed 25 Nov 2026, 09:30 with Dr Tan."
    );
    assert!(kept.is_empty());
}

#[test]
fn x_cancels_as_the_patient_without_a_second_acknowledgement() {
    let reminded = visit(SLOT);
    let (id, before) = (reminded.appointment.id, reminded.appointment.clone());
    let mut world = World::with(vec![Some(reminded)]);
    world.appointments.expect_find().returning(move |_| Ok(Some(before.clone())));
    world
        .appointments
        .expect_change()
        .withf(|c| {
            c.after.status == AppointmentStatus::Cancelled
                && c.after.cancellation == Some(Cancellation { by: CancelledBy::Patient, reason: None })
                && c.message.is_none()
        })
        .times(1)
        .returning(|_| Ok(ChangeStored::Changed));
    let (answer, kept) = world.answer(Some(&phone()), "x");
    assert_eq!(answer.handled, Handled::Cancelled(id));
    assert!(answer.text.contains("with Dr Tan on Wed 25 Nov 2026, 09:30 is cancelled, as you asked"));
    assert!(kept.is_empty());
}

#[test]
fn a_reply_to_a_visit_cancelled_or_moved_meanwhile_says_so_and_goes_to_staff() {
    let mut cancelled = visit(SLOT);
    cancelled.appointment = cancelled.appointment.with_status(AppointmentStatus::Cancelled, None);
    let (answer, kept) = World::with(vec![Some(cancelled.clone())]).answer(Some(&phone()), "C");
    assert!(
        answer.text.contains("Dr Tan on Wed 25 Nov 2026, 09:30 was already cancelled"),
        "{}",
        answer.text
    );
    assert_eq!(kept[0].appointment_id, Some(cancelled.appointment.id));
    assert_eq!(kept[0].patient_id, Some(cancelled.appointment.patient_id));

    let mut moved = visit(SLOT);
    moved.appointment.version = 2;
    moved.appointment.scheduled_start = SLOT + time::Duration::days(1);
    let (answer, kept) = World::with(vec![Some(moved)]).answer(Some(&phone()), "X");
    assert!(answer.text.contains("is now on Thu 26 Nov 2026, 09:30 with Dr Tan"), "{}", answer.text);
    assert_eq!(kept.len(), 1);
}

#[test]
fn a_confirmation_that_loses_a_race_answers_from_what_the_visit_became() {
    let reminded = visit(SLOT);
    let mut cancelled = reminded.clone();
    cancelled.appointment = cancelled.appointment.with_status(AppointmentStatus::Cancelled, None);
    let mut world = World::with(vec![Some(reminded), Some(cancelled)]);
    world.inbox.expect_confirm().times(1).returning(|_, _, _| Ok(false));
    let (answer, kept) = world.answer(Some(&phone()), "c");
    assert!(answer.text.contains("was already cancelled"), "{}", answer.text);
    assert_eq!(kept.len(), 1);
}

#[test]
fn late_replies_free_text_and_strangers_go_to_staff_with_a_polite_answer() {
    let started = visit(NOW - time::Duration::minutes(10));
    let (answer, kept) = World::with(vec![Some(started.clone())]).answer(Some(&phone()), "C");
    assert_eq!((answer.text.as_str(), kept[0].appointment_id), (PASSED_ON, Some(started.appointment.id)));

    for body in ["Running late, 10 min 🙏", "", "CANCEL APPT please", &"長".repeat(5000)] {
        let (answer, kept) = World::with(vec![Some(visit(SLOT))]).answer(Some(&phone()), body);
        assert_eq!(answer.text, PASSED_ON);
        assert_eq!(answer.handled, Handled::Kept(kept[0].id));
        assert_eq!(kept[0].body, crate::inbound::storable_body(body));
    }

    let (answer, kept) = World::with(vec![None]).answer(Some(&phone()), "C");
    assert_eq!(answer.text, PASSED_ON);
    assert_eq!((kept[0].patient_id, kept[0].appointment_id, &kept[0].from), (None, None, &Some(phone())));

    let (answer, kept) = World::with(vec![]).answer(None, "hello");
    assert_eq!((answer.text.as_str(), kept[0].from.clone()), (PASSED_ON, None));
}

#[test]
fn with_replies_off_c_and_x_are_texts_like_any_other() {
    let mut world = World::with(vec![Some(visit(SLOT))]);
    world.understood = false;
    let (answer, kept) = world.answer(Some(&phone()), "C");
    assert_eq!((answer.text.as_str(), kept.len()), (PASSED_ON, 1));
}

#[test]
fn marking_an_unknown_message_read_is_not_found() {
    let mut inbox = MockInboxRepository::new();
    inbox.expect_mark_read().returning(|_, _| Ok(None));
    let clinic = Clinic { name: CLINIC.into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
    let replies = Replies::new(
        clinic,
        Arc::new(inbox),
        Arc::new(MockAppointmentRepository::new()),
        Arc::new(ManualClock::new(NOW)),
        true,
    );
    assert_eq!(replies.mark_read(InboundMessageId::generate()), Err(InboxError::NotFound));
}
