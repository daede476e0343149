//! Deliveries of one event more than once: again (`duplicate`), at the sender's retry schedule
//! (`retry-schedule`), and many copies at once (`concurrent-duplicates`).

use std::time::Duration;

use clap::ValueEnum;
use tokio::task::JoinSet;

use super::auth::{accepted, describe};
use super::delivery::Tester;
use super::{CheckId, Verdict};

/// A sender document's retry schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Schedule {
    /// `working-with-webhooks`: immediately, then after 1 min, 5 min, 30 min and 2 h.
    Guide,
    /// `webhook-api-documentation`: after 1 s, 5 min, 30 min, 2 h, 6 h and 12 h.
    Api,
}

impl Schedule {
    /// The wait before each retry, in seconds of the schedule.
    pub fn waits(self) -> &'static [u64] {
        match self {
            Self::Guide => &[0, 60, 300, 1800, 7200],
            Self::Api => &[1, 300, 1800, 7200, 21_600, 43_200],
        }
    }
}

/// `duplicate`: the same delivery twice in a row, both answered 2xx.
pub async fn duplicate(t: &Tester) -> Verdict {
    let event = t.event(CheckId::Duplicate)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let first = t.post(&delivery).await?;
    accepted(&first).map_err(|e| format!("the first delivery {e}"))?;
    t.accepted(&event, CheckId::Duplicate);
    let again = t.post(&delivery).await?;
    accepted(&again).map_err(|e| format!("the same delivery again {e}"))?;
    Ok(format!("{}, then {}", first.status, again.describe()))
}

/// `retry-schedule`: the event, then a retry after each wait of the schedule, compressed by
/// the time scale; each re-signed at its own time, as senders do; every answer a 2xx.
pub async fn retry_schedule(t: &Tester) -> Verdict {
    let event = t.event(CheckId::RetrySchedule)?;
    let waits = t.settings.schedule.waits();
    let mut statuses = Vec::new();
    for (attempt, &wait) in std::iter::once(&0).chain(waits).enumerate() {
        tokio::time::sleep(Duration::from_secs_f64(wait as f64 / t.settings.time_scale)).await;
        let delivery = t.sign(&event.id, &event.body)?;
        let answer = t.post(&delivery).await?;
        accepted(&answer).map_err(|e| format!("attempt {} {e}", attempt + 1))?;
        t.accepted(&event, CheckId::RetrySchedule);
        statuses.push(answer.status.as_u16().to_string());
    }
    Ok(format!(
        "{} attempts over {} s of schedule: {}",
        statuses.len(),
        waits.iter().sum::<u64>(),
        statuses.join(" ")
    ))
}

/// `concurrent-duplicates`: N copies at once; each a 2xx, or 409/429/503 with `Retry-After`.
pub async fn concurrent_duplicates(t: &std::sync::Arc<Tester>) -> Verdict {
    let event = t.event(CheckId::ConcurrentDuplicates)?;
    let delivery = t.sign(&event.id, &event.body)?;
    let mut copies = JoinSet::new();
    for _ in 0..t.settings.concurrency {
        let (t, delivery) = (t.clone(), delivery.clone());
        copies.spawn(async move { t.post(&delivery).await });
    }
    let (mut ok, mut later, mut bad) = (0, 0, Vec::new());
    while let Some(answer) = copies.join_next().await {
        match answer.map_err(|err| err.to_string())? {
            Err(err) => bad.push(err),
            Ok(a) if a.status.is_success() => ok += 1,
            Ok(a) if matches!(a.status.as_u16(), 409 | 429 | 503) && a.retry_after.is_some() => {
                later += 1;
            }
            Ok(a) => bad.push(describe(&a)),
        }
    }
    if ok > 0 {
        t.accepted(&event, CheckId::ConcurrentDuplicates);
    }
    let counts = format!("{ok} × 2xx, {later} × retry later");
    match bad.first() {
        None if ok > 0 => Ok(counts),
        None => Err(format!("{counts}: no copy was accepted")),
        Some(first) => Err(format!(
            "{counts}, {} wrong, e.g. {first}{}",
            bad.len(),
            if first.starts_with('5') {
                " (a bare 5xx: the sender retries it as a failure)"
            } else {
                ""
            }
        )),
    }
}
