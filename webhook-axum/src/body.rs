//! Reading a request body into a [`BodyBuffer`] (the `Content-Length` rule and the limit are
//! `webhook-verify`'s, shared with `webhook-actix`), and refusing it with `408` when it is not
//! complete within the body timeout.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body::Body as HttpBody;
use pin_project_lite::pin_project;
use webhook_verify::Rejection;
use webhook_verify::receiver::{self, BodyBuffer};

/// Boxed error of a request body.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// Future that reads a whole body of at most the buffer's limit.
    #[project = ReadBodyProj]
    pub(crate) enum ReadBody<B> {
        /// Streaming; refused as soon as the bytes received pass the limit. A body that knows
        /// it is complete is not polled again for its end.
        Reading {
            #[pin]
            body: B,
            buffer: BodyBuffer,
            timeout: Option<Duration>,
            // Started when the body first has to be waited for: a body that is there at once
            // costs no timer.
            deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        },
        /// Refused before reading: a malformed `Content-Length`, or one over the limit.
        Refused { rejection: Option<Rejection> },
    }
}

impl<B> ReadBody<B>
where
    B: HttpBody,
{
    /// Starts reading `body`, or refuses it at once for its declared length. `timeout`: how
    /// long the rest may take once the body has to be waited for (`None`: for ever, for a body
    /// already in memory).
    pub(crate) fn new(
        headers: &HeaderMap,
        body: B,
        limit: usize,
        timeout: Option<Duration>,
    ) -> Self {
        let buffer = declared_length(headers, &body).and_then(|len| BodyBuffer::new(len, limit));
        match buffer {
            Ok(buffer) => Self::Reading {
                body,
                buffer,
                timeout,
                deadline: None,
            },
            Err(rejection) => Self::Refused {
                rejection: Some(rejection),
            },
        }
    }
}

impl<B> ReadBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    /// Reads what has already arrived, without waiting: `Pending` if the body is not complete
    /// yet (what was read stays buffered, and polling again goes on from there).
    pub(crate) fn poll_now(&mut self) -> Poll<Result<Bytes, Rejection>> {
        Pin::new(self).poll(&mut Context::from_waker(std::task::Waker::noop()))
    }
}

/// Waits for the body's deadline (started on the first wait): `408` once it has passed.
fn poll_deadline(
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    timeout: Option<Duration>,
    cx: &mut Context<'_>,
) -> Poll<Result<Bytes, Rejection>> {
    if deadline.is_none() {
        // No runtime (a body polled outside tokio): no timer to wait on, so no deadline.
        let (Some(timeout), Ok(_)) = (timeout, tokio::runtime::Handle::try_current()) else {
            return Poll::Pending;
        };
        *deadline = Some(Box::pin(tokio::time::sleep(timeout)));
    }
    match deadline.as_mut().map(|sleep| sleep.as_mut().poll(cx)) {
        Some(Poll::Ready(())) => Poll::Ready(Err(Rejection::body_timeout())),
        _ => Poll::Pending,
    }
}

/// The body's length: `Content-Length` by [`receiver::declared_length`]'s rule (malformed:
/// `400`), or as known to the body itself (exact for hyper's `Incoming` and for buffered bodies).
fn declared_length<B: HttpBody>(headers: &HeaderMap, body: &B) -> Result<Option<u64>, Rejection> {
    let header = receiver::declared_length(headers.get(CONTENT_LENGTH).map(|v| v.as_bytes()))?;
    let hint = body.size_hint();
    Ok(match (hint.exact(), header) {
        (Some(exact), _) => Some(exact),
        (None, Some(len)) => Some(len.max(hint.lower())),
        (None, None) => (hint.lower() > 0).then_some(hint.lower()),
    })
}

impl<B> Future for ReadBody<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Output = Result<Bytes, Rejection>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (mut body, buffer, timeout, deadline) = match self.project() {
            ReadBodyProj::Refused { rejection } => {
                let rejection = rejection.take().unwrap_or_else(Rejection::unreadable_body);
                return Poll::Ready(Err(rejection));
            }
            ReadBodyProj::Reading {
                body,
                buffer,
                timeout,
                deadline,
            } => (body, buffer, *timeout, deadline),
        };
        loop {
            let Poll::Ready(frame) = body.as_mut().poll_frame(cx) else {
                return poll_deadline(deadline, timeout, cx);
            };
            match frame {
                None => break,
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        // Trailers are skipped.
                        if let Err(rejection) = buffer.push(data) {
                            return Poll::Ready(Err(rejection));
                        }
                    }
                }
                Some(Err(err)) => {
                    let err: BoxError = err.into();
                    tracing::debug!(error = %err, "webhook body could not be read");
                    return Poll::Ready(Err(Rejection::unreadable_body()));
                }
            }
            // A body that knows it is complete (hyper's with a `Content-Length`, a buffered one)
            // need not be polled once more for its end.
            if body.is_end_stream() {
                break;
            }
        }
        Poll::Ready(Ok(buffer.finish()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::task::Waker;

    use http_body::{Frame, SizeHint};

    use super::*;

    /// A body yielding the given frames, every poll ready; `hint` as its size hint.
    struct Frames {
        frames: VecDeque<Result<Bytes, &'static str>>,
        hint: SizeHint,
        /// Reports its end once this many frames or fewer remain (never if `None`).
        end_with_remaining: Option<usize>,
    }

    fn frames(frames: &[Result<&'static [u8], &'static str>]) -> Frames {
        let frames = frames.iter().map(|f| f.map(Bytes::from_static)).collect();
        Frames {
            frames,
            hint: SizeHint::default(),
            end_with_remaining: None,
        }
    }

    impl HttpBody for Frames {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(
                self.frames
                    .pop_front()
                    .map(|f| f.map(Frame::data).map_err(Into::into)),
            )
        }

        fn size_hint(&self) -> SizeHint {
            self.hint
        }

        fn is_end_stream(&self) -> bool {
            self.end_with_remaining
                .is_some_and(|remaining| self.frames.len() <= remaining)
        }
    }

    fn read(headers: &HeaderMap, body: Frames, limit: usize) -> Result<Bytes, Rejection> {
        let mut future = std::pin::pin!(ReadBody::new(headers, body, limit, None));
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(result) => result,
            Poll::Pending => panic!("a body whose frames are all ready must be read in one poll"),
        }
    }

    #[test]
    fn frames_are_joined_in_order() {
        let body = frames(&[Ok(b"ab"), Ok(b""), Ok(b"cd"), Ok(b"e")]);
        assert_eq!(read(&HeaderMap::new(), body, 5).unwrap(), "abcde");
    }

    #[test]
    fn single_frame_is_passed_on_without_copying() {
        let data: &'static [u8] = b"{\"id\":1}";
        let bytes = read(&HeaderMap::new(), frames(&[Ok(data)]), 100).unwrap();
        assert_eq!(bytes.as_ptr(), data.as_ptr());
    }

    #[test]
    fn body_reporting_its_end_is_not_polled_again() {
        let mut body = frames(&[Ok(b"ab"), Err("must not be polled")]);
        body.end_with_remaining = Some(1);
        assert_eq!(read(&HeaderMap::new(), body, 100).unwrap(), "ab");
    }

    #[test]
    fn body_exactly_at_limit_is_read() {
        let body = frames(&[Ok(b"ab"), Ok(b"cd")]);
        assert_eq!(read(&HeaderMap::new(), body, 4).unwrap(), "abcd");
    }

    #[test]
    fn body_passing_limit_in_a_later_frame_gets_413() {
        let body = frames(&[Ok(b"abc"), Ok(b"de"), Ok(b"never read")]);
        assert_eq!(read(&HeaderMap::new(), body, 4).unwrap_err().status(), 413);
    }

    #[test]
    fn content_length_over_limit_gets_413_without_polling() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_LENGTH, http::HeaderValue::from_static("5"));
        // A body that would fail if read: only the header can refuse it.
        let rejection = read(&headers, frames(&[Err("must not be polled")]), 4).unwrap_err();
        assert_eq!(rejection, Rejection::payload_too_large(4));
    }

    #[test]
    fn malformed_content_length_gets_400_without_polling() {
        for bad in [" 5", "+5", "5 "] {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_LENGTH, http::HeaderValue::from_static(bad));
            let rejection = read(&headers, frames(&[Err("must not be polled")]), 100).unwrap_err();
            assert_eq!(
                rejection,
                Rejection::new(400, "malformed Content-Length"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn exact_size_hint_over_limit_gets_413_without_polling() {
        let mut body = frames(&[Err("must not be polled")]);
        body.hint = SizeHint::with_exact(5);
        assert_eq!(read(&HeaderMap::new(), body, 4).unwrap_err().status(), 413);
    }

    #[test]
    fn body_error_gets_400() {
        let body = frames(&[Ok(b"ab"), Err("connection reset")]);
        assert_eq!(
            read(&HeaderMap::new(), body, 100).unwrap_err(),
            Rejection::unreadable_body()
        );
    }

    #[test]
    fn empty_body_is_empty() {
        assert_eq!(read(&HeaderMap::new(), frames(&[]), 100).unwrap(), "");
    }
}
