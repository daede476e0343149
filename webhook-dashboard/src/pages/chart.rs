//! Volume and outcomes per minute over the last hours, as an inline SVG of stacked bars.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use webhook_verify::metrics::Outcome;

use crate::Entry;

/// How many minutes the chart spans.
pub(crate) const MINUTES: usize = 180;

/// The bars' stacks, bottom up: a name for the legend, its colour, and the outcomes it counts.
const STACKS: [(&str, &str, &[Outcome]); 4] = [
    ("accepted", "#2a7", &[Outcome::Accepted, Outcome::Handshake]),
    ("duplicate", "#999", &[Outcome::Duplicate]),
    ("refused", "#c33", &[Outcome::Refused]),
    (
        "other",
        "#e90",
        &[
            Outcome::InFlight,
            Outcome::Conflict,
            Outcome::Unavailable,
            Outcome::Failed,
        ],
    ),
];

/// Counts per minute (oldest first) and stack, of the entries of the last [`MINUTES`] before
/// `now`.
fn buckets(logged: &[Entry], now: SystemTime) -> Vec<[u32; STACKS.len()]> {
    let mut buckets = vec![[0u32; STACKS.len()]; MINUTES];
    for entry in logged {
        let Ok(ago) = now.duration_since(entry.delivery.at) else {
            continue; // a clock step: not in the past
        };
        let minute = usize::try_from(ago.as_secs() / 60).unwrap_or(usize::MAX);
        let Some(bucket) = MINUTES.checked_sub(minute + 1).map(|i| &mut buckets[i]) else {
            continue;
        };
        if let Some(stack) = STACKS
            .iter()
            .position(|(_, _, outcomes)| outcomes.contains(&entry.delivery.outcome))
        {
            bucket[stack] += 1;
        }
    }
    buckets
}

/// Appends the chart: one bar a minute, stacked by outcome, scaled to the busiest minute; each
/// bar's `<title>` gives its minute's counts.
pub(crate) fn volume(body: &mut String, logged: &[Entry], now: SystemTime) {
    const WIDTH: usize = 4; // px per bar, in the viewBox
    const HEIGHT: u32 = 100;
    let buckets = buckets(logged, now);
    let busiest = buckets
        .iter()
        .map(|b| b.iter().sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = write!(
        body,
        "<h2>Per minute, last {} hours</h2><svg id=chart role=img aria-label=\"deliveries per minute by outcome\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>",
        MINUTES / 60,
        MINUTES * WIDTH,
        HEIGHT
    );
    for (i, bucket) in buckets.iter().enumerate() {
        let total: u32 = bucket.iter().sum();
        if total == 0 {
            continue;
        }
        let x = i * WIDTH;
        let ago = Duration::from_secs(((MINUTES - i) * 60) as u64);
        let _ = write!(body, "<g><title>{} min ago:", ago.as_secs() / 60);
        for ((name, _, _), n) in STACKS.iter().zip(bucket) {
            if *n > 0 {
                let _ = write!(body, " {n} {name}");
            }
        }
        body.push_str("</title>");
        let mut y = HEIGHT;
        for ((name, colour, _), n) in STACKS.iter().zip(bucket) {
            let h = (n * HEIGHT).div_ceil(busiest);
            if h == 0 {
                continue;
            }
            y = y.saturating_sub(h);
            let _ = write!(
                body,
                "<rect class={name} x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{h}\" fill=\"{colour}\"/>",
                WIDTH - 1
            );
        }
        body.push_str("</g>");
    }
    let _ = write!(body, "</svg><p class=legend>busiest minute: {busiest}. ");
    for (name, colour, _) in STACKS {
        let _ = write!(body, "<span style=\"color:{colour}\">&#9632; {name}</span>");
    }
    body.push_str("</p>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhook_verify::{Rejection, Scheme, Verifier, VerifyError, receiver};

    /// A delivery as a verifier records it, then moved in time.
    fn entry(id: u64, at: SystemTime, outcome: Outcome) -> Entry {
        let log = crate::DeliveryLog::new(1);
        let verifier = Verifier::builder(Scheme::github())
            .secret("s")
            .recorder(log.clone())
            .build()
            .unwrap();
        let rejection = Rejection::from(VerifyError::NoMatchingSignature);
        receiver::refused(&verifier, &rejection, "/", &[("host", "h")], None);
        let mut delivery = log.latest(1).remove(0).delivery;
        delivery.at = at;
        delivery.outcome = outcome;
        Entry { id, delivery }
    }

    #[test]
    fn each_delivery_lands_in_its_minute_and_stack() {
        let now = SystemTime::now();
        let logged = [
            entry(1, now - Duration::from_secs(10), Outcome::Accepted),
            entry(2, now - Duration::from_secs(20), Outcome::Refused),
            entry(3, now - Duration::from_secs(61), Outcome::Duplicate),
            entry(
                4,
                now - Duration::from_secs(60 * MINUTES as u64 + 1),
                Outcome::Accepted,
            ),
            entry(5, now + Duration::from_secs(5), Outcome::Accepted),
        ];
        let b = buckets(&logged, now);
        assert_eq!(b[MINUTES - 1], [1, 0, 1, 0]);
        assert_eq!(b[MINUTES - 2], [0, 1, 0, 0]);
        assert_eq!(
            b.iter().flatten().sum::<u32>(),
            3,
            "too old and future ones are left out"
        );
        let mut svg = String::new();
        volume(&mut svg, &logged, now);
        assert_eq!(svg.matches("<rect class=").count(), 3, "{svg}");
        assert!(
            svg.contains("<title>1 min ago: 1 accepted 1 refused</title>"),
            "{svg}"
        );
    }
}
