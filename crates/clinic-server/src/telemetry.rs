//! Logging: `tracing` spans and events to stderr, filtered by `RUST_LOG` (default `info`).
//! The `log` macros used across the crates go through the same filter and carry the
//! fields of the span they run in (a request's id, a worker run's number).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Installs the process's logger, and the bridge that turns `log` records into events.
/// Directives `RUST_LOG` gets wrong are ignored, as `env_logger` did, not fatal.
pub fn init() {
    let filter = EnvFilter::builder().with_default_directive(LevelFilter::INFO.into()).from_env_lossy();
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}
