//! How a queue retries, reclaims and shuts down: one [`QueueConfig`] for every backend.

use std::time::Duration;

/// Settings shared by [`RedisQueue`](crate::RedisQueue) and [`MemoryQueue`](crate::MemoryQueue).
///
/// The defaults suit production; tests shorten the backoff and idle timeouts.
///
/// ```
/// use std::time::Duration;
/// use webhook_queue::QueueConfig;
///
/// let config = QueueConfig::default()
///     .max_attempts(5)
///     .backoff(Duration::from_secs(1), Duration::from_secs(600))
///     .claim_idle(Duration::from_secs(60))
///     .concurrency(32);
/// assert_eq!(config.retry_delay(1), Duration::from_secs(1));
/// assert_eq!(config.retry_delay(3), Duration::from_secs(4));
/// assert_eq!(config.retry_delay(30), Duration::from_secs(600));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct QueueConfig {
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) claim_idle: Duration,
    pub(crate) block: Duration,
    pub(crate) concurrency: usize,
    pub(crate) max_len: usize,
    pub(crate) dead_max_len: usize,
    pub(crate) command_timeout: Duration,
    pub(crate) shutdown_grace: Duration,
    pub(crate) group: String,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
            claim_idle: Duration::from_secs(60),
            block: Duration::from_secs(1),
            concurrency: 16,
            max_len: 1_000_000,
            dead_max_len: 100_000,
            command_timeout: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(30),
            group: "workers".to_owned(),
        }
    }
}

impl QueueConfig {
    /// How many times a handler runs for one entry before it is dead-lettered (default 8; at
    /// least 1). An attempt cut short by a crash of its worker counts (so an event that crashes
    /// every worker ends in the dead-letter stream); one cut short by a graceful shutdown does
    /// not.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Exponential backoff between attempts: `base`, `2·base`, `4·base`, … capped at `max`
    /// (defaults 1 s and 15 min), plus a random 0–10 % so that entries failing together (a
    /// downstream outage) are not all retried at the same instant.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// How long an entry may sit with a worker that stopped heartbeating (crashed, frozen)
    /// before another worker reclaims it with `XAUTOCLAIM` (default 60 s). Live workers
    /// heartbeat every third of this, so a slow handler is never reclaimed from under itself.
    pub fn claim_idle(mut self, idle: Duration) -> Self {
        self.claim_idle = idle.max(Duration::from_millis(30));
        self
    }

    /// How long one `XREADGROUP` blocks waiting for new entries (default 1 s). Also bounds how
    /// long a worker takes to notice shutdown while idle.
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block.max(Duration::from_millis(1));
        self
    }

    /// How many entries one worker handles at the same time (default 16; at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The bound on entries waiting in the stream (default 1,000,000). Every `XADD` carries
    /// `MAXLEN ~ max_len`; before that, an append to a stream already this long is refused with
    /// [`QueueError::Full`](crate::QueueError::Full) (the accept step answers `503`), so
    /// trimming never drops an entry that was not processed.
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len.max(1);
        self
    }

    /// The bound on the dead-letter stream (`MAXLEN ~`, default 100,000): beyond it the oldest
    /// dead letters are dropped.
    pub fn dead_max_len(mut self, max_len: usize) -> Self {
        self.dead_max_len = max_len.max(1);
        self
    }

    /// The timeout of every Redis command (default 2 s; blocking reads get `block` on top).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// On shutdown, how long in-flight handlers may run to completion (default 30 s). Entries
    /// still running after that are returned to the queue, their attempt not counted.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The consumer group's name (default `workers`). Workers of one group share the entries.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// The delay before attempt `failed_attempt + 1`, after attempt `failed_attempt` failed
    /// (without the random 0–10 % added when scheduling).
    pub fn retry_delay(&self, failed_attempt: u32) -> Duration {
        let exponent = failed_attempt.saturating_sub(1).min(31);
        self.backoff_base
            .checked_mul(1u32 << exponent)
            .map_or(self.backoff_max, |d| d.min(self.backoff_max))
    }

    /// [`retry_delay`](Self::retry_delay) plus a random 0–10 %.
    pub(crate) fn jittered_delay(&self, failed_attempt: u32) -> Duration {
        let delay = self.retry_delay(failed_attempt);
        delay + delay.mul_f64(rand::random_range(0.0..=0.1))
    }

    /// The configured maximum number of attempts.
    ///
    /// ```
    /// assert_eq!(webhook_queue::QueueConfig::default().max_attempts(3).attempts(), 3);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_adds_at_most_ten_percent() {
        let config =
            QueueConfig::default().backoff(Duration::from_secs(10), Duration::from_secs(60));
        for attempt in 1..6 {
            let base = config.retry_delay(attempt);
            let jittered = config.jittered_delay(attempt);
            assert!(
                jittered >= base && jittered <= base + base / 10,
                "{attempt}: {jittered:?}"
            );
        }
    }
}
