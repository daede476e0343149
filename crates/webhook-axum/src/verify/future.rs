use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::Request;
use http::request::Parts;
use http_body::Body as HttpBody;
use pin_project_lite::pin_project;
use tower_service::Service;
use webhook_verify::Rejection;

use super::{Shared, accepted_span, check};
use crate::body::{BoxError, ReadBody};
use crate::rejection::{WebhookRejection, refuse};

pin_project! {
    /// Response future of [`VerifyWebhook`](super::VerifyWebhook): reads and verifies the body,
    /// then runs the inner service's future inside the acceptance span.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<Body>>,
        B: HttpBody,
        B::Error: Into<BoxError>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<Body>>,
        B: HttpBody,
        B::Error: Into<BoxError>,
    {
        Reading {
            #[pin]
            read: ReadBody<B>,
            pending: Option<(Parts, S, Arc<Shared>)>,
        },
        Calling {
            #[pin]
            future: S::Future,
            span: Option<tracing::Span>,
        },
        Done,
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
    B: HttpBody,
    B::Error: Into<BoxError>,
{
    pub(super) fn new(read: ReadBody<B>, parts: Parts, inner: S, shared: Arc<Shared>) -> Self {
        Self {
            state: State::Reading {
                read,
                pending: Some((parts, inner, shared)),
            },
        }
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
    S::Response: IntoResponse,
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Reading { read, pending } => {
                    // Each step goes straight into the next state: the request parts and the
                    // inner future are large, and every intermediate value is one more copy.
                    let rejection = match ready!(read.poll(cx)) {
                        Err(rejection) => refuse(rejection),
                        Ok(body) => match pending.take() {
                            None => polled_after_completion(),
                            Some((mut parts, mut inner, shared)) => {
                                match check(&shared.verifier, &parts.headers, &body) {
                                    Err(rejection) => rejection,
                                    Ok(verified) => {
                                        let span = accepted_span(&verified);
                                        parts.extensions.insert(verified);
                                        let request = Request::from_parts(parts, Body::from(body));
                                        state.set(State::Calling {
                                            future: match &span {
                                                Some(span) => span.in_scope(|| inner.call(request)),
                                                None => inner.call(request),
                                            },
                                            span,
                                        });
                                        continue;
                                    }
                                }
                            }
                        },
                    };
                    state.set(State::Done);
                    return Poll::Ready(Ok(rejection.into_response()));
                }
                StateProj::Calling { future, span } => {
                    let response = {
                        let _entered = span.as_ref().map(tracing::Span::enter);
                        ready!(future.poll(cx))
                    };
                    state.set(State::Done);
                    return Poll::Ready(response.map(IntoResponse::into_response));
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
    refuse(Rejection::new(
        500,
        "response future polled after completion",
    ))
}

impl<S, B> std::fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<Body>>,
    B: HttpBody,
    B::Error: Into<BoxError>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
