//! The pages, and the framework-free answer to each request: adapters only translate types.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use webhook_verify::metrics::Outcome;

use crate::html::Escaped;
use crate::{Access, Entry, Source, TokenError};

/// How many deliveries the index page lists.
const LATEST: usize = 100;

/// A framework-free answer: what an adapter turns into its response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`Content-Type`, `WWW-Authenticate`, ...).
    pub headers: Vec<(&'static str, &'static str)>,
    /// The body.
    pub body: String,
}

impl Answer {
    fn html(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-store"),
                ("x-content-type-options", "nosniff"),
                (
                    "content-security-policy",
                    "default-src 'none'; style-src 'unsafe-inline'",
                ),
                ("referrer-policy", "no-referrer"),
            ],
            body,
        }
    }
}

/// The dashboard: a data source and who may see it.
///
/// ```
/// use webhook_dashboard::{Dashboard, DeliveryLog};
/// let dashboard = Dashboard::new(DeliveryLog::new(10), "t0k")?;
/// assert_eq!(dashboard.answer("GET", "/", Some("Bearer t0k")).status, 200);
/// assert_eq!(dashboard.answer("GET", "/", Some("Bearer nope")).status, 401);
/// # Ok::<(), webhook_dashboard::TokenError>(())
/// ```
#[derive(Clone)]
pub struct Dashboard {
    source: Arc<dyn Source>,
    access: Access,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard over `source`, open to requests carrying `token`; an empty or blank token is
    /// refused.
    ///
    /// ```
    /// # use webhook_dashboard::{Dashboard, DeliveryLog, TokenError};
    /// assert_eq!(Dashboard::new(DeliveryLog::new(1), " ").unwrap_err(), TokenError::Empty);
    /// ```
    pub fn new(source: impl Source, token: impl Into<String>) -> Result<Self, TokenError> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(Self {
            source: Arc::new(source),
            access: Access::Token(token.into_bytes()),
        })
    }

    /// A dashboard open to anyone who reaches it: only for a server bound to loopback, as its
    /// caller must check.
    ///
    /// ```
    /// # use webhook_dashboard::{Dashboard, DeliveryLog};
    /// let open = Dashboard::without_token_on_loopback(DeliveryLog::new(1));
    /// assert_eq!(open.answer("GET", "/", None).status, 200);
    /// ```
    pub fn without_token_on_loopback(source: impl Source) -> Self {
        Self {
            source: Arc::new(source),
            access: Access::LoopbackWithoutToken,
        }
    }

    /// The answer to a `method` request for `path` (relative to where it is mounted, `/` the
    /// index) with this `Authorization` header value.
    pub fn answer(&self, method: &str, path: &str, authorization: Option<&str>) -> Answer {
        if !self.access.allows(authorization) {
            let mut answer = Answer::html(
                401,
                page("Log in", "<p>The dashboard needs its access token.</p>"),
            );
            answer.headers.push((
                "www-authenticate",
                "Basic realm=\"webhook dashboard\", charset=\"UTF-8\"",
            ));
            return answer;
        }
        if method != "GET" && method != "HEAD" {
            return Answer::html(405, page("Not allowed", "<p>Method not allowed.</p>"));
        }
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return Answer::html(200, self.index());
        }
        let found = path
            .strip_prefix("deliveries/")
            .and_then(|id| id.parse().ok())
            .and_then(|id| self.source.get(id));
        match found {
            Some(entry) => Answer::html(200, delivery_page(&entry)),
            None => Answer::html(
                404,
                page(
                    "Not found",
                    "<p>No such page or delivery (the log keeps only the latest).</p>",
                ),
            ),
        }
    }

    fn index(&self) -> String {
        let latest = self.source.latest(LATEST);
        let mut body = String::new();
        let count = |o: Outcome| latest.iter().filter(|e| e.delivery.outcome == o).count();
        let _ = write!(
            body,
            "<h2>Summary</h2><ul class=counts><li id=total>{} shown</li><li id=accepted>{} accepted</li><li id=refused>{} refused</li><li id=duplicate>{} duplicate</li></ul>",
            latest.len(),
            count(Outcome::Accepted),
            count(Outcome::Refused),
            count(Outcome::Duplicate),
        );
        let mut reasons = BTreeMap::<&str, usize>::new();
        for entry in latest
            .iter()
            .filter(|e| e.delivery.outcome == Outcome::Refused)
        {
            *reasons.entry(entry.delivery.reason).or_default() += 1;
        }
        body.push_str("<h2>Refusals by reason</h2><table id=reasons><tr><th>reason<th>count");
        for (reason, n) in &reasons {
            let _ = write!(body, "<tr><td>{}<td>{n}", Escaped(reason));
        }
        body.push_str("</table><h2>Latest deliveries</h2><table id=deliveries><tr><th>time<th>endpoint<th>event<th>id<th>outcome<th>status<th>handler");
        for entry in &latest {
            let d = &entry.delivery;
            let outcome = if d.reason.is_empty() {
                d.outcome.as_str().to_owned()
            } else {
                format!("{} ({})", d.outcome.as_str(), d.reason)
            };
            let _ = write!(
                body,
                "<tr class={}><td><a href=\"deliveries/{}\">{}</a><td>{}<td>{}<td>{}<td>{}<td>{}<td>{}",
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
            );
        }
        body.push_str("</table>");
        page("Webhook deliveries", &body)
    }
}

fn delivery_page(entry: &Entry) -> String {
    let d = &entry.delivery;
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"../\">&larr; all deliveries</a></p><table id=summary><tr><th>time<td>{}<tr><th>endpoint<td>{}<tr><th>scheme<td>{}<tr><th>path<td>{}<tr><th>event<td>{}<tr><th>id<td>{}<tr><th>outcome<td>{}<tr><th>reason<td>{}<tr><th>message<td>{}<tr><th>status<td>{}<tr><th>body size<td>{} bytes</table><h2>Headers</h2><table id=headers>",
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
        d.body_len,
    );
    for (name, value) in &d.headers {
        let _ = write!(body, "<tr><th>{}<td>{}", Escaped(name), Escaped(value));
    }
    body.push_str("</table><h2>Body</h2>");
    if d.body.len() < d.body_len {
        let _ = write!(
            body,
            "<p>First {} of {} bytes.</p>",
            d.body.len(),
            d.body_len
        );
    }
    let shown = match std::str::from_utf8(&d.body) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_owned()),
            Err(_) => text.to_owned(),
        },
        Err(_) => hex_dump(&d.body),
    };
    let _ = write!(body, "<pre id=body>{}</pre>", Escaped(&shown));
    page(&format!("Delivery {}", entry.id), &body)
}

/// Sixteen bytes a line, as hex.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x} ", i * 16);
        for byte in line {
            let _ = write!(out, " {byte:02x}");
        }
        out.push('\n');
    }
    out
}

fn rfc3339(at: std::time::SystemTime) -> String {
    OffsetDateTime::from(at)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The page around `body` (already HTML), readable on a phone, no script.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{0}</title><style>{STYLE}</style><h1>{0}</h1>{body}</html>",
        Escaped(title)
    )
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:1em;max-width:70em}table{border-collapse:collapse;display:block;overflow-x:auto}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}pre{overflow-x:auto;background:#f6f6f6;padding:.6em;white-space:pre-wrap;word-break:break-all}.refused td{color:#a00}.duplicate td{color:#777}ul.counts li{display:inline-block;margin-right:1em}";
