//! [`VerifyWebhookFuture`]: what [`VerifyWebhookMiddleware`](super::VerifyWebhookMiddleware)
//! returns for each request.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage as _};
use pin_project_lite::pin_project;
use std::time::Instant;
use tracing::Span;

use bytes::Bytes;
use webhook_verify::delivery::Capture;
use webhook_verify::{Prefetch, Rejection, receiver};

use crate::ActixHeaders;

use super::middleware::{Inner, raise_extractor_limits, refuse};
use crate::body::{self, BodyReader};

pin_project! {
    /// The response future of [`VerifyWebhookMiddleware`](super::VerifyWebhookMiddleware): reads
    /// and verifies the body, then runs the wrapped service with it, or answers the refusal.
    ///
    /// Written by hand rather than boxed: no allocation, and only the state it is in.
    pub struct VerifyWebhookFuture<S>
    where
        S: Service<ServiceRequest>,
    {
        inner: Rc<Inner<S>>,
        #[pin]
        state: State<S::Future>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        /// Reading the body; `req` is taken when it is read.
        Reading {
            req: Option<ServiceRequest>,
            payload: Payload,
            reader: BodyReader,
        },
        /// Read; the signing certificate the body names is being fetched first
        /// ([`Verifier::preparation`](webhook_verify::Verifier::preparation): `paypal`, `sns`).
        Preparing {
            preparation: Prefetch<'static>,
            pending: Option<(ServiceRequest, Bytes, Payload)>,
        },
        /// Refused before reading (`Content-Length` over the limit); answered at the first poll.
        Refused {
            req: Option<ServiceRequest>,
            rejection: Option<Rejection>,
        },
        /// Verified: the wrapped service runs, inside the `webhook` span.
        Calling {
            #[pin]
            call: F,
            span: Span,
            verified_at: Instant,
            // What the delivery log keeps of it, when the verifier has a recorder.
            capture: Option<Capture>,
        },
    }
}

impl<S> VerifyWebhookFuture<S>
where
    S: Service<ServiceRequest>,
{
    /// Starts on `req`: refused at once if its `Content-Length` passes the limit.
    pub(super) fn new(inner: Rc<Inner<S>>, mut req: ServiceRequest) -> Self {
        let verifier = &inner.verifier;
        let timeout = Some(verifier.body_timeout());
        let state = match BodyReader::new(req.headers(), verifier.body_limit(), timeout) {
            Ok(reader) => State::Reading {
                payload: req.take_payload(),
                req: Some(req),
                reader,
            },
            Err(rejection) => State::Refused {
                req: Some(req),
                rejection: Some(rejection),
            },
        };
        Self { inner, state }
    }
}

impl<S, B> Future for VerifyWebhookFuture<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let (mut req, body, drained) = match this.state.as_mut().project() {
                StateProj::Reading {
                    req,
                    payload,
                    reader,
                } => {
                    let read = ready!(reader.poll_read(payload, cx));
                    let Some(req) = req.take() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    match read {
                        Ok(body) => {
                            let drained = std::mem::replace(payload, Payload::None);
                            let headers = ActixHeaders::new(req.headers());
                            match this.inner.verifier.preparation(&headers, &body) {
                                None => (req, body, drained),
                                Some(preparation) => {
                                    this.state.set(State::Preparing {
                                        preparation,
                                        pending: Some((req, body, drained)),
                                    });
                                    continue;
                                }
                            }
                        }
                        Err(rejection) => {
                            let verifier = &this.inner.verifier;
                            super::report_refused(verifier, &rejection, req.request(), None);
                            return Poll::Ready(Ok(refuse(req, rejection)));
                        }
                    }
                }
                StateProj::Preparing {
                    preparation,
                    pending,
                } => {
                    ready!(preparation.as_mut().poll(cx));
                    let Some(pending) = pending.take() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    pending
                }
                StateProj::Refused { req, rejection } => {
                    return Poll::Ready(match (req.take(), rejection.take()) {
                        (Some(req), Some(rejection)) => {
                            let verifier = &this.inner.verifier;
                            super::report_refused(verifier, &rejection, req.request(), None);
                            Ok(refuse(req, rejection))
                        }
                        _ => Err(polled_after_completion()),
                    });
                }
                StateProj::Calling {
                    call,
                    span,
                    verified_at,
                    capture,
                } => {
                    let _entered = (!span.is_disabled()).then(|| span.enter());
                    let response = ready!(call.poll(cx))?;
                    let tagged = response.response().extensions().get().copied();
                    let status = response.status().as_u16();
                    let handler = Some(verified_at.elapsed());
                    let capture = capture.take();
                    receiver::answered(&this.inner.verifier, handler, status, tagged, capture);
                    return Poll::Ready(Ok(response.map_into_left_body()));
                }
            };

            let inner = &**this.inner;
            let started = Instant::now();
            let mut captured = super::capture(&inner.verifier, req.request(), &body);
            let verified = match crate::verify::check(&inner.verifier, req.request(), &body) {
                Ok(verified) => verified,
                Err(Ok(handshake)) => {
                    let path = req.path();
                    receiver::handshake_answered(&inner.verifier, &handshake, path, captured);
                    let answer = crate::verify::handshake_response(handshake);
                    return Poll::Ready(Ok(req.into_response(answer).map_into_right_body()));
                }
                Err(Err(rejection)) => {
                    super::report_refused(&inner.verifier, &rejection, req.request(), captured);
                    return Poll::Ready(Ok(refuse(req, rejection)));
                }
            };
            let verified_at = Instant::now();
            let took = verified_at - started;
            receiver::verified(&inner.verifier, &verified, body.len(), took, &mut captured);
            let span = super::accepted_span(&verified);
            raise_extractor_limits(&mut req, body.len(), inner.verifier.body_limit());
            req.extensions_mut().insert(verified);
            req.set_payload(body::hand_on(drained, body));
            let call = {
                // A disabled span (no subscriber wants it) is not worth entering.
                let _entered = (!span.is_disabled()).then(|| span.enter());
                webhook_verify::receiver::log_verified();
                inner.service.call(req)
            };
            this.state.set(State::Calling {
                call,
                span,
                verified_at,
                capture: captured,
            });
        }
    }
}

fn polled_after_completion() -> Error {
    actix_web::error::ErrorInternalServerError("VerifyWebhookFuture polled after completion")
}
