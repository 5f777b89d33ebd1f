//! The pool's connections: validated only after an idle second or a lost connection, and
//! shared by every call of one unit of work (a request's domain call) on its thread.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, ManageConnection, PooledConnection, R2D2Connection};

/// A connection returned this recently is handed out without a `SELECT 1` (as HikariCP's
/// `aliveBypassWindowMs`): it just worked, and the ping would double a short request's
/// round trips.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// Connections lost anywhere in the process so far. Diesel cannot tell a connection whose
/// server went away from a healthy one; an error saying so bumps this, and every pooled
/// connection is pinged at its next checkout, so a restart of PostgreSQL is survived.
static LOSSES: AtomicU64 = AtomicU64::new(0);

/// Counts a lost connection (see [`LOSSES`]).
pub(crate) fn connection_lost() {
    LOSSES.fetch_add(1, Ordering::SeqCst);
}

/// A pooled PostgreSQL connection, with when it was last returned.
pub struct Tracked {
    conn: PgConnection,
    returned_at: Instant,
    losses_seen: u64,
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
/// returned before a connection was lost.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl Manager {
    pub fn new(url: &str) -> Self {
        Self(ConnectionManager::new(url))
    }
}

impl ManageConnection for Manager {
    type Connection = Tracked;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Tracked, Self::Error> {
        let losses_seen = LOSSES.load(Ordering::SeqCst);
        Ok(Tracked { conn: self.0.connect()?, returned_at: Instant::now(), losses_seen })
    }

    fn is_valid(&self, conn: &mut Tracked) -> Result<(), Self::Error> {
        let losses = LOSSES.load(Ordering::SeqCst);
        if conn.losses_seen == losses && conn.returned_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
        conn.losses_seen = losses;
        Ok(())
    }

    /// Called by r2d2 as each connection comes back.
    fn has_broken(&self, conn: &mut Tracked) -> bool {
        conn.returned_at = Instant::now();
        self.0.has_broken(&mut conn.conn)
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
}

impl PgPooled {
    /// The unit's connection of `pool`, or one `checkout` gives (kept by the unit, if any).
    pub(crate) fn get<E>(pool: PoolId, checkout: impl FnOnce() -> Result<Pooled, E>) -> Result<Self, E> {
        let (unit, idle) = UNIT.with_borrow_mut(|unit| match unit {
            Some(unit) => {
                let at = unit.idle.iter().position(|(id, _)| *id == pool);
                (Some(unit.id), at.map(|at| unit.idle.swap_remove(at).1))
            }
            None => (None, None),
        });
        // After a lost connection the pool validates it again instead.
        let idle = idle.filter(|conn| conn.losses_seen == LOSSES.load(Ordering::SeqCst));
        let conn = match idle {
            Some(conn) => conn,
            None => checkout()?,
        };
        Ok(Self { conn: Some(conn), lent: unit.map(|unit| (unit, pool)) })
    }
}

impl Drop for PgPooled {
    fn drop(&mut self) {
        let (Some((unit_id, pool)), Some(conn)) = (self.lent, self.conn.take()) else { return };
        // Kept if the unit is still open on this thread and keeps none of this pool yet;
        // else back to the pool.
        let kept = UNIT.with_borrow_mut(|unit| match unit {
            Some(unit)
                if unit.id == unit_id
                    && !std::thread::panicking()
                    && !unit.idle.iter().any(|(id, _)| *id == pool) =>
            {
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
