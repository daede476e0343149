//! What every webhook receiver does with a request, framework-free: the `Content-Length` rule
//! and the bounded body buffer before verifying it, and the report of how it was answered.
//! `webhook-axum` and `webhook-actix` only poll their framework's body and feed the chunks to a
//! [`BodyBuffer`], and report each answer through the functions below, so both answer, log,
//! count and record alike.
//!
//! | request | answer |
//! |---|---|
//! | `Content-Length` not a plain decimal number (`+5`, `" 5"`, `5,5`, empty) | `400` `{"error":"malformed Content-Length"}` |
//! | `Content-Length` over the limit | `413` before any byte of the body is read |
//! | streamed body passing the limit | `413` at the chunk that passes it; the rest is never buffered |
//!
//! # Log vocabulary
//! Both adapters log through these functions, so their logs read alike (`tracing`; never a
//! signature, a secret or a body):
//!
//! | when | what | level | fields |
//! |---|---|---|---|
//! | a delivery is refused before its handler ([`log_refused`]) | event `webhook refused` | `WARN` | `status`, `reason`, `path` |
//! | a provider's endpoint check is answered ([`log_handshake`]) | event `webhook handshake answered` | `INFO` | `scheme`, `status`, `path` |
//! | a delivery is authentic ([`accepted_span`]) | span `webhook`, around the handler | `INFO` | `scheme`, `webhook_id`, `secret_index` |
//! | ... and inside that span ([`log_verified`]) | event `webhook verified` | `DEBUG` | |
//!
//! # Reporting an answer
//! One function per way a request ends pairs its log line, its metric (the table in
//! [`metrics`]) and its record for the verifier's
//! [`DeliveryRecorder`](crate::delivery::DeliveryRecorder), so an adapter cannot do one and
//! forget another:
//!
//! | the request | call | logs | counts | records |
//! |---|---|---|---|---|
//! | refused before its handler | [`refused`] | [`log_refused`] | `outcome="refused"` and its `reason` | the refusal |
//! | an endpoint check, answered | [`handshake_answered`] | [`log_handshake`] | `outcome="handshake"` | the check |
//! | authentic, before its handler | [`verified`] | | body size, verify time | (its id and event type, for the answer) |
//! | authentic, answered | [`answered`] | | the answer's outcome, handler time | the answer |
//!
//! ```
//! use bytes::Bytes;
//! use webhook_verify::receiver::{BodyBuffer, declared_length};
//!
//! let declared = declared_length(Some(b"11"))?;
//! let mut buffer = BodyBuffer::new(declared, 1024)?;
//! buffer.push(Bytes::from_static(b"hello "))?;
//! buffer.push(Bytes::from_static(b"world"))?;
//! assert_eq!(buffer.finish(), "hello world");
//! # Ok::<(), webhook_verify::Rejection>(())
//! ```

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::delivery::{self, Capture};
use crate::metrics::{self, Outcome};
use crate::{Handshake, HeaderSource, Rejection, Verified, Verifier};

/// Reports a request refused before its handler: logs it ([`log_refused`]), counts it
/// ([`metrics::refused`]) and hands it to the verifier's recorder with what was `captured` of
/// the request, or with its `headers` alone when it was refused before its body was read.
///
/// ```
/// use webhook_verify::{Rejection, Scheme, Verifier, VerifyError, receiver};
/// let verifier = Verifier::new(Scheme::github(), "secret")?;
/// let rejection = Rejection::from(VerifyError::NoMatchingSignature);
/// receiver::refused(&verifier, &rejection, "/webhooks", &[("x-github-event", "push")], None);
/// # Ok::<(), VerifyError>(())
/// ```
pub fn refused<H: HeaderSource + ?Sized>(
    verifier: &Verifier,
    rejection: &Rejection,
    path: &str,
    headers: &H,
    captured: Option<Capture>,
) {
    log_refused(rejection, path);
    metrics::refused(verifier, rejection);
    let captured = captured.or_else(|| delivery::capture(verifier, path, headers, &Bytes::new()));
    if let Some(capture) = captured {
        capture.refused(verifier, rejection);
    }
}

/// Reports an answered endpoint check ([`Handshake`]): logs it ([`log_handshake`]), counts it
/// ([`metrics::handshake`]) and hands it to the verifier's recorder.
///
/// ```
/// use webhook_verify::{Received, Scheme, Verifier, receiver};
/// let verifier = Verifier::new(Scheme::dropbox(), "app-secret")?;
/// if let Received::Handshake(answer) = verifier.receive("GET", "/?challenge=x", &[("host", "h")], b"")? {
///     receiver::handshake_answered(&verifier, &answer, "/", None);
/// }
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn handshake_answered(
    verifier: &Verifier,
    handshake: &Handshake,
    path: &str,
    captured: Option<Capture>,
) {
    log_handshake(handshake, path);
    metrics::handshake(verifier);
    if let Some(capture) = captured {
        capture.handshake(verifier, handshake.status);
    }
}

/// Reports an authentic delivery before its handler runs: records its body size and how long
/// verifying took ([`metrics::verified`]), and notes its id and event type in what was
/// `captured`, for [`answered`].
///
/// ```
/// # use std::time::Duration;
/// use webhook_verify::{Scheme, Verifier, receiver};
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
/// let headers = [("X-Hub-Signature-256", signature)];
/// let verified = verifier.verify(&headers, b"Hello, World!")?;
/// let mut captured = None;
/// receiver::verified(&verifier, &verified, 13, Duration::from_micros(2), &mut captured);
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn verified(
    verifier: &Verifier,
    verified: &Verified<'_>,
    body_bytes: usize,
    took: Duration,
    captured: &mut Option<Capture>,
) {
    metrics::verified(verifier, body_bytes, took);
    if let Some(capture) = captured {
        capture.verified(verified);
    }
}

/// Reports an authentic delivery's answer: counts it under the outcome a later layer `tagged`
/// it with, else by its `status` ([`metrics::answered`]; `handler` is the time from
/// verification to the answer, `None` for an extractor, which does not see the answer), and
/// hands it to the verifier's recorder.
///
/// ```
/// # use std::time::Duration;
/// use webhook_verify::{Scheme, Verifier, metrics::Outcome, receiver};
/// let verifier = Verifier::new(Scheme::github(), "secret")?;
/// receiver::answered(&verifier, Some(Duration::from_millis(3)), 200, None, None);
/// receiver::answered(&verifier, None, 200, Some(Outcome::Duplicate), None);
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn answered(
    verifier: &Verifier,
    handler: Option<Duration>,
    status: u16,
    tagged: Option<Outcome>,
    captured: Option<Capture>,
) {
    metrics::answered(verifier, handler, status, tagged);
    if let Some(capture) = captured {
        capture.answered(verifier, handler, status, tagged);
    }
}

/// Logs a refusal: `WARN webhook refused` with the status, the reason and the request's path.
///
/// ```
/// let rejection = webhook_verify::Rejection::new(401, "no signature matches the body");
/// webhook_verify::receiver::log_refused(&rejection, "/webhooks");
/// ```
pub fn log_refused(rejection: &Rejection, path: &str) {
    tracing::warn!(
        status = rejection.status(),
        reason = rejection.message(),
        path,
        "webhook refused"
    );
}

/// Logs an answered endpoint check ([`Handshake`]): `INFO webhook handshake
/// answered` with the scheme, the status and the request's path (never the challenge).
///
/// ```
/// use webhook_verify::{Received, Scheme, Verifier};
/// let verifier = Verifier::new(Scheme::dropbox(), "app-secret")?;
/// if let Received::Handshake(answer) = verifier.receive("GET", "/?challenge=x", &[("host", "h")], b"")? {
///     webhook_verify::receiver::log_handshake(&answer, "/");
/// }
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn log_handshake(handshake: &Handshake, path: &str) {
    tracing::info!(
        scheme = handshake.scheme,
        status = handshake.status,
        path,
        "webhook handshake answered"
    );
}

/// The `INFO` span an authentic delivery's handler runs in: `webhook` with the `scheme`, the
/// `webhook_id` and the `secret_index` that matched. Disabled (and free) when no subscriber
/// wants it.
///
/// ```
/// use webhook_verify::{Scheme, Verifier};
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
/// let headers = [("X-Hub-Signature-256", signature)];
/// let verified = verifier.verify(&headers, b"Hello, World!")?;
/// let span = webhook_verify::receiver::accepted_span(&verified);
/// assert!(span.is_disabled()); // no subscriber in this example
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn accepted_span(verified: &Verified<'_>) -> tracing::Span {
    if !tracing::span_enabled!(tracing::Level::INFO) {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "webhook",
        scheme = verified.scheme,
        webhook_id = verified.webhook_id.as_deref(),
        secret_index = verified.secret_index,
    )
}

/// Logs `DEBUG webhook verified`; call it inside [`accepted_span`].
///
/// ```
/// webhook_verify::receiver::log_verified();
/// ```
pub fn log_verified() {
    tracing::debug!("webhook verified");
}

/// The length a `Content-Length` value declares: `Ok(None)` when there is none, `400` unless it
/// is a plain decimal number (digits only, RFC 9110 section 8.6: no sign, no white space, no
/// list).
///
/// ```
/// use webhook_verify::receiver::declared_length;
/// assert_eq!(declared_length(Some(b"42")), Ok(Some(42)));
/// assert_eq!(declared_length(None), Ok(None));
/// assert_eq!(declared_length(Some(b"+5")).unwrap_err().status(), 400);
/// assert_eq!(declared_length(Some(b" 5")).unwrap_err().status(), 400);
/// ```
pub fn declared_length(value: Option<&[u8]>) -> Result<Option<u64>, Rejection> {
    let Some(digits) = value else {
        return Ok(None);
    };
    let parsed = (!digits.is_empty()).then_some(digits).and_then(|digits| {
        digits.iter().try_fold(0u64, |len, &digit| {
            let digit = char::from(digit).to_digit(10)?;
            len.checked_mul(10)?.checked_add(u64::from(digit))
        })
    });
    parsed
        .map(Some)
        .ok_or_else(|| Rejection::new(400, "malformed Content-Length"))
}

/// A request body gathered chunk by chunk, refused as soon as it is known to pass its limit.
///
/// A body that arrives in one chunk (the usual case for a delivery) is handed back as that
/// chunk, without copying; later chunks are joined into one buffer sized from the declared
/// length.
///
/// ```
/// use bytes::Bytes;
/// use webhook_verify::receiver::BodyBuffer;
///
/// let mut buffer = BodyBuffer::new(None, 4)?;
/// buffer.push(Bytes::from_static(b"abc"))?;
/// assert_eq!(buffer.push(Bytes::from_static(b"de")).unwrap_err().status(), 413);
/// # Ok::<(), webhook_verify::Rejection>(())
/// ```
#[derive(Debug)]
pub struct BodyBuffer {
    limit: usize,
    declared: Option<u64>,
    first: Bytes,
    joined: Option<BytesMut>,
    received: usize,
}

impl BodyBuffer {
    /// Starts a body of `declared` bytes (if known) under `limit`: `413` at once when the
    /// declared length is over it.
    ///
    /// ```
    /// use webhook_verify::receiver::BodyBuffer;
    /// assert_eq!(BodyBuffer::new(Some(5), 4).unwrap_err().status(), 413);
    /// ```
    pub fn new(declared: Option<u64>, limit: usize) -> Result<Self, Rejection> {
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(Rejection::payload_too_large(limit));
        }
        Ok(Self {
            limit,
            declared,
            first: Bytes::new(),
            joined: None,
            received: 0,
        })
    }

    /// Adds the next chunk: `413` if the body now passes the limit (the chunk is dropped).
    ///
    /// ```
    /// # use webhook_verify::receiver::BodyBuffer;
    /// let mut buffer = BodyBuffer::new(None, 10)?;
    /// buffer.push(bytes::Bytes::from_static(b"{}"))?;
    /// assert_eq!(buffer.received(), 2);
    /// # Ok::<(), webhook_verify::Rejection>(())
    /// ```
    pub fn push(&mut self, chunk: Bytes) -> Result<(), Rejection> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.received = self.received.saturating_add(chunk.len());
        if self.received > self.limit {
            return Err(Rejection::payload_too_large(self.limit));
        }
        if let Some(joined) = self.joined.as_mut() {
            joined.extend_from_slice(&chunk);
        } else if self.first.is_empty() {
            self.first = chunk;
        } else {
            let expected = self
                .declared
                .and_then(|len| usize::try_from(len).ok())
                .unwrap_or(self.received)
                .clamp(self.received, self.limit);
            let mut joined = BytesMut::with_capacity(expected);
            joined.extend_from_slice(&self.first);
            joined.extend_from_slice(&chunk);
            self.first = Bytes::new();
            self.joined = Some(joined);
        }
        Ok(())
    }

    /// How many bytes were pushed so far.
    ///
    /// ```
    /// # use webhook_verify::receiver::BodyBuffer;
    /// assert_eq!(BodyBuffer::new(None, 10)?.received(), 0);
    /// # Ok::<(), webhook_verify::Rejection>(())
    /// ```
    pub fn received(&self) -> usize {
        self.received
    }

    /// The whole body; the buffer is empty afterwards.
    ///
    /// ```
    /// # use webhook_verify::receiver::BodyBuffer;
    /// let mut buffer = BodyBuffer::new(None, 10)?;
    /// assert_eq!(buffer.finish(), "");
    /// # Ok::<(), webhook_verify::Rejection>(())
    /// ```
    pub fn finish(&mut self) -> Bytes {
        match self.joined.take() {
            Some(joined) => joined.freeze(),
            None => std::mem::take(&mut self.first),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_digits_only() {
        for bad in [&b""[..], b"+5", b"-5", b" 5", b"5 ", b"5,5", b"0x5", b"5.0"] {
            assert_eq!(
                declared_length(Some(bad)),
                Err(Rejection::new(400, "malformed Content-Length")),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(declared_length(Some(b"0")), Ok(Some(0)));
        assert_eq!(declared_length(Some(b"007")), Ok(Some(7)));
        assert!(declared_length(Some(b"99999999999999999999999")).is_err());
    }

    #[test]
    fn one_chunk_is_handed_back_without_copying() {
        let chunk = Bytes::from_static(b"{\"id\":1}");
        let mut buffer = BodyBuffer::new(None, 100).unwrap();
        buffer.push(chunk.clone()).unwrap();
        assert_eq!(buffer.finish().as_ptr(), chunk.as_ptr());
    }

    #[test]
    fn chunks_are_joined_in_order_and_empty_ones_skipped() {
        let mut buffer = BodyBuffer::new(Some(5), 5).unwrap();
        for chunk in [&b"ab"[..], b"", b"cd", b"e"] {
            buffer.push(Bytes::copy_from_slice(chunk)).unwrap();
        }
        assert_eq!(buffer.finish(), "abcde");
    }

    #[test]
    fn a_body_exactly_at_the_limit_is_kept() {
        let mut buffer = BodyBuffer::new(None, 4).unwrap();
        buffer.push(Bytes::from_static(b"ab")).unwrap();
        buffer.push(Bytes::from_static(b"cd")).unwrap();
        assert_eq!(buffer.finish(), "abcd");
    }

    #[test]
    fn a_declared_length_over_the_limit_is_413() {
        assert_eq!(
            BodyBuffer::new(Some(5), 4).unwrap_err(),
            Rejection::payload_too_large(4)
        );
        assert!(BodyBuffer::new(Some(4), 4).is_ok());
    }
}
