//! A send-rate limit shared by everything that sends in this process.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Spaces calls evenly: at most `per_second` a second, waiting for a turn if need be.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next_turn: Mutex<Instant>,
}

impl RateLimiter {
    pub fn per_second(per_second: u32) -> Self {
        let interval = Duration::from_secs(1) / per_second.max(1);
        Self { interval, next_turn: Mutex::new(Instant::now()) }
    }

    /// Blocks until this caller's turn; turns are handed out in call order.
    pub fn wait_turn(&self) {
        let turn = {
            let mut next = self.next_turn.lock().unwrap_or_else(PoisonError::into_inner);
            let turn = (*next).max(Instant::now());
            *next = turn + self.interval;
            turn
        };
        let now = Instant::now();
        if turn > now {
            std::thread::sleep(turn - now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_are_spaced_by_the_rate() {
        let limiter = RateLimiter::per_second(50);
        let start = Instant::now();
        for _ in 0..11 {
            limiter.wait_turn();
        }
        // Ten intervals of 20 ms must have passed after the first, free, turn.
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
    }
}
