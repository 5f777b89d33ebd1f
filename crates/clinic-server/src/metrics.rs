//! The service's Prometheus metrics: what the process counts as it runs (requests,
//! bookings, deliveries), and what a scrape reads at that moment (the outbox's backlog,
//! the pool). Families and labels are listed in docs/operations.md.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use actix_web::http::Method;
use clinic_postgres::{OutboxBacklog, PoolState};
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use time::OffsetDateTime;

/// Prometheus's text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The `route` of requests no route matches, so probing paths cannot grow the label set.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Seconds; from a quick `GET /api/clinic` to the cron's 25-second budget.
const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    kind: String,
    outcome: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// What the process counts. One per process, shared by the HTTP workers and the
/// background jobs; every method is cheap and never blocks on I/O.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    bookings: Counter,
    deliveries: Family<DeliveryLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("clinic");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency = LatencyFamily::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route pattern",
            latency.clone(),
        );
        let bookings = Counter::default();
        registry.register(
            "bookings_created",
            "Appointments booked (idempotent replays not counted)",
            bookings.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "notifications",
            "Outbox messages handled, by kind and outcome",
            deliveries.clone(),
        );
        Self { registry, requests, latency, bookings, deliveries }
    }
}

impl Metrics {
    /// One answered request. `route` is the matched pattern (`/api/appointments/{id}`),
    /// never the raw path, or [`UNMATCHED_ROUTE`].
    pub fn record_request(&self, route: &str, method: &Method, status: u16, took: Duration) {
        let labels = RequestLabels { route: route.to_owned(), method: method_label(method), status };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&RouteLabels { route: labels.route }).observe(took.as_secs_f64());
    }

    /// A booking answered 201 that created its appointment.
    pub fn record_booking(&self) {
        self.bookings.inc();
    }

    /// One message the outbox gave an outcome: `kind` as stored (`confirmation`,
    /// `reminder`, …), `outcome` one of a small fixed set (`sent`, `retry`, `failed`,
    /// `skipped`). Call it once per message, where the outcome is decided. Never pass a
    /// phone number, a message text or an error message: labels are kept forever.
    pub fn record_delivery(&self, kind: &str, outcome: &str) {
        let labels = DeliveryLabels { kind: kind.to_owned(), outcome: outcome.to_owned() };
        self.deliveries.get_or_create(&labels).inc();
    }

    /// The exposition: the counted families, then what `scrape` read just now.
    pub fn render(&self, scrape: &Scrape) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        prometheus_text::encode(&mut text, &scrape.registry())?;
        Ok(text)
    }
}

/// What one scrape read at `now`; `backlog` is `None` when the database did not answer,
/// and its gauges are then left out rather than reported as zero.
pub struct Scrape {
    pub now: OffsetDateTime,
    pub backlog: Option<OutboxBacklog>,
    pub pool: PoolState,
}

impl Scrape {
    fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix("clinic");
        if let Some(backlog) = self.backlog {
            let age = backlog.earliest_due.map_or(0.0, |due| (self.now - due).as_seconds_f64().max(0.0));
            registry.register("outbox_pending", "Messages waiting to be sent", gauge(backlog.pending));
            registry.register(
                "outbox_oldest_pending_age_seconds",
                "How long the most overdue pending message has been due (0 when none is)",
                seconds(age),
            );
        }
        let pool = self.pool;
        registry.register(
            "db_pool_in_use_connections",
            "Pooled connections lent out",
            gauge(pool.in_use.into()),
        );
        registry.register(
            "db_pool_idle_connections",
            "Pooled connections open and idle",
            gauge(pool.idle.into()),
        );
        registry.register(
            "db_pool_max_connections",
            "The pool's size (DATABASE_POOL_SIZE)",
            gauge(pool.max.into()),
        );
        registry
    }
}

fn seconds(value: f64) -> Gauge<f64, AtomicU64> {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
}

fn gauge(value: i64) -> Gauge {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
}

/// Methods the API knows keep their name; anything else is `other`, so a client
/// cannot grow the label set either.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN.into_iter().find(|known| *known == method.as_str()).unwrap_or("other")
}

#[cfg(test)]
mod tests;
