//! The request's method and URL, for the schemes that sign them (Twilio, Square, HubSpot).

/// The method and the full URL of a request, as the sender requested it (scheme, host, port
/// when not the default, path, query) — a receiver behind a proxy must rebuild the public URL,
/// not the one it sees.
///
/// ```
/// use webhook_verify::Request;
/// let request = Request::post("https://example.com/twilio?x=1");
/// assert_eq!(request.method, "POST");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The HTTP method, upper case as sent (`POST`).
    pub method: &'a str,
    /// The full URL.
    pub url: &'a str,
}

impl<'a> Request<'a> {
    /// A request with any method.
    ///
    /// ```
    /// let request = webhook_verify::Request::new("PUT", "https://example.com/hook");
    /// assert_eq!(request.method, "PUT");
    /// ```
    pub fn new(method: &'a str, url: &'a str) -> Self {
        Self { method, url }
    }

    /// A `POST` to `url`, the method of every webhook delivery.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Request::post("https://example.com/").url, "https://example.com/");
    /// ```
    pub fn post(url: &'a str) -> Self {
        Self::new("POST", url)
    }
}
