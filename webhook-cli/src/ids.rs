//! Fresh random ids (`msg_...`, `evt_...`) and the current time.

use rand::Rng as _;
use rand::distr::Alphanumeric;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webhook_verify::{Clock as _, SystemClock};

use crate::error::CliError;

/// `prefix` followed by 24 random alphanumeric characters, like `msg_p5jXN8AQM9LWM0D4loKWxJek`.
pub fn fresh(prefix: &str) -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}_{random}")
}

/// Now, in Unix seconds.
pub fn now_unix() -> i64 {
    SystemClock.now_unix()
}

/// A Unix time as RFC 3339 in UTC with whole seconds (`2025-02-18T10:30:00Z`), as in the seeds.
pub fn rfc3339(unix: i64) -> Result<String, CliError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .ok_or_else(|| CliError::usage(format!("time {unix} cannot be written as RFC 3339")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_have_the_prefix_and_24_random_characters() {
        let a = fresh("msg");
        let b = fresh("msg");
        assert!(a.starts_with("msg_"), "{a}");
        assert_eq!(a.len(), 4 + 24);
        assert!(a[4..].chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn rfc3339_is_utc_with_whole_seconds() {
        assert_eq!(rfc3339(1_739_874_600).unwrap(), "2025-02-18T10:30:00Z");
        assert_eq!(rfc3339(0).unwrap(), "1970-01-01T00:00:00Z");
    }
}
