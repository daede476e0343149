//! [`VerifyWebhookMiddleware`]: the service that reads, verifies and hands on each request.

use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName};
use actix_web::{Error, ResponseError as _, web};
use webhook_verify::{Rejection, Verifier};

use super::VerifyWebhookFuture;
use crate::WebhookRejection;

/// The [`Service`] built by [`VerifyWebhook`](super::VerifyWebhook) around the wrapped service.
///
/// For each request: refuses it with `413` if `Content-Length` passes the body limit, reads the
/// body up to the limit, verifies it, then calls the wrapped service with the same bytes as the
/// payload and a [`Verified<'static>`](webhook_verify::Verified) in the request extensions. A
/// refused request never reaches the wrapped service.
///
/// You do not build it yourself: `wrap(VerifyWebhook::new(verifier))` does.
pub struct VerifyWebhookMiddleware<S> {
    inner: Rc<Inner<S>>,
}

pub(super) struct Inner<S> {
    pub(super) service: S,
    pub(super) verifier: Verifier,
    /// The scheme's signature headers, parsed once.
    signature_headers: Box<[HeaderName]>,
}

impl<S> VerifyWebhookMiddleware<S> {
    pub(super) fn new(service: S, verifier: Verifier) -> Self {
        let signature_headers = verifier
            .scheme()
            .signature_headers()
            .into_iter()
            .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
            .collect();
        Self {
            inner: Rc::new(Inner {
                service,
                verifier,
                signature_headers,
            }),
        }
    }
}

impl<S> fmt::Debug for VerifyWebhookMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyWebhookMiddleware")
            .field("verifier", &self.inner.verifier)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for VerifyWebhookMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = VerifyWebhookFuture<S>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.service.poll_ready(cx)
    }

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        mark_sensitive(req.headers_mut(), &self.inner.signature_headers);
        VerifyWebhookFuture::new(Rc::clone(&self.inner), req)
    }
}

/// Marks every value of the signature headers sensitive, so `Debug` output of the request (and
/// loggers that honour the flag) show `Sensitive` instead of the signature.
fn mark_sensitive(headers: &mut HeaderMap, names: &[HeaderName]) {
    for name in names {
        if let Some(value) = headers.get_mut(name) {
            value.set_sensitive(true);
        } else {
            continue;
        }
        if headers.get_all(name).len() > 1 {
            // Repeated (rare): one pass marks every value.
            headers.retain(|key, value| {
                if key == name {
                    value.set_sensitive(true);
                }
                true
            });
        }
    }
}

/// Answers a refused (and reported) request without calling the wrapped service.
pub(super) fn refuse<B>(
    req: ServiceRequest,
    rejection: Rejection,
) -> ServiceResponse<EitherBody<B>> {
    let response = WebhookRejection::from(rejection).error_response();
    req.into_response(response).map_into_right_body()
}

/// Body size from which actix-web's `web::Bytes` and `String` extractors refuse a body unless a
/// `web::PayloadConfig` says otherwise (its documented default, 256 KiB). `web::Json`'s default
/// is 2 MiB, above this.
const ACTIX_DEFAULT_PAYLOAD_LIMIT: usize = 262_144;

/// Lets the handler's extractors read every body the middleware accepted: when the body is over
/// actix-web's default extractor limit and the app set no limit of its own, the verifier's limit
/// applies for this request. Configs set by the app (at any level) are left alone; ones set on a
/// resource inside the wrapped scope are pushed later and still win.
pub(super) fn raise_extractor_limits(req: &mut ServiceRequest, body_len: usize, limit: usize) {
    if body_len <= ACTIX_DEFAULT_PAYLOAD_LIMIT {
        return;
    }
    let mut data = Extensions::new();
    let mut any = false;
    if req.app_data::<web::PayloadConfig>().is_none()
        && req.app_data::<web::Data<web::PayloadConfig>>().is_none()
    {
        data.insert(web::PayloadConfig::new(limit));
        any = true;
    }
    if req.app_data::<web::JsonConfig>().is_none()
        && req.app_data::<web::Data<web::JsonConfig>>().is_none()
    {
        data.insert(web::JsonConfig::default().limit(limit));
        any = true;
    }
    if any {
        req.add_data_container(Rc::new(data));
    }
}
