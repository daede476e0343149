//! Signed timestamps: parsing them and holding them to a tolerance.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crate::{Clock, SystemClock, VerifyError};

/// The default tolerance: five minutes either way, as Stripe, Slack and Standard Webhooks advise.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How far a signed timestamp may be from the receiver's clock, and which clock that is.
#[derive(Clone)]
pub(crate) struct TimestampPolicy {
    /// `None` turns the check off (replays through a gateway that re-sends old deliveries).
    pub(crate) tolerance: Option<Duration>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Default for TimestampPolicy {
    fn default() -> Self {
        Self {
            tolerance: Some(DEFAULT_TOLERANCE),
            clock: Arc::new(SystemClock),
        }
    }
}

impl TimestampPolicy {
    /// Accepts `timestamp` if it lies within the tolerance of now, in both directions.
    pub(crate) fn check(&self, timestamp: i64) -> Result<(), VerifyError> {
        let Some(tolerance) = self.tolerance else {
            return Ok(());
        };
        let tolerance_secs = tolerance.as_secs();
        let limit = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
        let age = self.clock.now_unix().saturating_sub(timestamp);
        if age > limit {
            Err(VerifyError::TimestampOutOfTolerance {
                direction: "older",
                tolerance_secs,
            })
        } else if age < -limit {
            Err(VerifyError::TimestampOutOfTolerance {
                direction: "further in the future",
                tolerance_secs,
            })
        } else {
            Ok(())
        }
    }
}

/// Parses Unix seconds written as 1 to 18 ASCII digits: no sign, no fraction, no spaces.
pub(crate) fn parse(name: &Cow<'static, str>, raw: &[u8]) -> Result<i64, VerifyError> {
    let malformed = || VerifyError::MalformedHeader {
        name: name.clone(),
        reason: "not a Unix timestamp in whole seconds",
    };
    if raw.is_empty() || raw.len() > 18 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    Ok(raw
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;

    const NAME: Cow<'static, str> = Cow::Borrowed("t");

    fn policy(now: i64) -> TimestampPolicy {
        TimestampPolicy {
            tolerance: Some(DEFAULT_TOLERANCE),
            clock: Arc::new(FixedClock(now)),
        }
    }

    #[test]
    fn accepts_timestamp_exactly_300_seconds_old_or_ahead() {
        assert!(policy(1_000_300).check(1_000_000).is_ok());
        assert!(policy(1_000_000).check(1_000_300).is_ok());
    }

    #[test]
    fn rejects_timestamp_301_seconds_old() {
        let err = policy(1_000_301).check(1_000_000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timestamp is older than the 300 s tolerance"
        );
    }

    #[test]
    fn rejects_timestamp_301_seconds_ahead() {
        let err = policy(1_000_000).check(1_000_301).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timestamp is further in the future than the 300 s tolerance"
        );
    }

    #[test]
    fn disabled_tolerance_accepts_any_age() {
        let p = TimestampPolicy {
            tolerance: None,
            clock: Arc::new(FixedClock(i64::MAX)),
        };
        assert!(p.check(0).is_ok());
    }

    #[test]
    fn parses_digits_only() {
        assert_eq!(parse(&NAME, b"1674087231").unwrap(), 1_674_087_231);
        for bad in [
            &b""[..],
            b"-5",
            b"+5",
            b"1.5",
            b" 1",
            b"12a",
            b"1234567890123456789",
        ] {
            assert!(parse(&NAME, bad).is_err(), "{:?}", bad);
        }
    }
}
