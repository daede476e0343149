//! Reading a request body up to a limit and within a time, for the middleware and the
//! extractor alike.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::rt::time::Sleep;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, HeaderMap};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use webhook_verify::Rejection;
use webhook_verify::receiver::{self, BodyBuffer};

/// Reads the whole body, refusing it with `413` as soon as it is known to exceed `limit` bytes:
/// before reading anything when `Content-Length` says so, otherwise at the first chunk that
/// passes the limit (the rest is never buffered). A transport error is `400`; a body not
/// complete `timeout` after it first has to be waited for is `408`.
///
/// A body that arrives in one chunk (the usual case for small deliveries) is returned without
/// being copied.
pub(crate) async fn read_limited(
    payload: &mut Payload,
    headers: &HeaderMap,
    limit: usize,
    timeout: Option<Duration>,
) -> Result<Bytes, Rejection> {
    let mut reader = BodyReader::new(headers, limit, timeout)?;
    std::future::poll_fn(|cx| reader.poll_read(payload, cx)).await
}

/// The state of [`read_limited`], for futures that poll it by hand: the payload's chunks go into
/// a [`BodyBuffer`] (the `Content-Length` rule and the limit are `webhook-verify`'s, shared with
/// `webhook-axum`).
#[derive(Debug)]
pub(crate) struct BodyReader {
    buffer: BodyBuffer,
    /// `None`: for ever (a body already in memory).
    timeout: Option<Duration>,
    /// Started when the body first has to be waited for: a body that is there at once costs
    /// no timer.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl BodyReader {
    /// Refuses at once a malformed `Content-Length` (`400`) or one over `limit` (`413`); the
    /// rest of the body may take `timeout` once it has to be waited for.
    pub(crate) fn new(
        headers: &HeaderMap,
        limit: usize,
        timeout: Option<Duration>,
    ) -> Result<Self, Rejection> {
        let declared =
            receiver::declared_length(headers.get(CONTENT_LENGTH).map(|v| v.as_bytes()))?;
        Ok(Self {
            buffer: BodyBuffer::new(declared, limit)?,
            timeout,
            deadline: None,
        })
    }

    /// Reads `payload` to its end, or to the chunk that passes the limit.
    pub(crate) fn poll_read(
        &mut self,
        payload: &mut Payload,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Bytes, Rejection>> {
        loop {
            let Poll::Ready(next) = payload.poll_next_unpin(cx) else {
                return self.poll_deadline(cx);
            };
            match next {
                None => return Poll::Ready(Ok(self.buffer.finish())),
                Some(Ok(chunk)) => {
                    if let Err(rejection) = self.buffer.push(chunk) {
                        return Poll::Ready(Err(rejection));
                    }
                }
                Some(Err(err)) => {
                    tracing::debug!(error = %err, "webhook body could not be read");
                    return Poll::Ready(Err(Rejection::unreadable_body()));
                }
            }
        }
    }

    /// Waits for the deadline (started on the first wait): `408` once it has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, Rejection>> {
        let Some(timeout) = self.timeout else {
            return Poll::Pending;
        };
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Rejection::body_timeout())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The payload handed on after verification: it yields `body` once, then ends.
///
/// `drained` is the payload `body` was read from, now at its end. An HTTP/1 payload takes the
/// bytes back (no allocation); any other gets a one-item stream.
pub(crate) fn hand_on(drained: Payload, body: Bytes) -> Payload {
    if body.is_empty() {
        return Payload::None;
    }
    match drained {
        Payload::H1 { mut payload } => {
            payload.unread_data(body);
            Payload::H1 { payload }
        }
        _ => {
            let once = futures_util::stream::once(std::future::ready(Ok::<_, PayloadError>(body)));
            let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(once);
            Payload::from(stream)
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::error::PayloadError;
    use actix_web::http::header::HeaderValue;
    use futures_util::stream;

    use super::*;

    fn streamed(chunks: Vec<Result<Bytes, PayloadError>>) -> Payload {
        Payload::from(Box::pin(stream::iter(chunks)) as actix_http::BoxedPayloadStream)
    }

    fn ok(chunk: &'static [u8]) -> Result<Bytes, PayloadError> {
        Ok(Bytes::from_static(chunk))
    }

    #[actix_web::test]
    async fn joins_chunks_in_order() {
        let mut payload = streamed(vec![ok(b"ab"), ok(b""), ok(b"cd"), ok(b"e")]);
        let body = read_limited(&mut payload, &HeaderMap::new(), 5, None)
            .await
            .unwrap();
        assert_eq!(&body[..], b"abcde");
    }

    #[actix_web::test]
    async fn stops_at_the_chunk_that_passes_the_limit() {
        let mut payload = streamed(vec![ok(b"abc"), ok(b"def"), ok(b"never read")]);
        let err = read_limited(&mut payload, &HeaderMap::new(), 5, None)
            .await
            .unwrap_err();
        assert_eq!(err, Rejection::payload_too_large(5));
        // The chunk after the one that passed the limit is still in the stream: never read.
        let next = payload.next().await.unwrap().unwrap();
        assert_eq!(&next[..], b"never read");
    }

    #[actix_web::test]
    async fn declared_length_over_the_limit_is_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("6"));
        let mut payload = streamed(vec![ok(b"abcdef")]);
        let err = read_limited(&mut payload, &headers, 5, None)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 413);
        let untouched = payload.next().await.unwrap().unwrap();
        assert_eq!(&untouched[..], b"abcdef");
    }

    #[actix_web::test]
    async fn transport_error_is_400() {
        let mut payload = streamed(vec![ok(b"ab"), Err(PayloadError::Incomplete(None))]);
        let err = read_limited(&mut payload, &HeaderMap::new(), 5, None)
            .await
            .unwrap_err();
        assert_eq!(err, Rejection::unreadable_body());
    }

    async fn collect(mut payload: Payload) -> Vec<Bytes> {
        let mut chunks = Vec::new();
        while let Some(chunk) = payload.next().await {
            chunks.push(chunk.unwrap());
        }
        chunks
    }

    #[actix_web::test]
    async fn handed_on_h1_payload_yields_the_body_once_then_ends() {
        let mut drained = Payload::from(Bytes::from_static(b"{}"));
        let body = read_limited(&mut drained, &HeaderMap::new(), 10, None)
            .await
            .unwrap();
        let chunks = collect(hand_on(drained, body)).await;
        assert_eq!(chunks, [Bytes::from_static(b"{}")]);
    }

    #[actix_web::test]
    async fn handed_on_stream_payload_yields_the_body_once_then_ends() {
        let mut drained = streamed(vec![ok(b"a"), ok(b"b")]);
        let body = read_limited(&mut drained, &HeaderMap::new(), 10, None)
            .await
            .unwrap();
        let chunks = collect(hand_on(drained, body)).await;
        assert_eq!(chunks, [Bytes::from_static(b"ab")]);
    }

    #[actix_web::test]
    async fn handed_on_empty_body_is_an_empty_payload() {
        let drained = Payload::from(Bytes::new());
        assert!(collect(hand_on(drained, Bytes::new())).await.is_empty());
    }

    #[test]
    fn malformed_content_length_is_refused_before_reading() {
        for bad in ["12a", "-1", "", "+5", " 5"] {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static(bad));
            let rejection = BodyReader::new(&headers, 100, None).unwrap_err();
            assert_eq!(
                rejection,
                Rejection::new(400, "malformed Content-Length"),
                "{bad:?}"
            );
        }
    }

    #[actix_web::test]
    async fn body_exactly_at_the_limit_is_read() {
        let mut payload = streamed(vec![ok(b"abcde")]);
        let body = read_limited(&mut payload, &HeaderMap::new(), 5, None)
            .await
            .unwrap();
        assert_eq!(&body[..], b"abcde");
    }
}
