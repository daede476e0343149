//! [`Webhook<E>`]: verify in the extractor, for handlers that do not sit behind the middleware.

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::time::Instant;
use tracing::Instrument as _;

use webhook_verify::{Rejection, Verified, Verifier, receiver};

use crate::{WebhookRejection, body};

/// A verified delivery, extracted by the inner extractor `E` from the verified bytes.
///
/// `E` is any actix-web extractor that reads the body: `web::Json<T>` (verified JSON),
/// `web::Bytes` (verified bytes), `String`. The extractor reads the body up to the verifier's
/// [`body_limit`](Verifier::body_limit), verifies it, and only then hands `E` a fresh payload
/// holding the same bytes: nothing is parsed before it is verified.
///
/// The [`Verifier`] comes from the app data, as `web::Data<Verifier>` or a plain `Verifier`.
/// Refusals are the middleware's (see the [`verify`](crate::verify) module's table); without a
/// verifier in the app data the answer is `500 {"error":"webhook receiver is misconfigured"}`.
/// An error of `E` (bad JSON, wrong content type) is `E`'s own response, after verification.
/// A refusal is logged like the middleware's; `E` runs inside the `INFO` span `webhook` (scheme,
/// id, secret index), which opens with an event `webhook verified`.
/// `E`'s limit still applies: for `web::Bytes` and `String` bodies over 256 KiB, add a
/// `web::PayloadConfig`.
///
/// ```
/// use actix_web::{App, HttpResponse, test, web};
/// use serde::Deserialize;
/// use webhook_actix::Webhook;
/// use webhook_verify::{Scheme, Signer, Verifier};
///
/// #[derive(Deserialize)]
/// struct Notification { event: String }
///
/// async fn receive(webhook: Webhook<web::Json<Notification>>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("{} via {}", webhook.payload.event, webhook.verified.scheme))
/// }
///
/// # #[actix_web::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let app = test::init_service(
///     App::new()
///         .app_data(web::Data::new(verifier))
///         .route("/webhooks", web::post().to(receive)),
/// )
/// .await;
///
/// let body = br#"{"event":"order.completed"}"#;
/// let signed = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
/// let mut req = test::TestRequest::post()
///     .uri("/webhooks")
///     .insert_header(("content-type", "application/json"))
///     .set_payload(&body[..]);
/// for header in signed {
///     req = req.insert_header(header);
/// }
/// let res = test::call_service(&app, req.to_request()).await;
/// assert_eq!(test::read_body(res).await, "order.completed via hmac-sha256");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Webhook<E> {
    /// What the inner extractor made of the verified bytes.
    pub payload: E,
    /// What verification learned: scheme, webhook id, timestamp, which secret matched.
    pub verified: Verified<'static>,
}

impl<E> FromRequest for Webhook<E>
where
    E: FromRequest + 'static,
    E::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let Some(verifier) = verifier_of(&req) else {
                tracing::error!(
                    path = req.path(),
                    "webhook_actix::Webhook: no webhook_verify::Verifier in the app data \
                     (add `.app_data(web::Data::new(verifier))`)"
                );
                let rejection = Rejection::misconfigured();
                webhook_verify::receiver::log_refused(&rejection, req.path());
                return Err(refuse(rejection));
            };
            let (limit, timeout) = (verifier.body_limit(), Some(verifier.body_timeout()));
            let body = body::read_limited(&mut payload, req.headers(), limit, timeout)
                .await
                .map_err(|rejection| {
                    crate::verify::report_refused(&verifier, &rejection, &req, None);
                    refuse(rejection)
                })?;
            verifier
                .prepare(&crate::ActixHeaders::new(req.headers()), &body)
                .await;
            let started = Instant::now();
            let mut captured = crate::verify::capture(&verifier, &req, &body);
            let verified =
                crate::verify::check(&verifier, &req, &body).map_err(|err| match err {
                    Ok(handshake) => {
                        let (path, captured) = (req.path(), captured.take());
                        receiver::handshake_answered(&verifier, &handshake, path, captured);
                        let answer = crate::verify::handshake_response(handshake);
                        InternalError::from_response("webhook handshake", answer).into()
                    }
                    Err(rejection) => {
                        let captured = captured.take();
                        crate::verify::report_refused(&verifier, &rejection, &req, captured);
                        refuse(rejection)
                    }
                })?;
            let took = started.elapsed();
            receiver::verified(&verifier, &verified, body.len(), took, &mut captured);
            // An extractor does not see the handler's answer: counted as accepted once verified.
            receiver::answered(&verifier, None, 200, None, captured);
            let span = crate::verify::accepted_span(&verified);
            let mut verified_payload = body::hand_on(payload, body);
            let payload = async {
                webhook_verify::receiver::log_verified();
                E::from_request(&req, &mut verified_payload).await
            }
            .instrument(span)
            .await
            .map_err(Into::into)?;
            Ok(Webhook { payload, verified })
        })
    }
}

/// The verifier from the app data: `web::Data<Verifier>` first, then a plain `Verifier`.
fn verifier_of(req: &HttpRequest) -> Option<Verifier> {
    req.app_data::<web::Data<Verifier>>()
        .map(|data| Verifier::clone(data))
        .or_else(|| req.app_data::<Verifier>().cloned())
}

/// The error answering a refused (and reported) request.
fn refuse(rejection: Rejection) -> actix_web::Error {
    WebhookRejection::from(rejection).into()
}
