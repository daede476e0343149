//! Middleware that verifies each request's webhook signature before the handler runs.
//!
//! [`VerifyWebhookLayer`] reads the body up to [`Verifier::body_limit`] (2 MiB by default),
//! verifies it, and on success calls the inner service with the **same bytes** as body and a
//! [`Verified<'static>`](webhook_verify::Verified) in the request extensions, so handlers still
//! use `Json<T>`, `Bytes` or `String` as usual. On failure it answers at once, without calling
//! the inner service:
//!
//! | failure                                                   | status | JSON body                                              |
//! |-----------------------------------------------------------|--------|--------------------------------------------------------|
//! | signature header missing                                  | 401    | `{"error": "missing header X-Webhook-Signature"}`      |
//! | signature malformed (bad prefix, not hex/base64)          | 401    | `{"error": "malformed header ..."}` / `"... not valid hex"` |
//! | no signature matches the body under any secret            | 401    | `{"error": "no signature matches the body"}`           |
//! | timestamp outside the tolerance (default 300 s)           | 401    | `{"error": "timestamp is older than the 300 s tolerance"}` |
//! | `Content-Length` over the limit (nothing is read)         | 413    | `{"error": "body exceeds the 2097152-byte limit"}`     |
//! | streamed body passes the limit (read stops there)         | 413    | `{"error": "body exceeds the 2097152-byte limit"}`     |
//! | body cannot be read (broken chunked encoding, I/O error)  | 400    | `{"error": "request body could not be read"}`          |
//! | verifier misconfigured                                    | 500    | `{"error": "webhook receiver is misconfigured"}`       |
//!
//! Statuses and messages come from [`webhook_verify::Rejection`], shared with `webhook-actix`.
//!
//! The providers' endpoint checks (Slack `url_verification`, Zoom `endpoint.url_validation`,
//! Twitch `webhook_callback_verification`, Dropbox and Meta `GET` challenges; the table is in
//! [`webhook_verify::handshake`]) are answered by the layer (and the [`Webhook`](crate::Webhook)
//! extractor) without calling the handler, signed ones only once verified. Dropbox and Meta
//! check with a `GET`: route it too (`post(receive).get(receive)`), or the router answers `405`
//! before the layer sees it.
//! Each refusal emits a `tracing` event at `WARN` with the status and reason (never a signature
//! or a secret); each accepted request runs the inner service inside an `INFO` span `webhook`
//! with the `scheme`, `webhook_id` and `secret_index`.
//!
//! The layer marks the scheme's signature headers sensitive
//! ([`HeaderValue::set_sensitive`](http::HeaderValue::set_sensitive)), so `tower-http`'s trace
//! layers **inside** it print them as `Sensitive`. For a trace layer outside it, add
//! `tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer::new(layer.signature_headers().to_vec())`
//! outermost.
//!
//! axum's own body extractors apply `DefaultBodyLimit` (2 MiB) again behind the layer. A verified
//! body larger than that (with a larger [`body_limit`](webhook_verify::VerifierBuilder::body_limit))
//! gets the verifier's limit for its extractors, as `webhook-actix` does for its extractor
//! configs: what was verified is never refused for its size behind the layer.
//!
//! # Example
//!
//! ```
//! use axum::{Extension, Json, Router, routing::post};
//! use webhook_axum::VerifyWebhookLayer;
//! use webhook_verify::{Scheme, Verified, Verifier, envelope::Envelope};
//!
//! async fn receive(Extension(verified): Extension<Verified<'static>>, Json(event): Json<Envelope>) {
//!     println!("{} event {} (secret #{})", verified.scheme, event.event_type(), verified.secret_index);
//! }
//!
//! let verifier = Verifier::builder(Scheme::hmac_sha256())
//!     .secret("new-secret")
//!     .secret("old-secret") // rotation: both are accepted
//!     .body_limit(256 * 1024)
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks", post(receive))
//!     .route_layer(VerifyWebhookLayer::new(verifier)); // only routes with a handler
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```

mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::VerifyWebhookLayer;
pub use service::VerifyWebhook;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, DefaultBodyLimit, OriginalUri};
use bytes::Bytes;
use http::{Extensions, HeaderMap, HeaderName, Method, Request, Uri};
use tower_layer::Layer as _;
use tower_service::Service;
use webhook_verify::delivery::{self, Capture};
use webhook_verify::{Received, Rejection, Verified, Verifier, receiver};

use crate::rejection::WebhookRejection;

/// Verifies `body` against the head of a `method` request to `uri` (the URL-signed schemes'
/// URL is rebuilt from the verifier's `PublicUrl`); reports and converts a refusal. A provider's
/// endpoint check comes back as the `Err` of its answer, so that the handler is not called.
pub(crate) fn check(
    verifier: &Verifier,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    body: &Bytes,
) -> Result<(Verified<'static>, Option<Capture>), WebhookRejection> {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let capture = delivery::capture(verifier, uri.path(), headers, body).map(|c| c.source(peer));
    match verifier.receive(method.as_str(), path_and_query, headers, body) {
        Ok(Received::Delivery(verified)) => Ok((verified.into_owned(), capture)),
        Ok(Received::Handshake(handshake)) => {
            receiver::handshake_answered(verifier, &handshake, uri.path(), capture);
            Err(WebhookRejection::answer(handshake))
        }
        Err(err) => {
            let rejection = Rejection::from(err);
            receiver::refused(verifier, &rejection, uri.path(), headers, capture);
            Err(WebhookRejection::from(rejection))
        }
    }
}

/// Reports a refusal before the body was read ([`receiver::refused`]) and wraps it.
pub(crate) fn refused(
    verifier: &Verifier,
    rejection: Rejection,
    path: &str,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> WebhookRejection {
    let capture = delivery::capture(verifier, path, headers, &Bytes::new()).map(|c| c.source(peer));
    receiver::refused(verifier, &rejection, path, headers, capture);
    WebhookRejection::from(rejection)
}

/// The sender's address: the peer of the connection, as [`crate::serve`] (or
/// `into_make_service_with_connect_info::<SocketAddr>`) puts it in the request's extensions.
pub(crate) fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The span an accepted delivery is handled in ([`receiver::accepted_span`]), having logged
/// `webhook verified` in it; `None` when no subscriber wants it (so that an untraced server pays
/// nothing for it).
pub(crate) fn accepted_span(verified: &Verified<'_>) -> Option<tracing::Span> {
    let span = receiver::accepted_span(verified);
    if span.is_disabled() {
        return None;
    }
    span.in_scope(receiver::log_verified);
    Some(span)
}

/// What every clone of the layer and service shares: one `Arc` to clone per request.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) verifier: Verifier,
    /// The scheme's signature headers, parsed once.
    pub(crate) sensitive: Box<[HeaderName]>,
}

impl Shared {
    pub(crate) fn new(verifier: Verifier) -> Arc<Self> {
        let sensitive = verifier
            .scheme()
            .signature_headers()
            .into_iter()
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .collect();
        Arc::new(Self {
            verifier,
            sensitive,
        })
    }
}

/// Marks every value of the named headers sensitive, so logging layers print `Sensitive`.
///
/// A linear scan: requests carry few headers, and comparing names is cheaper than hashing.
pub(crate) fn mark_sensitive(headers: &mut HeaderMap, names: &[HeaderName]) {
    for (name, value) in headers.iter_mut() {
        if names.contains(name) {
            value.set_sensitive(true);
        }
    }
}

/// The URI the sender requested: inside a nested router axum strips the prefix from
/// `Request::uri` and keeps the original in `OriginalUri`.
pub(crate) fn original_uri<B>(request: &Request<B>) -> &Uri {
    request
        .extensions()
        .get::<OriginalUri>()
        .map_or(request.uri(), |original| &original.0)
}

/// axum's own default extractor limit (`DefaultBodyLimit`): 2 MiB.
const AXUM_DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Lets the extractors behind the layer read a verified body over axum's default limit: the
/// request gets `DefaultBodyLimit::max(limit)`, as that layer would set it.
pub(crate) fn raise_extractor_limit<B>(
    request: Request<B>,
    body_len: usize,
    limit: usize,
) -> Request<B> {
    if body_len <= AXUM_DEFAULT_BODY_LIMIT {
        return request;
    }
    let mut mark = DefaultBodyLimit::max(limit).layer(ReturnRequest);
    match mark.call(request).into_inner() {
        Ok(request) => request,
        Err(never) => match never {},
    }
}

/// The service `DefaultBodyLimit` wraps to mark a request: it hands the request back.
#[derive(Clone, Copy)]
struct ReturnRequest;

impl<B> Service<Request<B>> for ReturnRequest {
    type Response = Request<B>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Request<B>, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        std::future::ready(Ok(request))
    }
}
