//! Timestamp tolerance edges for every timestamped scheme: 300 s accepted, 301 s refused, in both
//! directions; a configured tolerance; `allow_any_timestamp`; untimestamped schemes ignore the clock.

mod support;

use std::time::Duration;

use support::{CASES, Case, NOW};
use webhook_verify::{DEFAULT_TOLERANCE, VerifyError};

/// Verifies a delivery signed at `NOW` by a receiver whose clock reads `NOW + offset`.
fn at(case: &Case, offset: i64, tolerance: Option<Duration>) -> Result<(), VerifyError> {
    let body = b"{\"event\":\"user.created\"}";
    let headers = case.sign("msg_tol", NOW, body);
    let mut builder = case.builder(NOW + offset).secret(case.verify_secret);
    builder = match tolerance {
        Some(t) => builder.tolerance(t),
        None => builder.allow_any_timestamp(),
    };
    let verifier = builder.build().unwrap();
    verifier
        .verify_request(&support::REQ, &headers, body)
        .map(|verified| {
            assert_eq!(verified.timestamp, case.timestamped.then_some(NOW));
        })
}

fn out_of_tolerance(direction: &'static str, secs: u64) -> Result<(), VerifyError> {
    Err(VerifyError::TimestampOutOfTolerance {
        direction,
        tolerance_secs: secs,
    })
}

fn timestamped() -> impl Iterator<Item = &'static Case> {
    CASES.iter().filter(|c| c.timestamped)
}

#[test]
fn default_tolerance_is_300_seconds() {
    assert_eq!(DEFAULT_TOLERANCE, Duration::from_secs(300));
}

#[test]
fn accepts_timestamp_300_seconds_old_or_ahead() {
    for case in timestamped() {
        let default = Some(DEFAULT_TOLERANCE);
        assert_eq!(at(case, 300, default), Ok(()), "{} 300 s old", case.label);
        assert_eq!(
            at(case, -300, default),
            Ok(()),
            "{} 300 s ahead",
            case.label
        );
        assert_eq!(at(case, 0, default), Ok(()), "{} now", case.label);
    }
}

#[test]
fn rejects_timestamp_301_seconds_old() {
    for case in timestamped() {
        let result = at(case, 301, Some(DEFAULT_TOLERANCE));
        assert_eq!(result, out_of_tolerance("older", 300), "{}", case.label);
    }
}

#[test]
fn rejects_timestamp_301_seconds_ahead() {
    for case in timestamped() {
        let result = at(case, -301, Some(DEFAULT_TOLERANCE));
        assert_eq!(
            result,
            out_of_tolerance("further in the future", 300),
            "{}",
            case.label
        );
    }
}

#[test]
fn the_default_applies_when_no_tolerance_is_configured() {
    for case in timestamped() {
        let body = b"x";
        let headers = case.sign("msg_def", NOW, body);
        let verify = |offset| {
            let verifier = case
                .builder(NOW + offset)
                .secret(case.verify_secret)
                .build()
                .unwrap();
            verifier
                .verify_request(&support::REQ, &headers, body)
                .map(|_| ())
        };
        let d = case.default_tolerance;
        let secs = d as u64;
        assert_eq!(verify(d), Ok(()), "{}", case.label);
        assert_eq!(verify(-d), Ok(()), "{}", case.label);
        assert_eq!(
            verify(-d - 1),
            out_of_tolerance("further in the future", secs)
        );
        assert_eq!(
            verify(d + 1),
            out_of_tolerance("older", secs),
            "{}",
            case.label
        );
    }
}

#[test]
fn a_configured_tolerance_moves_both_edges() {
    for case in timestamped() {
        let sixty = Some(Duration::from_secs(60));
        assert_eq!(at(case, 60, sixty), Ok(()), "{}", case.label);
        assert_eq!(at(case, -60, sixty), Ok(()), "{}", case.label);
        assert_eq!(at(case, 61, sixty), out_of_tolerance("older", 60));
        assert_eq!(
            at(case, -61, sixty),
            out_of_tolerance("further in the future", 60)
        );

        let zero = Some(Duration::ZERO);
        assert_eq!(at(case, 0, zero), Ok(()), "{}", case.label);
        assert_eq!(at(case, 1, zero), out_of_tolerance("older", 0));
        assert_eq!(
            at(case, -1, zero),
            out_of_tolerance("further in the future", 0)
        );

        // Sub-second parts of a tolerance are ignored, never rounded up.
        let almost = Some(Duration::from_millis(60_999));
        assert_eq!(at(case, 61, almost), out_of_tolerance("older", 60));
    }
}

#[test]
fn allow_any_timestamp_accepts_any_age_in_both_directions() {
    for case in timestamped() {
        for offset in [301, -301, 86_400 * 365, -86_400 * 365, NOW, -NOW] {
            assert_eq!(at(case, offset, None), Ok(()), "{} {offset}", case.label);
        }
    }
}

#[test]
fn huge_tolerances_and_clock_extremes_do_not_overflow() {
    for case in timestamped() {
        let huge = Some(Duration::from_secs(u64::MAX));
        assert_eq!(at(case, i64::MAX - NOW, huge), Ok(()), "{}", case.label);
        assert_eq!(at(case, i64::MIN / 2, huge), Ok(()), "{}", case.label);
        let default = Some(DEFAULT_TOLERANCE);
        assert_eq!(
            at(case, i64::MAX - NOW, default),
            out_of_tolerance("older", 300)
        );
        assert_eq!(
            at(case, i64::MIN + 1, default),
            out_of_tolerance("further in the future", 300)
        );
    }
}

#[test]
fn a_stale_delivery_is_refused_for_its_age_even_with_a_forged_signature() {
    for case in timestamped() {
        let body = b"{}";
        let forged: Vec<(String, String)> = case
            .sign("msg_old", NOW, body)
            .into_iter()
            .map(|(n, v)| {
                let is_sig = n.eq_ignore_ascii_case(case.signature_header());
                (
                    n,
                    if is_sig {
                        // Keep a `sha256=` prefix intact: only the signature is forged.
                        let (prefix, sig) =
                            v.split_at(if v.starts_with("sha256=") { 7 } else { 0 });
                        format!("{prefix}{}", sig.replace(['a', 'b', 'c', 'd'], "e"))
                    } else {
                        v
                    },
                )
            })
            .collect();
        let d = case.default_tolerance;
        let verifier = case.verifier(NOW + d + 1);
        assert_eq!(
            verifier
                .verify_request(&support::REQ, &forged, body)
                .map(|_| ()),
            out_of_tolerance("older", d as u64),
            "{}",
            case.label
        );
    }
}

#[test]
fn schemes_without_a_timestamp_ignore_the_clock() {
    for case in CASES.iter().filter(|c| !c.timestamped) {
        for offset in [0, 301, -301, 86_400 * 3650, -NOW] {
            let result = at(case, offset, Some(DEFAULT_TOLERANCE));
            assert_eq!(result, Ok(()), "{} {offset}", case.label);
        }
    }
}
