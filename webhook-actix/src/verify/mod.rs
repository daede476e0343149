//! The verifying middleware: [`VerifyWebhook`] (the actix-web [`Transform`]),
//! [`VerifyWebhookMiddleware`] (the [`Service`] it wraps around your routes) and
//! [`VerifyWebhookFuture`] (its response future).
//!
//! Wrap an `App`, a `Scope` or a `Resource`; every request that reaches the wrapped services has
//! been read up to the verifier's [`body_limit`](webhook_verify::Verifier::body_limit) and
//! verified over its exact bytes. The handler then reads the same bytes with `web::Json<T>`,
//! `web::Bytes` or `String`, and what verification learned with
//! `web::ReqData<Verified<'static>>`.
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use webhook_actix::VerifyWebhook;
//! use webhook_verify::{Scheme, Signer, Verified, Verifier};
//!
//! async fn receive(body: web::Bytes, verified: web::ReqData<Verified<'static>>) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("{} bytes, {}", body.len(), verified.scheme))
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let app = test::init_service(
//!     App::new().service(
//!         web::resource("/webhooks")
//!             .wrap(VerifyWebhook::new(verifier))
//!             .route(web::post().to(receive)),
//!     ),
//! )
//! .await;
//!
//! // A delivery signed with the right secret reaches the handler...
//! let body = br#"{"event":"user.created","data":{"id":"user_123"}}"#;
//! let signed = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
//! let mut req = test::TestRequest::post().uri("/webhooks").set_payload(&body[..]);
//! for header in signed {
//!     req = req.insert_header(header);
//! }
//! let res = test::call_service(&app, req.to_request()).await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(test::read_body(res).await, "49 bytes, hmac-sha256");
//!
//! // ...one without a signature never does.
//! let req = test::TestRequest::post().uri("/webhooks").set_payload(&body[..]).to_request();
//! let res = test::call_service(&app, req).await;
//! assert_eq!(res.status(), 401);
//! assert_eq!(
//!     test::read_body(res).await,
//!     r#"{"error":"missing header X-Webhook-Signature"}"#
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Responses
//!
//! Refusals come from [`webhook_verify::Rejection`], shared with `webhook-axum`, and are sent as
//! `application/json`. The wrapped service is never called for a refused request.
//!
//! | failure                                                   | status | JSON body |
//! |-----------------------------------------------------------|--------|-----------|
//! | signature header missing                                  | `401`  | `{"error":"missing header X-Webhook-Signature"}` |
//! | signature malformed, not hex/base64, or ambiguous repeat  | `401`  | `{"error":"malformed header ..."}` and alike |
//! | no signature matches the body under any secret            | `401`  | `{"error":"no signature matches the body"}` |
//! | timestamp outside tolerance (timestamped schemes)         | `401`  | `{"error":"timestamp is older than the 300 s tolerance"}` |
//! | `Content-Length` over the limit (nothing read)            | `413`  | `{"error":"body exceeds the 2097152-byte limit"}` |
//! | body passes the limit while streaming (rest never read)   | `413`  | `{"error":"body exceeds the 2097152-byte limit"}` |
//! | body could not be read (connection or chunked error)      | `400`  | `{"error":"request body could not be read"}` |
//! | no verifier in the app data ([`Webhook`](crate::Webhook) only) | `500` | `{"error":"webhook receiver is misconfigured"}` |
//!
//! The providers' endpoint checks (Slack `url_verification`, Zoom `endpoint.url_validation`,
//! Twitch `webhook_callback_verification`, Dropbox and Meta `GET` challenges; the table is in
//! [`webhook_verify::handshake`]) are answered by the middleware (and the
//! [`Webhook`](crate::Webhook) extractor) without calling the handler, signed ones only once
//! verified.
//!
//! # What handlers get
//!
//! - The payload is re-installed with the same bytes, so `web::Json<T>`, `web::Bytes`, `String`
//!   and [`Webhook<E>`](crate::Webhook) work as without the middleware. actix-web's own
//!   `web::Bytes`/`String` extractors refuse bodies over 256 KiB by default: when a verified body
//!   is larger and the app configures no `web::PayloadConfig` (or `web::JsonConfig`), the
//!   middleware raises their limit to the verifier's for that request, so every body it accepted
//!   can be extracted. A config you set yourself is left alone.
//! - A [`Verified<'static>`](webhook_verify::Verified) in the request extensions: scheme, webhook
//!   id, signed timestamp, index of the matching secret.
//!
//! # Tracing
//!
//! A refusal emits a `WARN` event `webhook refused` with the status and the reason (never a
//! secret or a signature). An accepted delivery runs the wrapped service inside an `INFO` span
//! `webhook` with `scheme`, `webhook_id` and `secret_index`. The scheme's signature headers are
//! marked sensitive, so the `Debug` output of the request inside the wrapped services prints
//! `Sensitive` in their place.
//!
//! [`Transform`]: actix_web::dev::Transform
//! [`Service`]: actix_web::dev::Service

mod future;
mod middleware;
mod transform;

pub use future::VerifyWebhookFuture;
pub use middleware::VerifyWebhookMiddleware;
pub use transform::VerifyWebhook;

pub(crate) use webhook_verify::receiver::accepted_span;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use webhook_verify::delivery::{self, Capture};
use webhook_verify::{Handshake, Received, Rejection, Verified, Verifier, receiver};

use crate::ActixHeaders;

/// What the verifier's recorder (a dashboard's delivery log) keeps of `req` with `body`, if it
/// has one (see [`delivery::capture`]).
pub(crate) fn capture(verifier: &Verifier, req: &HttpRequest, body: &Bytes) -> Option<Capture> {
    delivery::capture(
        verifier,
        req.path(),
        &ActixHeaders::new(req.headers()),
        body,
    )
    .map(|capture| capture.source(req.peer_addr().map(|peer| peer.ip())))
}

/// Reports a refusal before the handler ([`receiver::refused`]) with what was captured of `req`
/// (`None`: refused before its body was read, so only its head and source are captured).
pub(crate) fn report_refused(
    verifier: &Verifier,
    rejection: &Rejection,
    req: &HttpRequest,
    captured: Option<Capture>,
) {
    let headers = ActixHeaders::new(req.headers());
    let captured = captured.or_else(|| capture(verifier, req, &Bytes::new()));
    receiver::refused(verifier, rejection, req.path(), &headers, captured);
}

/// Verifies `body` against `req`'s head: method, path and query (the URL-signed schemes' URL is
/// rebuilt from the verifier's `PublicUrl`) and headers. A provider's endpoint check comes back
/// as `Err(Ok(answer))`, a refusal as `Err(Err(rejection))`; the caller reports either.
pub(crate) fn check(
    verifier: &Verifier,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Verified<'static>, Result<Handshake, Rejection>> {
    let path_and_query = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let headers = ActixHeaders::new(req.headers());
    match verifier.receive(req.method().as_str(), path_and_query, &headers, body) {
        Ok(Received::Delivery(verified)) => Ok(verified.into_owned()),
        Ok(Received::Handshake(handshake)) => Err(Ok(handshake)),
        Err(err) => Err(Err(Rejection::from(err))),
    }
}

/// The answer to an endpoint check: its status, `Content-Type` and body, and `nosniff`.
pub(crate) fn handshake_response(handshake: Handshake) -> HttpResponse {
    let status = StatusCode::from_u16(handshake.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type(handshake.content_type);
    for header in Handshake::HEADERS {
        response.insert_header(header);
    }
    response.body(handshake.body)
}
