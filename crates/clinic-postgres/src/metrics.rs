//! What a metrics scrape reads: the outbox's backlog and the pool's connections.

use clinic_domain::ports::StoreError;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use time::OffsetDateTime;

use crate::schema::notifications;
use crate::store::PgStore;

/// The messages waiting to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub pending: i64,
    /// The earliest `next_attempt_at` among them; `None` when nothing is pending.
    pub earliest_due: Option<OffsetDateTime>,
}

/// The pool's connections right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

impl PgStore {
    /// One aggregate over the pending rows, which the partial index `notifications_due`
    /// (on `next_attempt_at`, pending rows only) holds: cheap at any scrape rate.
    pub fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        let (pending, earliest_due) = self.run(|conn| {
            notifications::table
                .filter(crate::notifications::pending())
                .select((count_star(), min(notifications::next_attempt_at)))
                .first::<(i64, Option<OffsetDateTime>)>(conn)
        })?;
        Ok(OutboxBacklog { pending, earliest_due })
    }

    /// r2d2's own counts; no connection is taken to read them.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }
}
