//! One delivery: as the log kept it (what the receiver answered), or as the inbox keeps it.

use std::fmt::Write as _;

use super::{body_section, headers_section, not_found, page, replay_button, rfc3339, unavailable};
use crate::html::Escaped;
use crate::{Answer, Dashboard, Entry};

/// A logged delivery: what was answered, its kept headers and body.
pub(crate) fn logged_delivery(entry: &Entry) -> String {
    let d = &entry.delivery;
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"../\">&larr; all deliveries</a></p><table id=summary><tr><th>time<td>{}<tr><th>endpoint<td>{}<tr><th>scheme<td>{}<tr><th>path<td>{}<tr><th>event<td>{}<tr><th>id<td>{}<tr><th>outcome<td>{}<tr><th>reason<td>{}<tr><th>message<td>{}<tr><th>status<td>{}<tr><th>from<td>{}<tr><th>body size<td>{} bytes</table>",
        Escaped(&rfc3339(d.at)),
        Escaped(&d.endpoint),
        Escaped(d.scheme),
        Escaped(&d.path),
        Escaped(d.event_type.as_deref().unwrap_or("")),
        Escaped(d.webhook_id.as_deref().unwrap_or("")),
        d.outcome.as_str(),
        Escaped(d.reason),
        Escaped(&d.message),
        d.status,
        d.source.map(|ip| ip.to_string()).unwrap_or_default(),
        d.body_len,
    );
    headers_section(&mut body, d.headers.iter().map(|(n, v)| (*n, v.as_str())));
    body_section(&mut body, &d.body, d.body_len);
    page(&format!("Delivery {}", entry.id), &body)
}

/// `GET inbox/{id}`: a kept delivery, its raw body byte for byte.
pub(crate) async fn kept_delivery(dashboard: &Dashboard, id: &str) -> Answer {
    let (Some(inbox), Ok(id)) = (&dashboard.inbox, id.parse::<i64>()) else {
        return not_found();
    };
    let detail = match inbox.show(id).await {
        Ok(Some(detail)) => detail,
        Ok(None) => return not_found(),
        Err(_) => return unavailable("inbox"),
    };
    let row = &detail.row;
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"../\">&larr; all deliveries</a></p><table id=summary><tr><th>received<td>{}<tr><th>event<td>{}<tr><th>id<td>{}<tr><th>key<td>{}<tr><th>status<td>{}<tr><th>attempts<td>{}<tr><th>last error<td>{}<tr><th>body size<td>{} bytes</table>",
        Escaped(&rfc3339(row.received_at)),
        Escaped(row.event_type.as_deref().unwrap_or("")),
        Escaped(row.webhook_id.as_deref().unwrap_or("")),
        Escaped(row.key.as_deref().unwrap_or("")),
        Escaped(&row.status),
        row.attempts,
        Escaped(row.last_error.as_deref().unwrap_or("")),
        detail.body.len(),
    );
    if matches!(row.status.as_str(), "dead" | "failed" | "done") {
        replay_button(
            &mut body,
            "../",
            dashboard.csrf.token(),
            "row",
            &row.id.to_string(),
        );
    }
    headers_section(
        &mut body,
        detail.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    );
    body_section(&mut body, &detail.body, detail.body.len());
    Answer::html(200, page(&format!("Kept delivery {id}"), &body))
}
