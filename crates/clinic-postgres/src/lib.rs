//! The PostgreSQL adapter: every repository port over diesel and r2d2, the embedded
//! migrations, and a private local cluster for the embedded default and for tests.

mod appointments;
mod arrivals;
mod changes;
mod closures;
pub mod cluster;
mod doctor_day;
mod doctors;
mod inbox;
mod metrics;
mod notifications;
mod outbox;
mod patient_records;
mod patients;
mod pool;
mod queue;
mod schema;
mod sign_in;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;

pub use metrics::{OutboxBacklog, PoolState};
pub use pool::unit_of_work;
pub use store::{MIGRATIONS, PgStore, create_database, migrate};
