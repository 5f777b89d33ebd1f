//! Reminders: one per booked appointment and lead time before its start, however often
//! and from however many places the job is triggered.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use time::Duration;

use crate::outbox::{DeliveryReport, Outbox, Until};
use crate::ports::{Clock, NotificationRepository, StoreError};
use crate::reminder::ReminderSchedule;

/// How long one run may spend sending before it leaves the rest to the outbox worker.
pub const DEFAULT_BUDGET: Duration = Duration::seconds(25);

pub struct Reminders {
    notifications: Arc<dyn NotificationRepository>,
    outbox: Arc<Outbox>,
    clock: Arc<dyn Clock>,
    schedule: ReminderSchedule,
    budget: Duration,
}

impl Reminders {
    pub fn new(
        notifications: Arc<dyn NotificationRepository>,
        outbox: Arc<Outbox>,
        clock: Arc<dyn Clock>,
        schedule: ReminderSchedule,
        budget: Duration,
    ) -> Self {
        Self { notifications, outbox, clock, schedule, budget }
    }

    /// Creates the missing reminders of the window, then sends due reminders until the
    /// budget is spent; what is left stays pending for the outbox worker. The report
    /// counts what this run handled.
    pub fn run(&self, stop: &AtomicBool) -> Result<DeliveryReport, StoreError> {
        let now = self.clock.now();
        let window = self.schedule.window(now);
        self.notifications.create_reminders(&window)?;
        self.outbox.deliver_reminders(&Until { deadline: Some(now + self.budget), stop })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::*;
    use crate::clinic::{Clinic, ClinicZone};
    use crate::delivery::{Delivery, DueNotification, Recorded, Scope};
    use crate::gateway::MockSmsGateway;
    use crate::outbox::DeliverySettings;
    use crate::ports::{ClaimedBatch, ManualClock, MockNotificationRepository};
    use crate::reminder::ReminderWindow;

    const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

    struct EmptyBatch;

    impl ClaimedBatch for EmptyBatch {
        fn notifications(&self) -> &[DueNotification] {
            &[]
        }

        fn finish(&mut self, _: &[Delivery]) -> Result<Recorded, StoreError> {
            Ok(Recorded::default())
        }
    }

    #[test]
    fn a_run_creates_the_windows_reminders_then_sends_reminders_within_its_budget() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let mut repository = MockNotificationRepository::new();
        let log = calls.clone();
        repository.expect_create_reminders().times(1).returning(move |window| {
            let leads = vec![Duration::hours(24), Duration::hours(2)];
            assert_eq!(*window, ReminderWindow { now: NOW, leads, due_at: NOW });
            log.lock().unwrap().push("create");
            Ok(3)
        });
        let log = calls.clone();
        repository.expect_claim_due().times(1).returning(move |scope, now, _| {
            assert_eq!((scope, now), (Scope::Reminders, NOW));
            log.lock().unwrap().push("claim");
            Ok(Box::new(EmptyBatch))
        });
        let repository = Arc::new(repository);
        let clock = Arc::new(ManualClock::new(NOW));
        let clinic = Clinic { name: "C".into(), zone: ClinicZone::parse("Asia/Singapore").unwrap() };
        let outbox = Arc::new(Outbox::new(
            clinic,
            repository.clone(),
            Arc::new(MockSmsGateway::new()),
            clock.clone(),
            DeliverySettings::default(),
        ));
        let schedule = ReminderSchedule {
            leads: vec![Duration::hours(24), Duration::hours(2)],
            quiet: None,
            zone: ClinicZone::parse("Asia/Singapore").unwrap(),
        };
        let reminders = Reminders::new(repository, outbox, clock, schedule, DEFAULT_BUDGET);
        let report = reminders.run(&AtomicBool::new(false)).unwrap();
        assert_eq!(report, DeliveryReport::default());
        assert_eq!(*calls.lock().unwrap(), vec!["create", "claim"]);
    }
}
