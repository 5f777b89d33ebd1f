//! The outbox worker's doorbell: a booking rings it after commit so the confirmation
//! goes out at once instead of at the next poll.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

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
