//! The load generator: a thread per connection, each with its own keep-alive connection,
//! sending requests until the time is up.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::server::agent;

/// What one run measured.
pub struct Run {
    pub requests: usize,
    /// Answers outside 200..=299, by status.
    pub statuses: Vec<u16>,
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q`, in milliseconds.
    pub fn ms_at(&self, q: f64) -> f64 {
        let at = ((self.latencies.len().max(1) - 1) as f64 * q) as usize;
        self.latencies.get(at).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    pub fn non_2xx(&self) -> usize {
        self.statuses.iter().filter(|s| !(200..300).contains(*s)).count()
    }
}

/// `connections` clients sending `request(agent, client)` (which answers the status) for
/// `duration`, all released together.
pub fn drive(
    connections: usize,
    duration: Duration,
    request: impl Fn(&ureq::Agent, usize) -> u16 + Sync,
) -> Run {
    let start = Barrier::new(connections + 1);
    let (results, elapsed) = std::thread::scope(|s| {
        let clients: Vec<_> = (0..connections)
            .map(|client| {
                let (request, start) = (&request, &start);
                s.spawn(move || {
                    let agent = agent();
                    start.wait();
                    let deadline = Instant::now() + duration;
                    let mut results = Vec::new();
                    while Instant::now() < deadline {
                        let began = Instant::now();
                        let status = request(&agent, client);
                        results.push((status, began.elapsed()));
                    }
                    results
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        let results: Vec<_> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
        (results, began.elapsed())
    });
    let (statuses, mut latencies): (Vec<u16>, Vec<Duration>) = results.into_iter().unzip();
    latencies.sort();
    Run { requests: statuses.len(), statuses, elapsed, latencies }
}
