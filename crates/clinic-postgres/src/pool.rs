//! The pool's connections: validated only after an idle second or a lost connection, and
//! shared by every call of one unit of work (a request's domain call) on its thread.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, PooledConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A connection returned this recently is handed out without a `SELECT 1` (as HikariCP's
/// `aliveBypassWindowMs`): it just worked, and the ping would double a short request's
/// round trips.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// Whether `error` says the connection is gone (closed by the server, or the socket).
pub(crate) fn is_lost(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    )
}

/// What a connection's instrumentation saw of it.
#[derive(Debug, Default)]
struct Seen {
    /// Statements sent, validation pings included.
    statements: AtomicUsize,
    /// An error said the connection is gone: it is dropped when returned.
    lost: AtomicBool,
    /// A validation ping is under way (not counted as the service's statement).
    validating: AtomicBool,
}

/// A pooled PostgreSQL connection, with when it was last returned.
pub struct Tracked {
    conn: PgConnection,
    seen: Arc<Seen>,
    returned_at: Instant,
    losses_seen: u64,
    /// Pinged at its last checkout.
    pinged: bool,
}

impl Tracked {
    fn lost(&self) -> bool {
        self.seen.lost.load(Ordering::SeqCst)
    }

    fn sent(&self) -> usize {
        self.seen.statements.load(Ordering::SeqCst)
    }

    /// Fit for the unit's next call: not lost, no transaction left open or broken.
    fn healthy(&mut self) -> bool {
        !self.lost() && !self.conn.is_broken()
    }
}

impl Deref for Tracked {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// Diesel's manager, pinging only connections idle longer than [`TRUSTED_FOR`] or
/// returned before one of the pool's connections was lost.
#[derive(Debug)]
pub struct Manager {
    diesel: ConnectionManager<PgConnection>,
    /// Connections of this pool lost so far. Diesel cannot tell a connection whose server
    /// went away from a healthy one; one found gone bumps this, and every connection of the
    /// pool is pinged at its next checkout, so a restart of PostgreSQL is survived. Per
    /// pool: another database's failover is none of this one's business.
    losses: Arc<AtomicU64>,
    counter: Option<StatementCounter>,
}

impl Manager {
    pub(crate) fn new(url: &str, counter: Option<StatementCounter>) -> Self {
        Self { diesel: ConnectionManager::new(url), losses: Arc::default(), counter }
    }

    /// The pool's loss count, for the store's units of work.
    pub(crate) fn losses(&self) -> Arc<AtomicU64> {
        self.losses.clone()
    }
}

impl ManageConnection for Manager {
    type Connection = Tracked;
    type Error = diesel::r2d2::Error;

    /// An outbox batch keeps its transaction open while it sends; a server-wide
    /// `idle_in_transaction_session_timeout` must not end it midway, which would release
    /// its rows to another worker while this one is still sending.
    fn connect(&self) -> Result<Tracked, Self::Error> {
        let losses_seen = self.losses.load(Ordering::SeqCst);
        let mut conn = self.diesel.connect()?;
        conn.batch_execute("SET idle_in_transaction_session_timeout = 0")
            .map_err(diesel::r2d2::Error::QueryError)?;
        // After the settings, so that a statement counter counts the service's own only.
        let seen = Arc::new(Seen::default());
        conn.set_instrumentation(watch(seen.clone(), self.counter.clone()));
        Ok(Tracked { conn, seen, returned_at: Instant::now(), losses_seen, pinged: false })
    }

    fn is_valid(&self, conn: &mut Tracked) -> Result<(), Self::Error> {
        let losses = self.losses.load(Ordering::SeqCst);
        if conn.losses_seen == losses && conn.returned_at.elapsed() < TRUSTED_FOR {
            conn.pinged = false;
            return Ok(());
        }
        conn.seen.validating.store(true, Ordering::SeqCst);
        let pinged = conn.conn.ping();
        conn.seen.validating.store(false, Ordering::SeqCst);
        if conn.lost() {
            // Its neighbours returned within the second may be gone too (a restart).
            self.losses.fetch_add(1, Ordering::SeqCst);
        }
        pinged.map_err(diesel::r2d2::Error::QueryError)?;
        (conn.losses_seen, conn.pinged) = (losses, true);
        Ok(())
    }

    /// Called by r2d2 as each connection comes back.
    fn has_broken(&self, conn: &mut Tracked) -> bool {
        conn.returned_at = Instant::now();
        if conn.lost() {
            self.losses.fetch_add(1, Ordering::SeqCst);
            return true;
        }
        self.diesel.has_broken(&mut conn.conn)
    }
}

/// Counts the statements a connection sends, notes one that finds it gone, and tells
/// `counter` (tests) of the service's statements.
fn watch(seen: Arc<Seen>, counter: Option<StatementCounter>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { .. } => {
            seen.statements.fetch_add(1, Ordering::SeqCst);
            if let Some(counter) = &counter {
                let ping = seen.validating.load(Ordering::SeqCst);
                let count = if ping { &counter.pings } else { &counter.statements };
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
        InstrumentationEvent::FinishQuery { error: Some(error), .. } if is_lost(error) => {
            seen.lost.store(true, Ordering::SeqCst);
        }
        _ => {}
    }
}

/// How many SQL statements a store's connections have sent (tests), and apart from them
/// how many checkout pings validated its connections.
#[derive(Debug, Clone, Default)]
pub struct StatementCounter {
    statements: Arc<AtomicUsize>,
    pings: Arc<AtomicUsize>,
}

impl StatementCounter {
    /// The service's own statements, checkout pings left out.
    pub fn count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// The checkout pings.
    pub fn pings(&self) -> usize {
        self.pings.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.statements.store(0, Ordering::SeqCst);
        self.pings.store(0, Ordering::SeqCst);
    }
}

type Pooled = PooledConnection<Manager>;

/// Identifies a pool, so that a unit of work keeps one connection of each.
pub(crate) type PoolId = u64;

pub(crate) fn next_pool_id() -> PoolId {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The unit of work open on this thread: its id, and the connection of each pool it
/// checked out, while no call is using it.
#[derive(Default)]
struct Unit {
    id: u64,
    idle: Vec<(PoolId, Pooled)>,
}

thread_local! {
    static UNIT: RefCell<Option<Unit>> = const { RefCell::new(None) };
}

/// Runs `work` as one unit of work: every store call it makes on this thread shares one
/// checkout per pool (returned when `work` ends), instead of one checkout each. A call
/// that needs a second connection while the first is in use (the outbox records attempts
/// beside its batch) still gets one from the pool. Nested units join the outer one.
pub fn unit_of_work<T>(work: impl FnOnce() -> T) -> T {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let opened = UNIT.with_borrow_mut(|unit| {
        if unit.is_some() {
            return false;
        }
        *unit = Some(Unit { id: NEXT.fetch_add(1, Ordering::Relaxed), idle: Vec::new() });
        true
    });
    // Closed even if `work` panics, so that the thread's next unit starts clean.
    struct Close(bool);
    impl Drop for Close {
        fn drop(&mut self) {
            if self.0 {
                let unit = UNIT.with_borrow_mut(Option::take);
                drop(unit);
            }
        }
    }
    let _close = Close(opened);
    work()
}

/// A connection checked out of the pool, or lent by the thread's unit of work (and given
/// back to it when dropped on the same thread, within the same unit).
pub(crate) struct PgPooled {
    conn: Option<Pooled>,
    lent: Option<(u64, PoolId)>,
    /// Pinged as it was handed out.
    pinged: bool,
}

impl PgPooled {
    /// The unit's connection of `pool`, or one `checkout` gives (kept by the unit, if any).
    /// `losses` is the pool's loss count ([`Manager::losses`]).
    pub(crate) fn get<E>(
        pool: PoolId,
        losses: &AtomicU64,
        checkout: impl FnOnce() -> Result<Pooled, E>,
    ) -> Result<Self, E> {
        let (unit, idle) = UNIT.with_borrow_mut(|unit| match unit {
            Some(unit) => {
                let at = unit.idle.iter().position(|(id, _)| *id == pool);
                (Some(unit.id), at.map(|at| unit.idle.swap_remove(at).1))
            }
            None => (None, None),
        });
        // After a lost connection the pool validates it again instead.
        let idle = idle.filter(|conn| conn.losses_seen == losses.load(Ordering::SeqCst));
        let (conn, pinged) = match idle {
            Some(conn) => (conn, false),
            None => {
                let conn = checkout()?;
                let pinged = conn.pinged;
                (conn, pinged)
            }
        };
        Ok(Self { conn: Some(conn), lent: unit.map(|unit| (unit, pool)), pinged })
    }

    /// Statements sent on the connection so far.
    pub(crate) fn sent(&self) -> usize {
        self.conn.as_ref().map_or(0, |conn| conn.sent())
    }

    /// Whether the connection, handed out without a ping, was found gone by the first
    /// statement sent after `sent`: a call begun there cannot have committed anything.
    pub(crate) fn dead_on_arrival(&self, sent: usize) -> bool {
        self.conn.as_ref().is_some_and(|conn| !self.pinged && conn.lost() && conn.sent() == sent + 1)
    }
}

impl Drop for PgPooled {
    fn drop(&mut self) {
        let (Some((unit_id, pool)), Some(mut conn)) = (self.lent, self.conn.take()) else { return };
        // Kept if healthy, the unit is still open on this thread and keeps none of this
        // pool yet; else back to the pool (which drops it if broken or lost).
        let healthy = !std::thread::panicking() && conn.healthy();
        let kept = UNIT.with_borrow_mut(|unit| match unit {
            Some(unit) if healthy && unit.id == unit_id && !unit.idle.iter().any(|(id, _)| *id == pool) => {
                unit.idle.push((pool, conn));
                None
            }
            _ => Some(conn),
        });
        drop(kept);
    }
}

impl Deref for PgPooled {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        // Present from construction until drop.
        self.conn.as_deref().map(Deref::deref).unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for PgPooled {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_deref_mut().map(DerefMut::deref_mut).unwrap_or_else(|| unreachable!())
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests;
