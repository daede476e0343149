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

/// Where a receiver takes the URL of a delivery from, for the schemes that sign it
/// ([`Scheme::requires_url`](crate::Scheme::requires_url)): set with
/// [`VerifierBuilder::public_url`](crate::VerifierBuilder::public_url). Building a verifier for
/// such a scheme without one is a configuration error, at start-up rather than a `401` for
/// every delivery.
///
/// Behind a proxy or a load balancer the URL the application sees (`http://10.0.0.7:8080/...`)
/// is not the one the sender signed (`https://hooks.example.com/...`): configure the public
/// base URL, or trust the proxy's `Forwarded` / `X-Forwarded-*` headers only when every request
/// passes through a proxy that sets them (a client could otherwise choose the URL checked).
///
/// ```
/// use webhook_verify::{PublicUrl, Scheme, Verifier};
/// let verifier = Verifier::builder(Scheme::twilio())
///     .secret("12345")
///     .public_url(PublicUrl::base("https://hooks.example.com"))
///     .build()?;
/// let url = verifier.request_url("/twilio?x=1", &[("host", "10.0.0.7:8080")]);
/// assert_eq!(url.as_deref(), Some("https://hooks.example.com/twilio?x=1"));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicUrl {
    /// The receiver's public base URL as registered with the sender (scheme, host, port when not
    /// the default, and any path prefix): the request's path and query are appended.
    Base(String),
    /// Rebuilt from the proxy's `Forwarded` header (`proto=`, `host=`), else `X-Forwarded-Proto`
    /// and `X-Forwarded-Host`, else `https` and `Host`.
    Forwarded,
    /// Given with each request to [`Verifier::verify_request`](crate::Verifier::verify_request)
    /// (a custom server, the CLI); the adapters cannot verify such a scheme then.
    PerRequest,
}

impl PublicUrl {
    /// [`PublicUrl::Base`], without a trailing `/`.
    ///
    /// ```
    /// use webhook_verify::PublicUrl;
    /// assert_eq!(PublicUrl::base("https://a.example/"), PublicUrl::Base("https://a.example".into()));
    /// ```
    pub fn base(url: &str) -> Self {
        Self::Base(url.trim_end_matches('/').to_owned())
    }

    /// The full URL of a request for `path_and_query` (`/twilio?x=1`) with `headers`; `None` for
    /// [`PerRequest`](Self::PerRequest), or when the headers name no host.
    pub(crate) fn url_for<H: crate::HeaderSource + ?Sized>(
        &self,
        path_and_query: &str,
        headers: &H,
    ) -> Option<String> {
        match self {
            Self::Base(base) => Some(format!("{base}{path_and_query}")),
            Self::PerRequest => None,
            Self::Forwarded => {
                let (proto, host) = forwarded(headers)?;
                Some(format!("{proto}://{host}{path_and_query}"))
            }
        }
    }
}

/// `(proto, host)` from `Forwarded`, else `X-Forwarded-Proto`/`X-Forwarded-Host`, else
/// `https` and `Host`; the first hop's (the client-facing proxy's) values.
fn forwarded<H: crate::HeaderSource + ?Sized>(headers: &H) -> Option<(String, String)> {
    let text = |name: &str| {
        headers
            .values(name)
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (mut proto, mut host) = (None, None);
    if let Some(first) = text("forwarded") {
        for pair in first.split(';') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"').to_owned();
            match key.trim().to_ascii_lowercase().as_str() {
                "proto" => proto = Some(value),
                "host" => host = Some(value),
                _ => {}
            }
        }
    }
    let proto = proto
        .or_else(|| text("x-forwarded-proto"))
        .unwrap_or_else(|| "https".to_owned());
    let host = host
        .or_else(|| text("x-forwarded-host"))
        .or_else(|| text("host"))?;
    let valid = |s: &str| {
        !s.bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'/' || b == b'@')
    };
    (valid(&proto) && valid(&host)).then_some((proto, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_header_wins_then_x_forwarded_then_host() {
        let all = [
            (
                "Forwarded",
                "for=1.2.3.4;proto=https;host=hooks.example.com, for=10.0.0.1",
            ),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Host", "other.example"),
            ("Host", "10.0.0.7:8080"),
        ];
        let url = PublicUrl::Forwarded.url_for("/t?a=1", &all[..]);
        assert_eq!(url.as_deref(), Some("https://hooks.example.com/t?a=1"));
        let x = &all[1..];
        assert_eq!(
            PublicUrl::Forwarded.url_for("/t", x).as_deref(),
            Some("http://other.example/t")
        );
        let host = &all[3..];
        assert_eq!(
            PublicUrl::Forwarded.url_for("/t", host).as_deref(),
            Some("https://10.0.0.7:8080/t")
        );
        let none: [(&str, &str); 0] = [];
        assert_eq!(PublicUrl::Forwarded.url_for("/t", &none[..]), None);
    }

    #[test]
    fn a_host_that_could_change_the_url_s_shape_is_refused() {
        let sneaky = [("Host", "evil.example/path"), ("X-Forwarded-Host", "a@b")];
        assert_eq!(PublicUrl::Forwarded.url_for("/t", &sneaky[1..]), None);
        assert_eq!(PublicUrl::Forwarded.url_for("/t", &sneaky[..1]), None);
    }

    #[test]
    fn per_request_gives_no_url() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(PublicUrl::PerRequest.url_for("/t", &none[..]), None);
    }
}
