//! Connections reused statement after statement, without sqlx's ping on release.
//!
//! sqlx 0.8 pings every connection that goes back to its pool (`PoolConnection::return_to_pool`
//! sends `/* SQLx ping */` and waits for the answer): a second round trip to the server per
//! statement, during which the connection serves nobody. The accept step is one statement per
//! delivery, so that ping cost it about a quarter of its throughput (`BENCHMARKS.md`, section
//! "webhook-inbox"). Here a statement that succeeded puts its connection on a [`Shelf`] for the
//! next statement; a failed, timed-out or cancelled one drops its connection back to the pool,
//! which pings it and closes it when broken. A connection left on the shelf for longer than
//! [`PING_IF_IDLE_FOR`] is pinged before it is used again (replaced if the ping fails).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection as _};

/// A connection idle for longer than this is pinged before a statement uses it.
pub(crate) const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Whether a connection idle for `idle` may be used: yes if it was used less than
/// [`PING_IF_IDLE_FOR`] ago, else if it answers a ping. The one rule for the shelf and for
/// sqlx's pool (`before_acquire`).
pub(crate) async fn is_live(conn: &mut AnyConnection, idle: Duration) -> bool {
    idle < PING_IF_IDLE_FOR || conn.ping().await.is_ok()
}

/// Connections taken from the pool and kept between statements.
///
/// A statement waiting for the pool must never wait for a connection on the shelf: a
/// connection goes on the shelf only while no statement waits for the pool, and a statement
/// counts itself as waiting before it looks at the shelf (under the lock `keep` reads it in), so
/// one of the two always sees the other.
#[derive(Default)]
pub(crate) struct Shelf {
    idle: Mutex<Vec<(PoolConnection<Any>, Instant)>>,
    /// Statements looking for a connection (on the shelf, then from the pool).
    waiting: AtomicUsize,
}

impl Shelf {
    /// A connection for one statement: a shelved one, else one from the pool.
    pub(crate) async fn take<'a>(&'a self, pool: &'a AnyPool) -> Result<Checkout<'a>, sqlx::Error> {
        let _waiting = Waiting::count(&self.waiting);
        let checkout = |conn| Checkout {
            conn,
            shelf: self,
            pool,
        };
        while let Some((mut conn, since)) = self.pop() {
            if is_live(&mut conn, since.elapsed()).await {
                return Ok(checkout(conn));
            }
        }
        Ok(checkout(pool.acquire().await?))
    }

    /// Shelves `conn`, on which a statement succeeded, unless a statement waits for the pool
    /// or the pool is closing: then the pool gets it back.
    fn keep(&self, pool: &AnyPool, conn: PoolConnection<Any>) {
        let mut idle = self.lock();
        // Checked under the lock that `clear` takes after the pool is marked closed: a
        // connection is either cleared by it or never shelved.
        if pool.is_closed() || self.waiting.load(Ordering::SeqCst) > 0 {
            drop(idle);
            drop(conn);
            return;
        }
        idle.push((conn, Instant::now()));
    }

    /// Gives every shelved connection back to the pool (called once it is marked closed).
    pub(crate) fn clear(&self) {
        let idle = std::mem::take(&mut *self.lock());
        drop(idle);
    }

    fn pop(&self) -> Option<(PoolConnection<Any>, Instant)> {
        self.lock().pop()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(PoolConnection<Any>, Instant)>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connection taken for one statement; [`keep`](Self::keep) it once the statement succeeded.
/// Dropped without it, the connection goes back to the pool (which pings it).
pub(crate) struct Checkout<'a> {
    conn: PoolConnection<Any>,
    shelf: &'a Shelf,
    pool: &'a AnyPool,
}

impl Checkout<'_> {
    /// The statement succeeded: the connection is fit for the next one.
    pub(crate) fn keep(self) {
        self.shelf.keep(self.pool, self.conn);
    }
}

impl Deref for Checkout<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for Checkout<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// Counts a statement as waiting for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, Ordering::SeqCst);
        Self(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
