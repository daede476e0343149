use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::Request;
use pin_project_lite::pin_project;
use tower_service::Service;
use webhook_verify::delivery::Capture;
use webhook_verify::{Prefetch, Rejection, Verified};

use std::time::Instant;

use webhook_verify::{metrics, receiver};

use super::{Shared, accepted_span, check, raise_extractor_limit, refused};
use crate::body::ReadBody;
use crate::rejection::{WebhookRejection, refuse};

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook): reads and verifies the body
    /// if it was not complete when the service was called, then runs the inner service's future
    /// inside the acceptance span.
    pub struct ResponseFuture<S>
    where
        S: Service<Request<Body>>,
    {
        #[pin]
        state: State<S>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S>
    where
        S: Service<Request<Body>>,
    {
        Reading {
            #[pin]
            read: ReadBody<Body>,
            pending: Option<(Request<Body>, S, Arc<Shared>)>,
        },
        Preparing {
            preparation: Prefetch<'static>,
            pending: Option<(Request<Body>, Bytes, S, Arc<Shared>)>,
        },
        Calling {
            #[pin]
            future: S::Future,
            span: Option<tracing::Span>,
            answered: Answered,
        },
        Refused {
            rejection: Option<WebhookRejection>,
        },
        Done,
    }
}

impl<S> ResponseFuture<S>
where
    S: Service<Request<Body>>,
{
    /// The body was complete when the service was called: verified and handed on at once.
    pub(super) fn read(
        shared: &Shared,
        request: Request<Body>,
        body: Bytes,
        inner: &mut S,
    ) -> Self {
        Self {
            state: verify_and_call(shared, request, body, inner),
        }
    }

    /// The body is still arriving: `inner` is called once it is read and verified.
    pub(super) fn reading(
        read: ReadBody<Body>,
        request: Request<Body>,
        inner: S,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            state: State::Reading {
                read,
                pending: Some((request, inner, shared)),
            },
        }
    }

    /// The body is read but the signing certificate it names is still to be fetched
    /// ([`Verifier::preparation`](webhook_verify::Verifier::preparation)).
    pub(super) fn preparing(
        preparation: Prefetch<'static>,
        pending: (Request<Body>, Bytes, S, Arc<Shared>),
    ) -> Self {
        Self {
            state: State::Preparing {
                preparation,
                pending: Some(pending),
            },
        }
    }

    /// Refused before the body was verified.
    pub(super) fn refused(rejection: WebhookRejection) -> Self {
        Self {
            state: State::Refused {
                rejection: Some(rejection),
            },
        }
    }
}

/// Verifies `body` (read out of `request`); if authentic, puts what was learned in the
/// extensions and calls `inner` with the same bytes as body inside the acceptance span. The state
/// to continue in either way.
fn verify_and_call<S>(
    shared: &Shared,
    mut request: Request<Body>,
    body: Bytes,
    inner: &mut S,
) -> State<S>
where
    S: Service<Request<Body>>,
{
    let (method, uri) = (request.method(), super::original_uri(&request));
    let started = Instant::now();
    let peer = super::peer(request.extensions());
    match check(
        &shared.verifier,
        method,
        uri,
        request.headers(),
        peer,
        &body,
    ) {
        Err(rejection) => State::Refused {
            rejection: Some(rejection),
        },
        Ok((verified, capture)) => {
            let verifier = shared.verifier.clone();
            let answered = Answered::since(started, verifier, &verified, body.len(), capture);
            let span = accepted_span(&verified);
            request.extensions_mut().insert(verified);
            let limit = shared.verifier.body_limit();
            let mut request = raise_extractor_limit(request, body.len(), limit);
            *request.body_mut() = Body::from(body);
            State::Calling {
                future: match &span {
                    Some(span) => span.in_scope(|| inner.call(request)),
                    None => inner.call(request),
                },
                span,
                answered,
            }
        }
    }
}

/// What the metrics of an authentic delivery need once it is answered.
pub(super) struct Answered {
    verifier: webhook_verify::Verifier,
    verified_at: Instant,
    /// What the delivery log keeps of it, when the verifier has a recorder.
    capture: Option<Capture>,
}

impl Answered {
    /// Records the verification that began at `started` and starts the handler's clock.
    fn since(
        started: Instant,
        verifier: webhook_verify::Verifier,
        verified: &Verified<'_>,
        body_bytes: usize,
        mut capture: Option<Capture>,
    ) -> Self {
        let verified_at = Instant::now();
        let took = verified_at - started;
        receiver::verified(&verifier, verified, body_bytes, took, &mut capture);
        Self {
            verifier,
            verified_at,
            capture,
        }
    }

    /// Counts the answer, under the outcome a later layer tagged it with, if any.
    fn record(&mut self, response: &Response) {
        let tagged = response.extensions().get::<metrics::Outcome>().copied();
        let handler = Some(self.verified_at.elapsed());
        let status = response.status().as_u16();
        let capture = self.capture.take();
        receiver::answered(&self.verifier, handler, status, tagged, capture);
    }
}

impl<S> Future for ResponseFuture<S>
where
    S: Service<Request<Body>>,
    S::Response: IntoResponse,
{
    type Output = Result<Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Reading { read, pending } => {
                    let next = match (ready!(read.poll(cx)), pending.take()) {
                        (Err(rejection), pending) => State::Refused {
                            rejection: Some(match &pending {
                                Some((request, _, shared)) => {
                                    let path = request.uri().path();
                                    let peer = super::peer(request.extensions());
                                    refused(
                                        &shared.verifier,
                                        rejection,
                                        path,
                                        request.headers(),
                                        peer,
                                    )
                                }
                                None => refuse(rejection, ""),
                            }),
                        },
                        (Ok(body), Some((request, mut inner, shared))) => {
                            match shared.verifier.preparation(request.headers(), &body) {
                                None => verify_and_call(&shared, request, body, &mut inner),
                                Some(preparation) => State::Preparing {
                                    preparation,
                                    pending: Some((request, body, inner, shared)),
                                },
                            }
                        }
                        (Ok(_), None) => State::Refused { rejection: None },
                    };
                    state.set(next);
                }
                StateProj::Preparing {
                    preparation,
                    pending,
                } => {
                    ready!(preparation.as_mut().poll(cx));
                    let next = match pending.take() {
                        Some((request, body, mut inner, shared)) => {
                            verify_and_call(&shared, request, body, &mut inner)
                        }
                        None => State::Refused { rejection: None },
                    };
                    state.set(next);
                }
                StateProj::Calling {
                    future,
                    span,
                    answered,
                } => {
                    let response = {
                        let _entered = span.as_ref().map(tracing::Span::enter);
                        ready!(future.poll(cx))
                    };
                    let response = response.map(IntoResponse::into_response);
                    if let Ok(response) = &response {
                        answered.record(response);
                    }
                    state.set(State::Done);
                    return Poll::Ready(response);
                }
                StateProj::Refused { rejection } => {
                    let rejection = rejection.take().unwrap_or_else(polled_after_completion);
                    state.set(State::Done);
                    return Poll::Ready(Ok(rejection.into_response()));
                }
                StateProj::Done => {
                    return Poll::Ready(Ok(polled_after_completion().into_response()));
                }
            }
        }
    }
}

/// A future polled again after it completed answers 500 rather than panicking.
fn polled_after_completion() -> WebhookRejection {
    let rejection = Rejection::new(500, "response future polled after completion");
    refuse(rejection, "")
}

impl<S> std::fmt::Debug for ResponseFuture<S>
where
    S: Service<Request<Body>>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
