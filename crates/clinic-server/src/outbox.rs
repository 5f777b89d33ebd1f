//! Background work: the outbox worker, woken by each booking's commit so its
//! confirmation goes out at once and polling meanwhile for retries and for rows other
//! instances committed; and, when `REMINDER_INTERVAL` is set, the reminders job.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use clinic_domain::booking::Booking;
use clinic_domain::outbox::{DeliveryReport, Outbox, Until, panic_message};
use clinic_domain::reminders::Reminders;

/// How often the outbox worker looks for due rows when nobody rings.
pub const POLL: Duration = Duration::from_secs(1);

/// A thread that runs a job, then waits for a ring or `every`, until stopped.
pub struct Background {
    name: &'static str,
    stop: Arc<AtomicBool>,
    wakeup: Wakeup,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    pub fn start(
        name: &'static str,
        every: Duration,
        wakeup: Wakeup,
        mut job: impl FnMut(&AtomicBool) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, wakeup) = (stop.clone(), wakeup.clone());
            std::thread::spawn(move || {
                log::info!("{name} started");
                let mut run: u64 = 0;
                while !stop.load(Ordering::SeqCst) {
                    run += 1;
                    // Every line a run logs says which job and which run it came from.
                    let _run = tracing::info_span!("job", name, run).entered();
                    // A panicking run must not end the thread: its batch was dropped
                    // (its rows released), and the next run goes on.
                    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| job(&stop))) {
                        log::error!("{name}: a run panicked and was abandoned: {}", panic_message(&*panic));
                    }
                    wakeup.wait(every);
                }
                log::info!("{name} stopped");
            })
        };
        Self { name, stop, wakeup, thread: Some(thread) }
    }

    /// Lets the job in progress finish (the outbox records messages in flight and
    /// releases rows it did not reach) and waits for the thread.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wakeup.wake();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("the {} panicked", self.name);
            }
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// The outbox worker, rung by `wakeup`.
/// How long the worker waits before it claims: confirmations committed in a burst then go
/// out in one batch (one claim, one record of attempts and of outcomes) instead of a batch
/// each, which under load was as much database work as the bookings themselves.
const GATHER: Duration = Duration::from_millis(20);

pub fn outbox_worker(outbox: Arc<Outbox>, wakeup: Wakeup, poll: Duration) -> Background {
    Background::start("outbox worker", poll, wakeup, move |stop| {
        std::thread::sleep(GATHER);
        match outbox.deliver_due(&Until { deadline: None, stop }) {
            Ok(report) => log_report("outbox", report),
            Err(e) => log::warn!("outbox: {e}"),
        }
    })
}

/// Runs the reminders job every `every`, for clinics that cannot set up a cron.
pub fn reminder_schedule(reminders: Arc<Reminders>, every: Duration) -> Background {
    Background::start("reminder schedule", every, Wakeup::default(), move |stop| match reminders.run(stop) {
        Ok(report) => log_report("reminders", report),
        Err(e) => log::warn!("reminders: {e}"),
    })
}

/// Tidies what expires: idempotency keys past their 24 hours.
pub fn housekeeping(booking: Arc<Booking>, every: Duration) -> Background {
    Background::start("housekeeping", every, Wakeup::default(), move |_| {
        match booking.forget_expired_keys() {
            Ok(0) => {}
            Ok(forgotten) => log::info!("forgot {forgotten} expired idempotency keys"),
            Err(e) => log::warn!("housekeeping: {e}"),
        }
    })
}

fn log_report(what: &str, report: DeliveryReport) {
    if report.processed > 0 || report.left > 0 {
        log::info!(
            "{what}: {} sent ({} adopted from an earlier attempt), {} failed or to retry, {} skipped, {} left for later, {} unrecorded",
            report.sent,
            report.adopted,
            report.failed,
            report.skipped,
            report.left,
            report.unrecorded
        );
    }
}

/// The worker's doorbell.
#[derive(Clone, Default)]
pub struct Wakeup(Arc<(Mutex<bool>, Condvar)>);

impl Wakeup {
    pub fn wake(&self) {
        let (rung, bell) = &*self.0;
        *rung.lock().unwrap_or_else(PoisonError::into_inner) = true;
        bell.notify_all();
    }

    /// Waits until woken or `timeout` passes; whether it was woken. Consumes the ring.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (rung, bell) = &*self.0;
        let guard = rung.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) =
            bell.wait_timeout_while(guard, timeout, |rung| !*rung).unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *guard, false)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_ring_before_the_wait_is_not_lost() {
        let wakeup = Wakeup::default();
        wakeup.wake();
        assert!(wakeup.wait(Duration::from_secs(60)));
        assert!(!wakeup.wait(Duration::from_millis(1)), "a ring is consumed by one wait");
    }

    #[test]
    fn a_ring_from_another_thread_ends_the_wait() {
        let wakeup = Wakeup::default();
        let ringer = wakeup.clone();
        let started = Instant::now();
        let thread = std::thread::spawn(move || ringer.wake());
        assert!(wakeup.wait(Duration::from_secs(60)));
        assert!(started.elapsed() < Duration::from_secs(60));
        thread.join().unwrap();
    }
}
