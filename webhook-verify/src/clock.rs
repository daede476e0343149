//! Where "now" comes from, so tests and the CLI can freeze it.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time as Unix seconds.
///
/// The verifier asks its clock once per delivery that carries a timestamp.
///
/// ```
/// use webhook_verify::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now_unix(), 1_700_000_000);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The system's wall clock (the default).
///
/// ```
/// use webhook_verify::{Clock, SystemClock};
/// assert!(SystemClock.now_unix() > 1_600_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock frozen at a Unix time, for tests and `webhook verify --now`.
///
/// ```
/// use webhook_verify::{Clock, FixedClock};
/// let clock = FixedClock(1_674_087_231);
/// assert_eq!(clock.now_unix(), 1_674_087_231);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}
