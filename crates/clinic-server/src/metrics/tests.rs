use actix_web::http::Method;
use clinic_postgres::{OutboxBacklog, PoolState};
use time::macros::datetime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-11-24 08:00 UTC);

fn scrape(backlog: Option<OutboxBacklog>) -> Scrape {
    Scrape { now: NOW, backlog, pool: PoolState { in_use: 1, idle: 2, max: 10 } }
}

fn rendered(metrics: &Metrics, backlog: Option<OutboxBacklog>) -> String {
    metrics.render(&scrape(backlog)).unwrap()
}

#[test]
fn deliveries_are_counted_by_kind_and_outcome() {
    let metrics = Metrics::default();
    metrics.record_delivery("confirmation", "sent");
    metrics.record_delivery("confirmation", "sent");
    metrics.record_delivery("reminder", "retry");
    let text = rendered(&metrics, None);
    assert!(text.contains("# TYPE clinic_notifications_total counter"), "{text}");
    assert!(
        text.contains("clinic_notifications_total{kind=\"confirmation\",outcome=\"sent\"} 2\n"),
        "{text}"
    );
    assert!(text.contains("clinic_notifications_total{kind=\"reminder\",outcome=\"retry\"} 1\n"), "{text}");
}

#[test]
fn requests_are_counted_and_timed_by_route_method_and_status() {
    let metrics = Metrics::default();
    let took = Duration::from_millis(30);
    metrics.record_request("/api/appointments/{id}", &Method::GET, 404, took);
    metrics.record_request("/api/appointments/{id}", &Method::GET, 404, took);
    metrics.record_request(UNMATCHED_ROUTE, &Method::from_bytes(b"BREW").unwrap(), 404, took);
    let text = rendered(&metrics, None);
    let requests =
        "clinic_http_requests_total{route=\"/api/appointments/{id}\",method=\"GET\",status=\"404\"} 2\n";
    assert!(text.contains(requests), "{text}");
    assert!(text.contains("{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"), "{text}");
    let route = "route=\"/api/appointments/{id}\"";
    assert!(text.contains(&format!("clinic_http_request_duration_seconds_count{{{route}}} 2\n")), "{text}");
    assert!(
        text.contains(&format!("clinic_http_request_duration_seconds_bucket{{{route},le=\"0.025\"}} 0\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("clinic_http_request_duration_seconds_bucket{{{route},le=\"0.05\"}} 2\n")),
        "{text}"
    );
}

#[test]
fn a_scrape_reports_the_backlog_and_the_pool() {
    let metrics = Metrics::default();
    let backlog = OutboxBacklog { pending: 3, earliest_due: Some(NOW - time::Duration::seconds(90)) };
    let text = rendered(&metrics, Some(backlog));
    assert!(text.contains("clinic_outbox_pending 3\n"), "{text}");
    assert!(text.contains("clinic_outbox_oldest_pending_age_seconds 90.0\n"), "{text}");
    assert!(text.contains("clinic_db_pool_in_use_connections 1\n"), "{text}");
    assert!(text.contains("clinic_db_pool_idle_connections 2\n"), "{text}");
    assert!(text.contains("clinic_db_pool_max_connections 10\n"), "{text}");

    let not_yet_due = OutboxBacklog { pending: 1, earliest_due: Some(NOW + time::Duration::seconds(30)) };
    let text = rendered(&metrics, Some(not_yet_due));
    assert!(
        text.contains("clinic_outbox_oldest_pending_age_seconds 0.0\n"),
        "a retry not yet due is not late: {text}"
    );
}

#[test]
fn without_the_database_the_backlog_is_left_out_not_zero() {
    let text = rendered(&Metrics::default(), None);
    assert!(!text.contains("clinic_outbox_pending"), "{text}");
    assert!(text.contains("clinic_db_pool_max_connections 10\n"), "{text}");
}
