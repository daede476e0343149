//! [`IdempotencyMiddleware`]: the service that claims each verified delivery's event before the
//! handler runs, and completes or releases the claim after.

use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage as _, ResponseError as _};
use futures_util::future::LocalBoxFuture;
use webhook_idempotency::{Admitted, Claim, IdempotencyGuard};
use webhook_verify::{Rejection, Verified};

use crate::{ActixHeaders, WebhookRejection, behind_verify, body};

/// The [`Service`] built by [`Idempotency`](super::Idempotency) around the wrapped service.
///
/// For each request: reads the [`Verified<'static>`](Verified) that
/// [`VerifyWebhook`](crate::VerifyWebhook) left in the extensions and the verified body,
/// derives the event's key, claims it, and calls the wrapped service only for the event's first
/// delivery (or when the guard fails open), with the key in the extensions as an
/// [`IdempotencyKey`](webhook_idempotency::IdempotencyKey). A 2xx answer marks the event done;
/// any other answer, an error or a panic releases the claim before it is passed on, and a
/// dropped (cancelled) request releases it in the background.
///
/// You do not build it yourself: `wrap(Idempotency::new(guard))` does.
pub struct IdempotencyMiddleware<S> {
    inner: Rc<Inner<S>>,
}

struct Inner<S> {
    service: S,
    guard: IdempotencyGuard,
}

impl<S> IdempotencyMiddleware<S> {
    pub(super) fn new(service: S, guard: IdempotencyGuard) -> Self {
        Self {
            inner: Rc::new(Inner { service, guard }),
        }
    }
}

impl<S> fmt::Debug for IdempotencyMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdempotencyMiddleware")
            .field("guard", &self.inner.guard)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for IdempotencyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.service.poll_ready(cx)
    }

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let inner = Rc::clone(&self.inner);
        Box::pin(async move {
            if !req.extensions().contains::<Verified<'static>>() {
                let rejection =
                    behind_verify::not_verified("webhook_actix::Idempotency", req.path());
                return Ok(answer(req, rejection));
            }
            let mut payload = req.take_payload();
            let body = match behind_verify::read_body(&mut payload, req.headers()).await {
                Ok(body) => body,
                Err(rejection) => return Ok(answer(req, rejection)),
            };
            // Out of the extensions while the store answers (no borrow held across the await),
            // back in for the handler. The guard logs every outcome; nothing more to log here.
            let verified = req.extensions_mut().remove::<Verified<'static>>();
            let headers = ActixHeaders::new(req.headers());
            let admitted = inner.guard.admit(verified.as_ref(), &headers, &body).await;
            let Admitted { key, claim } = match admitted {
                Ok(admitted) => admitted,
                Err(rejection) => return Ok(answer(req, rejection)),
            };
            if let Some(verified) = verified {
                req.extensions_mut().insert(verified);
            }

            req.set_payload(body::hand_on(payload, body));
            req.extensions_mut().insert(key);
            // Completed on a 2xx, released otherwise, on an error or a panic; a dropped future
            // (the request cancelled) drops the claim, released in the background.
            // Called inside the settled future, so that a panic in `call` itself is caught too.
            let call = async { inner.service.call(req).await };
            let response =
                Claim::settle(claim, call, |response| response.status().as_u16()).await?;
            Ok(response.map_into_left_body())
        })
    }
}

/// Answers without calling the wrapped service.
fn answer<B>(req: ServiceRequest, rejection: Rejection) -> ServiceResponse<EitherBody<B>> {
    let response = WebhookRejection::from(rejection).error_response();
    req.into_response(response).map_into_right_body()
}
