//! The queued record: a verified delivery exactly as received, plus what verification learned.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use webhook_verify::Verified;

use crate::QueueError;

/// What verification learned about a delivery, detached from the request.
///
/// The owned, storable form of [`webhook_verify::Verified`].
///
/// ```
/// use webhook_queue::Verification;
///
/// let v = Verification::new("standard").webhook_id("msg_1").timestamp(1_700_000_000);
/// assert_eq!(v.scheme, "standard");
/// assert_eq!(v.webhook_id.as_deref(), Some("msg_1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verification {
    /// The scheme's name (`standard`, `stripe`, `github`, …).
    pub scheme: String,
    /// The delivery's id when the scheme signs one.
    pub webhook_id: Option<String>,
    /// The signed timestamp (Unix seconds) when the scheme signs one.
    pub timestamp: Option<i64>,
    /// Which configured secret matched, counting from 0.
    pub secret_index: usize,
}

impl Verification {
    /// A verification by `scheme` with no id, no timestamp and secret index 0.
    pub fn new(scheme: impl Into<String>) -> Self {
        Self {
            scheme: scheme.into(),
            webhook_id: None,
            timestamp: None,
            secret_index: 0,
        }
    }

    /// Sets the signed delivery id.
    #[must_use]
    pub fn webhook_id(mut self, id: impl Into<String>) -> Self {
        self.webhook_id = Some(id.into());
        self
    }

    /// Sets the signed timestamp.
    #[must_use]
    pub fn timestamp(mut self, unix_secs: i64) -> Self {
        self.timestamp = Some(unix_secs);
        self
    }

    /// Sets which secret matched.
    #[must_use]
    pub fn secret_index(mut self, index: usize) -> Self {
        self.secret_index = index;
        self
    }
}

impl From<Verified<'_>> for Verification {
    fn from(verified: Verified<'_>) -> Self {
        Self {
            scheme: verified.scheme.to_owned(),
            webhook_id: verified.webhook_id.map(|id| id.into_owned()),
            timestamp: verified.timestamp,
            secret_index: verified.secret_index,
        }
    }
}

impl From<&Verified<'_>> for Verification {
    fn from(verified: &Verified<'_>) -> Self {
        verified.clone().into()
    }
}

/// A verified delivery to process later: the body bytes exactly as received (never
/// re-serialized), the headers the handler needs, what verification learned, when it arrived, and
/// the idempotency key it was accepted under.
///
/// ```
/// use webhook_queue::{Delivery, Verification};
///
/// let delivery = Delivery::new(&br#"{"id":"evt_1","type":"payment.succeeded"}"#[..], Verification::new("stripe"))
///     .header("content-type", "application/json")
///     .idempotency_key("evt_1");
/// assert_eq!(delivery.body().as_ref(), br#"{"id":"evt_1","type":"payment.succeeded"}"#);
/// assert_eq!(delivery.headers()["content-type"], "application/json");
/// assert_eq!(delivery.key(), Some("evt_1"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    body: Bytes,
    headers: HeaderMap,
    verification: Verification,
    received_at: SystemTime,
    idempotency_key: Option<String>,
}

impl Delivery {
    /// A delivery of `body` (as received), received now.
    pub fn new(body: impl Into<Bytes>, verification: impl Into<Verification>) -> Self {
        Self {
            body: body.into(),
            headers: HeaderMap::new(),
            verification: verification.into(),
            received_at: SystemTime::now(),
            idempotency_key: None,
        }
    }

    /// Adds a header value. Names and values that are not valid HTTP are ignored.
    #[must_use]
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<[u8]>) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_ref().as_bytes()),
            HeaderValue::from_bytes(value.as_ref()),
        ) {
            self.headers.append(name, value);
        }
        self
    }

    /// Replaces the headers.
    #[must_use]
    pub fn headers_from(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the key the delivery was accepted under (the event or webhook id).
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Sets when the delivery was received (default: when [`Delivery::new`] ran).
    #[must_use]
    pub fn received_at(mut self, at: SystemTime) -> Self {
        self.received_at = at;
        self
    }

    /// The body, byte for byte as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The headers kept with the delivery.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// What verification learned.
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// When the receiver got the delivery.
    pub fn received(&self) -> SystemTime {
        self.received_at
    }

    /// The idempotency key it was accepted under, if any.
    pub fn key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }

    /// The stream fields of this delivery (body as a raw bytes field), plus `attempts`.
    pub(crate) fn to_fields(&self, attempts: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut fields: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(8 + self.headers.len());
        let mut push = |name: &str, value: &[u8]| fields.push((name.into(), value.into()));
        push(field::BODY, &self.body);
        push(field::ATTEMPTS, attempts.to_string().as_bytes());
        let received_ms = self
            .received_at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        push(field::RECEIVED_MS, received_ms.to_string().as_bytes());
        push(field::SCHEME, self.verification.scheme.as_bytes());
        push(
            field::SECRET_INDEX,
            self.verification.secret_index.to_string().as_bytes(),
        );
        if let Some(id) = &self.verification.webhook_id {
            push(field::WEBHOOK_ID, id.as_bytes());
        }
        if let Some(ts) = self.verification.timestamp {
            push(field::TIMESTAMP, ts.to_string().as_bytes());
        }
        if let Some(key) = &self.idempotency_key {
            push(field::KEY, key.as_bytes());
        }
        let mut previous: Option<&HeaderName> = None;
        let mut repeat = 0;
        for (name, value) in &self.headers {
            repeat = if previous == Some(name) {
                repeat + 1
            } else {
                0
            };
            previous = Some(name);
            // A space cannot occur in a header name, so `h:<name> <n>` is unambiguous.
            let field = if repeat == 0 {
                format!("{}{name}", field::HEADER_PREFIX)
            } else {
                format!("{}{name} {repeat}", field::HEADER_PREFIX)
            };
            fields.push((field.into_bytes(), value.as_bytes().to_vec()));
        }
        fields
    }

    /// Decodes stream fields written by [`Delivery::to_fields`]: the delivery, its attempts so
    /// far and the last error recorded with it.
    pub(crate) fn from_fields<'a>(
        id: &str,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<Stored, QueueError> {
        let malformed = |reason| QueueError::Malformed {
            id: id.to_owned(),
            reason,
        };
        let mut body = None;
        let mut attempts = 0u32;
        let mut received_ms = 0u64;
        let mut verification = Verification::new("");
        let mut key = None;
        let mut last_error = None;
        let mut headers: Vec<(String, u32, &[u8])> = Vec::new();
        for (name, value) in fields {
            let text = || std::str::from_utf8(value).map_err(|_| malformed("field is not UTF-8"));
            match name {
                n if n == field::BODY.as_bytes() => body = Some(Bytes::copy_from_slice(value)),
                n if n == field::ATTEMPTS.as_bytes() => {
                    attempts = text()?.parse().map_err(|_| malformed("bad attempts"))?;
                }
                n if n == field::RECEIVED_MS.as_bytes() => {
                    received_ms = text()?
                        .parse()
                        .map_err(|_| malformed("bad received time"))?;
                }
                n if n == field::SCHEME.as_bytes() => verification.scheme = text()?.to_owned(),
                n if n == field::SECRET_INDEX.as_bytes() => {
                    verification.secret_index =
                        text()?.parse().map_err(|_| malformed("bad secret index"))?;
                }
                n if n == field::WEBHOOK_ID.as_bytes() => {
                    verification.webhook_id = Some(text()?.to_owned());
                }
                n if n == field::TIMESTAMP.as_bytes() => {
                    verification.timestamp =
                        Some(text()?.parse().map_err(|_| malformed("bad timestamp"))?);
                }
                n if n == field::KEY.as_bytes() => key = Some(text()?.to_owned()),
                n if n == field::LAST_ERROR.as_bytes() => {
                    last_error = Some(String::from_utf8_lossy(value).into_owned());
                }
                n if n.starts_with(field::HEADER_PREFIX.as_bytes()) => {
                    let rest = std::str::from_utf8(&n[field::HEADER_PREFIX.len()..])
                        .map_err(|_| malformed("header name is not UTF-8"))?;
                    let (name, repeat) = match rest.split_once(' ') {
                        Some((name, n)) => (name, n.parse().unwrap_or(0)),
                        None => (rest, 0),
                    };
                    headers.push((name.to_owned(), repeat, value));
                }
                _ => {} // fields of other layers (dead-letter metadata) are not part of the delivery
            }
        }
        let body = body.ok_or_else(|| malformed("no body field"))?;
        headers.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        let mut map = HeaderMap::new();
        for (name, _, value) in headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value),
            ) {
                map.append(name, value);
            }
        }
        Ok(Stored {
            delivery: Delivery {
                body,
                headers: map,
                verification,
                received_at: UNIX_EPOCH + Duration::from_millis(received_ms),
                idempotency_key: key,
            },
            attempts,
            last_error,
        })
    }
}

/// A delivery as stored in a queue: with the attempts made so far and the last error.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) delivery: Delivery,
    pub(crate) attempts: u32,
    pub(crate) last_error: Option<String>,
}

/// Stream field names (the Lua scripts use the same literals).
pub(crate) mod field {
    pub(crate) const BODY: &str = "body";
    pub(crate) const ATTEMPTS: &str = "attempts";
    pub(crate) const RECEIVED_MS: &str = "received_ms";
    pub(crate) const SCHEME: &str = "scheme";
    pub(crate) const SECRET_INDEX: &str = "secret_index";
    pub(crate) const WEBHOOK_ID: &str = "webhook_id";
    pub(crate) const TIMESTAMP: &str = "timestamp";
    pub(crate) const KEY: &str = "key";
    pub(crate) const LAST_ERROR: &str = "last_error";
    pub(crate) const HEADER_PREFIX: &str = "h:";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(delivery: &Delivery, attempts: u32) -> Stored {
        let fields = delivery.to_fields(attempts);
        Delivery::from_fields(
            "1-0",
            fields.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        )
        .unwrap()
    }

    #[test]
    fn fields_round_trip_keeps_binary_body_headers_and_verification() {
        let body: &[u8] = &[0, 159, 146, 150, b'{', 255];
        let delivery = Delivery::new(
            Bytes::from_static(body),
            Verification::new("standard")
                .webhook_id("msg_1")
                .timestamp(1_700_000_000)
                .secret_index(1),
        )
        .header("content-type", "application/json")
        .header("x-multi", "a")
        .header("x-multi", "b")
        .idempotency_key("msg_1")
        .received_at(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123));
        let stored = round_trip(&delivery, 3);
        assert_eq!(stored.delivery, delivery);
        assert_eq!(stored.attempts, 3);
        let multi: Vec<_> = stored
            .delivery
            .headers()
            .get_all("x-multi")
            .iter()
            .collect();
        assert_eq!(multi, ["a", "b"]);
    }

    #[test]
    fn entry_without_body_is_malformed() {
        let err = Delivery::from_fields("7-0", [(&b"attempts"[..], &b"0"[..])]).unwrap_err();
        assert!(matches!(err, QueueError::Malformed { ref id, .. } if id == "7-0"));
    }
}
