//! The index: counts, the chart, the queue and the inbox, refusals by reason, the latest
//! deliveries.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use webhook_inbox::ListFilter;
use webhook_verify::metrics::Outcome;

use super::{chart, page, replay_button, rfc3339, unavailable_section};
use crate::html::Escaped;
use crate::{Dashboard, Entry};

/// How many deliveries of the log the index lists.
const LATEST: usize = 100;
/// How many kept deliveries of the inbox the index lists.
const LATEST_KEPT: usize = 20;

/// The index page.
pub(crate) async fn index(dashboard: &Dashboard) -> String {
    let logged = dashboard.log.latest(dashboard.log.capacity());
    let mut body = String::new();
    outcomes(&mut body, &logged);
    chart::volume(&mut body, &logged, SystemTime::now());
    if let Some(queue) = &dashboard.queue {
        let _ = write!(body, "<h2>Queue {}</h2>", Escaped(queue.name()));
        match queue.counts().await {
            Ok(c) => {
                let _ = write!(
                    body,
                    "<ul class=counts id=queue><li id=pending>{} pending</li><li id=in-flight>{} in flight</li><li id=retrying>{} retrying</li><li id=dead>{} dead</li></ul><p><a href=dead>Dead letters</a></p>",
                    c.pending, c.in_flight, c.retrying, c.dead
                );
            }
            Err(_) => unavailable_section(&mut body, "queue"),
        }
    }
    if dashboard.inbox.is_some() {
        inbox(&mut body, dashboard).await;
    }
    reasons(&mut body, &logged);
    latest(&mut body, &logged);
    page("Webhook deliveries", &body)
}

/// How many of the logged deliveries ended each way.
fn outcomes(body: &mut String, logged: &[Entry]) {
    let _ = write!(
        body,
        "<h2>Summary</h2><ul class=counts id=summary><li id=total>{} logged</li>",
        logged.len()
    );
    for outcome in Outcome::ALL {
        let n = logged
            .iter()
            .filter(|e| e.delivery.outcome == outcome)
            .count();
        let name = outcome.as_str();
        let _ = write!(body, "<li id={name}>{n} {}</li>", name.replace('_', " "));
    }
    body.push_str("</ul>");
}

/// The inbox's rows by status, its refusal counts and its latest rows.
async fn inbox(body: &mut String, dashboard: &Dashboard) {
    let Some(inbox) = &dashboard.inbox else {
        return;
    };
    body.push_str("<h2>Inbox</h2>");
    match inbox.status_counts().await {
        Ok(counts) => {
            body.push_str("<ul class=counts id=inbox-statuses>");
            for (status, n) in counts {
                let _ = write!(body, "<li id=inbox-{0}>{n} {0}</li>", Escaped(&status));
            }
            body.push_str("</ul>");
        }
        Err(_) => unavailable_section(body, "inbox"),
    }
    if let Ok(counts) = inbox.refusal_counts().await {
        body.push_str("<h3>Refused, all time</h3><table id=inbox-refusals><tr><th>endpoint<th>reason<th>count<th>latest");
        for c in counts {
            let _ = write!(
                body,
                "<tr><td>{}<td>{}<td>{}<td>{}",
                Escaped(&c.endpoint),
                Escaped(&c.reason),
                c.count,
                Escaped(&rfc3339(c.last_at))
            );
        }
        body.push_str("</table>");
    }
    let filter = ListFilter {
        limit: Some(LATEST_KEPT),
        ..Default::default()
    };
    let Ok(rows) = inbox.list(&filter).await else {
        return;
    };
    body.push_str("<h3>Kept deliveries</h3><table id=inbox-rows><tr><th>received<th>event<th>key<th>status<th>attempts<th>last error<th>");
    for row in rows {
        let _ = write!(
            body,
            "<tr class={0}><td><a href=\"inbox/{1}\">{2}</a><td>{3}<td>{4}<td>{0}<td>{5}<td>{6}<td>",
            Escaped(&row.status),
            row.id,
            Escaped(&rfc3339(row.received_at)),
            Escaped(row.event_type.as_deref().unwrap_or("")),
            Escaped(row.key.as_deref().unwrap_or("")),
            row.attempts,
            Escaped(row.last_error.as_deref().unwrap_or("")),
        );
        if matches!(row.status.as_str(), "dead" | "failed") {
            replay_button(body, "", dashboard.csrf.token(), "row", &row.id.to_string());
        }
    }
    body.push_str("</table>");
}

/// Refusals by reason, of the logged deliveries.
fn reasons(body: &mut String, logged: &[Entry]) {
    let mut reasons = BTreeMap::<&str, usize>::new();
    for entry in logged
        .iter()
        .filter(|e| e.delivery.outcome == Outcome::Refused)
    {
        *reasons.entry(entry.delivery.reason).or_default() += 1;
    }
    body.push_str("<h2>Refusals by reason</h2><table id=reasons><tr><th>reason<th>count");
    for (reason, n) in &reasons {
        let _ = write!(body, "<tr><td>{}<td>{n}", Escaped(reason));
    }
    body.push_str("</table>");
}

/// The latest logged deliveries, newest first.
fn latest(body: &mut String, logged: &[Entry]) {
    body.push_str("<h2>Latest deliveries</h2><table id=deliveries><tr><th>time<th>endpoint<th>event<th>id<th>outcome<th>status<th>handler<th>from");
    for entry in logged.iter().take(LATEST) {
        let d = &entry.delivery;
        let outcome = if d.reason.is_empty() {
            d.outcome.as_str().to_owned()
        } else {
            format!("{} ({})", d.outcome.as_str(), d.reason)
        };
        let _ = write!(
            body,
            "<tr class={}><td><a href=\"deliveries/{}\">{}</a><td>{}<td>{}<td>{}<td>{}<td>{}<td>{}<td>{}",
            d.outcome.as_str(),
            entry.id,
            Escaped(&rfc3339(d.at)),
            Escaped(&d.endpoint),
            Escaped(d.event_type.as_deref().unwrap_or("")),
            Escaped(d.webhook_id.as_deref().unwrap_or("")),
            Escaped(&outcome),
            d.status,
            d.handler
                .map(|h| format!("{:.1} ms", h.as_secs_f64() * 1e3))
                .unwrap_or_default(),
            d.source.map(|ip| ip.to_string()).unwrap_or_default(),
        );
    }
    body.push_str("</table>");
}
