//! The outbox worker: a thread that delivers due messages, woken by each booking's
//! commit so its confirmation goes out at once, and polling meanwhile for retries and
//! for rows other instances committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use clinic_domain::outbox::{Outbox, Scope, Until};

/// How often the worker looks for due rows when nobody rings.
pub const POLL: Duration = Duration::from_secs(1);

pub struct Worker {
    stop: Arc<AtomicBool>,
    wakeup: Wakeup,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn start(outbox: Arc<Outbox>, wakeup: Wakeup, poll: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, wakeup) = (stop.clone(), wakeup.clone());
            std::thread::spawn(move || {
                log::info!("outbox worker started");
                while !stop.load(Ordering::SeqCst) {
                    match outbox.deliver_due(Scope::Everything, &Until { deadline: None, stop: &stop }) {
                        Ok(report) if report.processed > 0 => log::info!(
                            "outbox: {} sent, {} failed or to retry, {} skipped",
                            report.sent,
                            report.failed,
                            report.skipped
                        ),
                        Ok(_) => {}
                        Err(e) => log::warn!("outbox: {e}"),
                    }
                    wakeup.wait(poll);
                }
                log::info!("outbox worker stopped");
            })
        };
        Self { stop, wakeup, thread: Some(thread) }
    }

    /// Stops claiming, lets messages in flight finish (their rows are recorded; rows not
    /// reached are released untouched) and waits for the thread.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wakeup.wake();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                log::error!("the outbox worker panicked");
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shut_down();
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
