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
    if raw.is_empty() || raw.len() > 18 {
        return Err(malformed());
    }
    // One pass: each byte checked and added as it is read.
    let mut secs = 0i64;
    for byte in raw {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(malformed());
        }
        secs = secs * 10 + i64::from(digit);
    }
    Ok(secs)
}

/// Parses an RFC 3339 date-time in the shape Twitch sends, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`
/// (0 to 9 fraction digits, dropped: whole seconds are returned), or with a numeric offset
/// `±HH:MM` in place of `Z`, into Unix seconds. `T` and `Z` may be lower case, as RFC 3339
/// allows; anything else (a space for `T`, a leap second, a day the month does not have) is
/// refused with the typed error.
pub(crate) fn parse_rfc3339(name: &Cow<'static, str>, raw: &[u8]) -> Result<i64, VerifyError> {
    rfc3339_secs(raw).ok_or_else(|| VerifyError::MalformedHeader {
        name: name.clone(),
        reason: "not an RFC 3339 timestamp",
    })
}

/// The value of the ASCII digits `raw[at..at + n]`, `None` if any is not a digit.
fn digits(raw: &[u8], at: usize, n: usize) -> Option<i64> {
    raw.get(at..at + n)?.iter().try_fold(0i64, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
    })
}

fn rfc3339_secs(raw: &[u8]) -> Option<i64> {
    let sep = |at: usize, want: &[u8]| raw.get(at).is_some_and(|b| want.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(raw, 0, 4)?, digits(raw, 5, 2)?, digits(raw, 8, 2)?);
    let (hour, minute, second) = (
        digits(raw, 11, 2)?,
        digits(raw, 14, 2)?,
        digits(raw, 17, 2)?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    if raw.get(at) == Some(&b'.') {
        let fraction = raw[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=9).contains(&fraction) {
            return None;
        }
        at += 1 + fraction;
    }
    let offset = match &raw[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(raw, at + 1, 2)?, digits(raw, at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), for years 0 to 9999.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

    /// What the `time` crate makes of the same text, the reference for the accepted shapes.
    fn reference(text: &str) -> i64 {
        use time::format_description::well_known::Rfc3339;
        time::OffsetDateTime::parse(text, &Rfc3339)
            .unwrap()
            .unix_timestamp()
    }

    #[test]
    fn rfc3339_agrees_with_the_time_crate() {
        for text in [
            "2019-11-16T10:11:12.634234626Z",
            "2019-11-16T10:11:12Z",
            "2019-11-16T10:11:12.6Z",
            "2019-11-16t10:11:12.63z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2000-02-29T12:00:00Z",
            "2024-02-29T23:59:59Z",
            "2100-03-01T00:00:00Z",
            "2019-11-16T10:11:12+05:30",
            "2019-11-16T10:11:12.5-08:00",
            "2019-12-31T23:30:00-01:00",
        ] {
            assert_eq!(
                parse_rfc3339(&NAME, text.as_bytes()),
                Ok(reference(text)),
                "{text}"
            );
        }
        for fraction in 1..=9 {
            let text = format!("2019-11-16T10:11:12.{}Z", "7".repeat(fraction));
            assert_eq!(parse_rfc3339(&NAME, text.as_bytes()), Ok(1_573_899_072));
        }
    }

    #[test]
    fn rfc3339_refuses_every_other_shape() {
        for bad in [
            "",
            "1573899072",
            "2019-11-16",
            "2019-11-16T10:11:12",
            "2019-11-16 10:11:12Z",
            "2019-11-16T10:11:12.Z",
            "2019-11-16T10:11:12.1234567890Z",
            "2019-11-16T10:11:12ZZ",
            "2019-11-16T10:11:12Z ",
            " 2019-11-16T10:11:12Z",
            "2019-11-16T10:11:60Z",
            "2019-11-16T24:00:00Z",
            "2019-11-16T10:60:00Z",
            "2019-13-01T00:00:00Z",
            "2019-00-01T00:00:00Z",
            "2019-11-00T00:00:00Z",
            "2019-11-31T00:00:00Z",
            "2019-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2019-11-16T10:11:12+0530",
            "2019-11-16T10:11:12+24:00",
            "2019-11-16T10:11:12+05:60",
            "2019-11-16T10:11:12UTC",
            "+2019-11-16T10:11:12Z",
            "2019-1a-16T10:11:12Z",
            "2019-11-16T10:11:12.63\u{0}Z",
        ] {
            let err = parse_rfc3339(&NAME, bad.as_bytes()).unwrap_err();
            assert_eq!(
                err.to_string(),
                "malformed header t: not an RFC 3339 timestamp",
                "{bad}"
            );
        }
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
