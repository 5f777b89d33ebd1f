use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::clinic::ClinicZone;
use crate::phone::PhoneNumber;
use crate::ports::{ManualClock, MockNotificationRepository, MockPatientRepository};

const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

fn events(patients: MockPatientRepository, notifications: MockNotificationRepository) -> MessageEvents {
    let clinic =
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
    MessageEvents::new(clinic, Arc::new(patients), Arc::new(notifications), Arc::new(ManualClock::new(NOW)))
}

#[test]
fn a_status_replaces_only_an_earlier_one() {
    assert!(supersedes("queued", None));
    assert!(supersedes("sent", Some("queued")));
    assert!(supersedes("delivered", Some("sent")));
    assert!(supersedes("read", Some("delivered")));
    assert!(!supersedes("sent", Some("delivered")), "late callbacks do not undo a delivery");
    assert!(!supersedes("queued", Some("sent")));
    assert!(!supersedes("delivered", Some("delivered")), "a repeat changes nothing");
    assert!(!supersedes("failed", Some("delivered")), "one final state never replaces another");
    assert!(!supersedes("delivered", Some("undelivered")));
    assert!(!supersedes("something-new", Some("queued")));
    assert!(supersedes("something-new", None));
}

#[test]
fn opt_out_and_opt_in_keywords_in_any_case_and_spacing() {
    for text in ["STOP", " stop ", "StopAll", "unsubscribe", "Cancel", "END\n", "quit"] {
        assert_eq!(Keyword::of(text, None), Some(Keyword::OptOut), "{text:?}");
    }
    for text in ["START", "yes", " Unstop"] {
        assert_eq!(Keyword::of(text, None), Some(Keyword::OptIn), "{text:?}");
    }
    for text in ["help", "INFO "] {
        assert_eq!(Keyword::of(text, None), Some(Keyword::Help), "{text:?}");
    }
    for text in ["stop please", "Thanks, see you", "", "STOPP"] {
        assert_eq!(Keyword::of(text, None), None, "{text:?}");
    }
    assert_eq!(Keyword::of("please don't text me", Some("STOP")), Some(Keyword::OptOut));
    assert_eq!(Keyword::of("ok", Some("START")), Some(Keyword::OptIn));
    assert_eq!(Keyword::of("stop", Some("")), Some(Keyword::OptOut));
}

#[test]
fn stop_opts_every_profile_with_the_phone_out() {
    let mut patients = MockPatientRepository::new();
    patients
        .expect_set_sms_opt_in()
        .withf(|phone, opt_in, at| phone.as_str() == "+6591234567" && !*opt_in && *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(2));
    let received = events(patients, MockNotificationRepository::new())
        .received("whatsapp:+6591234567", " Stop ", None)
        .unwrap();
    let from = PhoneNumber::parse("+6591234567").ok();
    assert_eq!(
        received,
        Received { from, keyword: Some(Keyword::OptOut), profiles: 2, answer: Answer::Nothing, reply: None }
    );
}

#[test]
fn start_opts_back_in_and_help_is_answered_with_the_clinics_name() {
    let mut patients = MockPatientRepository::new();
    patients.expect_set_sms_opt_in().withf(|_, opt_in, _| *opt_in).times(1).returning(|_, _, _| Ok(1));
    let events = events(patients, MockNotificationRepository::new());
    assert_eq!(events.received("+6591234567", "start", None).unwrap().profiles, 1);
    let Answer::Text(help) = events.received("+6591234567", "HELP", None).unwrap().answer else { panic!() };
    assert!(help.starts_with("Gabriel Family Clinic"));
}

#[test]
fn other_texts_and_unreadable_senders_change_nothing() {
    let events = events(MockPatientRepository::new(), MockNotificationRepository::new());
    assert_eq!(events.received("+6591234567", "See you tomorrow", None).unwrap().answer, Answer::Nothing);
    assert_eq!(events.received("not-a-phone", "STOP", None).unwrap().profiles, 0);
}

#[test]
fn a_status_callback_updates_only_forward_and_ignores_unknown_messages() {
    let mut notifications = MockNotificationRepository::new();
    notifications
        .expect_delivery_status()
        .withf(|sid| sid == "SM1")
        .returning(|_| Ok(Some(Some("sent".into()))));
    notifications
        .expect_delivery_status()
        .withf(|sid| sid == "SM2")
        .returning(|_| Ok(Some(Some("delivered".into()))));
    notifications.expect_delivery_status().withf(|sid| sid == "SMX").times(2).returning(|_| Ok(None));
    notifications
        .expect_keep_early_report()
        .withf(|r| r.sid == "SMX" && r.status == "delivered")
        .times(1)
        .returning(|_| Ok(()));
    notifications
        .expect_record_delivery_status()
        .withf(|sid, current, status, code, at| {
            sid == "SM1"
                && current.as_deref() == Some("sent")
                && status == "undelivered"
                && code.as_deref() == Some("30003")
                && *at == NOW
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(true));
    let events = events(MockPatientRepository::new(), notifications);
    assert!(events.delivery_status("SM1", "undelivered", Some("30003")).unwrap());
    assert!(events.delivery_status("SM2", "sent", None).unwrap(), "known, but nothing to change");
    assert!(!events.delivery_status("SMX", "delivered", None).unwrap(), "kept for later, not known yet");
}

#[test]
fn a_report_whose_send_is_recorded_meanwhile_is_applied_at_once() {
    let mut notifications = MockNotificationRepository::new();
    let mut reads = vec![Some(None), None];
    notifications.expect_delivery_status().times(2).returning(move |_| Ok(reads.pop().unwrap()));
    notifications.expect_keep_early_report().times(1).returning(|_| Ok(()));
    notifications.expect_record_delivery_status().times(1).returning(|_, _, _, _, _| Ok(true));
    let events = events(MockPatientRepository::new(), notifications);
    assert!(events.delivery_status("SM1", "sent", None).unwrap());
}

#[test]
fn a_status_callback_that_loses_a_race_decides_again() {
    let mut notifications = MockNotificationRepository::new();
    let mut reads = vec![Some(Some("delivered".to_owned())), Some(Some("queued".to_owned()))];
    notifications.expect_delivery_status().times(2).returning(move |_| Ok(reads.pop().unwrap()));
    notifications.expect_record_delivery_status().times(1).returning(|_, _, _, _, _| Ok(false));
    let events = events(MockPatientRepository::new(), notifications);
    assert!(events.delivery_status("SM1", "sent", None).unwrap());
}

#[test]
fn keywords_come_before_replies_and_other_texts_go_to_them() {
    use crate::ports::{MockAppointmentRepository, MockInboxRepository};
    use crate::replies::{Handled, Replies};

    let mut inbox = MockInboxRepository::new();
    // Only the one text that is no keyword reaches the replies: a visit is looked up, and
    // the text (no reminded visit) is kept.
    inbox.expect_reminded_visit().times(1).returning(|_, _, _| Ok(None));
    inbox.expect_keep().withf(|m| m.body == "C").times(1).returning(|_| Ok(()));
    let clinic =
        Clinic { name: "Gabriel Family Clinic".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
    let clock = Arc::new(ManualClock::new(NOW));
    let replies =
        Replies::new(clinic, Arc::new(inbox), Arc::new(MockAppointmentRepository::new()), clock, true);
    let mut patients = MockPatientRepository::new();
    patients.expect_set_sms_opt_in().times(2).returning(|_, _, _| Ok(1));
    let events = events(patients, MockNotificationRepository::new()).answering(Arc::new(replies));
    for keyword in ["CANCEL", "START", "HELP"] {
        assert_eq!(events.received("+6591234567", keyword, None).unwrap().reply, None, "{keyword}");
    }
    let received = events.received("+6591234567", "C", None).unwrap();
    assert!(matches!(received.reply, Some(Handled::Kept(_))), "{received:?}");
    assert!(matches!(received.answer, Answer::Text(ref text) if text.contains("passed your message")));
}
