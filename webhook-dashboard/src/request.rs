//! What an adapter hands the dashboard of a request, and what it gets back.

/// The most a form POST to the dashboard may carry; adapters refuse a longer body (`413`)
/// before they read it all.
///
/// ```
/// assert_eq!(webhook_dashboard::FORM_LIMIT, 4096);
/// ```
pub const FORM_LIMIT: usize = 4096;

/// A request to the dashboard, as an adapter read it.
///
/// ```
/// let request = webhook_dashboard::Request {
///     method: "GET",
///     path: "/",
///     authorization: Some("Bearer t0k"),
///     ..Default::default()
/// };
/// assert!(request.body.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The method: `GET`, `HEAD` or `POST`; anything else is `405`.
    pub method: &'a str,
    /// The path below where the dashboard is mounted, `/` its index.
    pub path: &'a str,
    /// The `Authorization` header's value.
    pub authorization: Option<&'a str>,
    /// The `Origin` header's value (a browser sends it with every POST).
    pub origin: Option<&'a str>,
    /// The `Host` header's value (HTTP/2: the `:authority`).
    pub host: Option<&'a str>,
    /// A POST's form body (`application/x-www-form-urlencoded`), at most [`FORM_LIMIT`] bytes.
    pub body: &'a [u8],
}

/// A framework-free answer: what an adapter turns into its response.
///
/// ```
/// # async fn demo() -> Result<(), webhook_dashboard::TokenError> {
/// let dashboard = webhook_dashboard::Dashboard::new(webhook_dashboard::DeliveryLog::new(10), "t")?;
/// let answer = dashboard.answer(webhook_dashboard::Request { method: "GET", path: "/", ..Default::default() }).await;
/// assert_eq!(answer.status, 401);
/// assert!(answer.headers.iter().any(|(name, _)| *name == "www-authenticate"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers (`Content-Type`, `WWW-Authenticate`, `Location`, ...).
    pub headers: Vec<(&'static str, &'static str)>,
    /// The body.
    pub body: String,
}

impl Answer {
    /// An HTML page, with the headers that keep a page of attacker-controlled text inert: no
    /// script, no sniffing, no caching, no framing, no referrer to another site.
    pub(crate) fn html(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-store"),
                ("x-content-type-options", "nosniff"),
                (
                    "content-security-policy",
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                ),
                // Not `no-referrer`: with it a browser sends `Origin: null` with a form POST, and the
                // replay could not tell its own page from another site.
                ("referrer-policy", "same-origin"),
                ("x-frame-options", "DENY"),
            ],
            body,
        }
    }

    /// `303 See Other` to `location` (relative to the request's URL).
    pub(crate) fn see_other(location: &'static str) -> Self {
        let mut answer = Self::html(303, String::new());
        answer.headers.push(("location", location));
        answer
    }
}
