//! Which key identifies an event: [`KeyStrategy`].

use std::borrow::Cow;
use std::sync::Arc;

use webhook_verify::{HeaderSource, Verified};

use crate::Fingerprint;

/// Keys longer than this are replaced by `sha256:<hex of the key>`.
const MAX_KEY_LEN: usize = 200;

/// How the guard derives an event's key from a verified delivery.
///
/// The default, [`KeyStrategy::signed`], uses only data the sender signed, so nobody can
/// replay a captured body under a fresh key:
/// 1. the id the scheme signs (`webhook-id` in Standard Webhooks, see [`Verified::webhook_id`]);
/// 2. else the JSON body's top-level `"id"` string (`evt_...` at Stripe);
/// 3. else `sha256:<hex SHA-256 of the raw body>`.
///
/// If your sender's top-level `id` names a *resource* (an order, a user) rather than the event,
/// two events about it would share a key and the second would be refused as a conflict: choose
/// [`KeyStrategy::header`] or [`KeyStrategy::custom`] for that sender.
///
/// ```
/// use webhook_idempotency::KeyStrategy;
///
/// let headers: [(&str, &str); 0] = [];
/// let key = KeyStrategy::signed().derive(None, &headers[..], br#"{"id":"evt_1","type":"x"}"#);
/// assert_eq!(key, "evt_1");
/// ```
#[derive(Clone, Default)]
pub struct KeyStrategy(Kind);

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Signed,
    Header(String),
    Custom(CustomFn),
}

type CustomFn = Arc<dyn Fn(&KeyInput<'_>) -> Option<String> + Send + Sync>;

impl std::fmt::Debug for KeyStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Signed => f.write_str("KeyStrategy::signed()"),
            Kind::Header(name) => write!(f, "KeyStrategy::header({name:?})"),
            Kind::Custom(_) => f.write_str("KeyStrategy::custom(..)"),
        }
    }
}

/// What a [`KeyStrategy::custom`] closure can look at.
pub struct KeyInput<'a> {
    verified: Option<&'a Verified<'a>>,
    headers: &'a dyn HeaderLookup,
    body: &'a [u8],
}

impl<'a> KeyInput<'a> {
    /// What verification learned (absent when the guard runs without a verifier).
    pub fn verified(&self) -> Option<&'a Verified<'a>> {
        self.verified
    }

    /// A header's value, `None` if absent or repeated with different values.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.unique_value(name)
    }

    /// The raw body.
    pub fn body(&self) -> &'a [u8] {
        self.body
    }
}

/// Object-safe view of a [`HeaderSource`].
trait HeaderLookup {
    fn unique_value(&self, name: &str) -> Option<&[u8]>;
}

/// Wraps a possibly unsized header source so it can be seen as `&dyn HeaderLookup`.
struct Lookup<'h, H: ?Sized>(&'h H);

impl<H: HeaderSource + ?Sized> HeaderLookup for Lookup<'_, H> {
    fn unique_value(&self, name: &str) -> Option<&[u8]> {
        self.0.unique(name).ok().flatten()
    }
}

impl KeyStrategy {
    /// The default: signed id, else the body's top-level `"id"`, else the body's SHA-256.
    pub fn signed() -> Self {
        Self(Kind::Signed)
    }

    /// The value of an **unsigned** header such as `X-GitHub-Delivery` or
    /// `X-Shopify-Webhook-Id`, falling back to [`KeyStrategy::signed`] when it is absent.
    ///
    /// **Warning:** the sender does not sign this header. Anyone who captured one authentic
    /// delivery can replay its body under a fresh header value and it will be processed again.
    /// Prefer the default unless the header is the only way to tell two events apart.
    ///
    /// ```
    /// use webhook_idempotency::KeyStrategy;
    /// let headers = [("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")];
    /// let key = KeyStrategy::header("x-github-delivery").derive(None, &headers, b"{}");
    /// assert_eq!(key, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    /// ```
    pub fn header(name: impl Into<String>) -> Self {
        Self(Kind::Header(name.into()))
    }

    /// Your own rule; returning `None` falls back to [`KeyStrategy::signed`].
    ///
    /// ```
    /// use webhook_idempotency::KeyStrategy;
    /// let strategy = KeyStrategy::custom(|input| {
    ///     let id = input.header("x-event-id")?;
    ///     Some(String::from_utf8_lossy(id).into_owned())
    /// });
    /// let key = strategy.derive(None, &[("X-Event-Id", "e-7")], b"{}");
    /// assert_eq!(key, "e-7");
    /// ```
    pub fn custom<F>(f: F) -> Self
    where
        F: Fn(&KeyInput<'_>) -> Option<String> + Send + Sync + 'static,
    {
        Self(Kind::Custom(Arc::new(f)))
    }

    /// The event's key for this delivery (without the guard's `<prefix>:<endpoint>:`).
    ///
    /// Never fails: every strategy ends with the body's SHA-256. Keys over 200 bytes or with
    /// control characters are replaced by `sha256:<hex of the key>`.
    pub fn derive<H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&Verified<'_>>,
        headers: &H,
        body: &[u8],
    ) -> String {
        match self.chosen(verified, headers, body) {
            Some(key) => key.into_owned(),
            None => format!("sha256:{}", Fingerprint::of(body)),
        }
    }

    /// [`derive`](Self::derive) without its last resort: `None` when the key is
    /// `sha256:<the body's fingerprint>`, which the guard has already computed. Borrows the
    /// key from the delivery when it can (a signed id, a body `"id"` without escapes).
    pub(crate) fn chosen<'a, H: HeaderSource + ?Sized>(
        &self,
        verified: Option<&'a Verified<'_>>,
        headers: &'a H,
        body: &'a [u8],
    ) -> Option<Cow<'a, str>> {
        let chosen = match &self.0 {
            Kind::Signed => None,
            Kind::Header(name) => {
                headers
                    .unique(name)
                    .ok()
                    .flatten()
                    .map(|v| match String::from_utf8_lossy(v) {
                        Cow::Borrowed(v) => Cow::Borrowed(v.trim()),
                        Cow::Owned(v) => Cow::Owned(v.trim().to_owned()),
                    })
            }
            Kind::Custom(f) => {
                let lookup = Lookup(headers);
                let input = KeyInput {
                    verified,
                    headers: &lookup,
                    body,
                };
                f(&input).map(Cow::Owned)
            }
        };
        chosen
            .filter(|k| !k.is_empty())
            .or_else(|| signed_key(verified, body))
            .map(bounded)
    }
}

fn signed_key<'a>(verified: Option<&'a Verified<'_>>, body: &'a [u8]) -> Option<Cow<'a, str>> {
    if let Some(id) = verified.and_then(|v| v.webhook_id.as_deref())
        && !id.is_empty()
    {
        return Some(Cow::Borrowed(id));
    }
    top_level_id(body)
}

/// The body's top-level `"id"` when the body is a JSON object and `id` a non-empty string
/// (borrowed from the body unless it holds escapes).
fn top_level_id(body: &[u8]) -> Option<Cow<'_, str>> {
    #[derive(serde::Deserialize)]
    struct TopLevel<'a> {
        // Any other JSON type (a number, an object) fails the parse: no key from the body.
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    // Only an object: serde would also read a struct from a JSON array (`["evt_1"]`).
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<TopLevel<'_>>(body)
        .ok()?
        .id
        .filter(|id| !id.is_empty())
}

fn bounded(key: Cow<'_, str>) -> Cow<'_, str> {
    if key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        Cow::Owned(format!("sha256:{}", Fingerprint::of(key.as_bytes())))
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use webhook_verify::{FixedClock, Scheme, Signer, Verifier};

    const NO_HEADERS: [(&str, &str); 0] = [];

    #[test]
    fn signed_webhook_id_wins_over_the_body_id() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"id":"evt_body"}"#;
        let headers = Signer::new(Scheme::standard(), secret)
            .and_then(|s| s.sign("msg_signed", 1_700_000_000, body))
            .unwrap();
        let verifier = Verifier::builder(Scheme::standard())
            .secret(secret)
            .clock(FixedClock(1_700_000_000))
            .build()
            .unwrap();
        let verified = verifier.verify(&headers, body).unwrap();
        let key = KeyStrategy::signed().derive(Some(&verified), &headers, body);
        assert_eq!(key, "msg_signed");
    }

    #[test]
    fn body_top_level_id_is_used_without_a_signed_id() {
        let body = br#"{"data":{"id":"inner"},"id":"evt_123"}"#;
        assert_eq!(
            KeyStrategy::signed().derive(None, &NO_HEADERS[..], body),
            "evt_123"
        );
    }

    #[test]
    fn nested_or_numeric_ids_are_ignored_and_the_body_hash_is_used() {
        for body in [
            &br#"{"data":{"id":"inner"}}"#[..],
            br#"{"id":42}"#,
            br#"{"id":""}"#,
            b"not json",
            br#"["id"]"#,
        ] {
            let key = KeyStrategy::signed().derive(None, &NO_HEADERS[..], body);
            assert_eq!(
                key,
                format!("sha256:{}", const_hex::encode(Sha256::digest(body)))
            );
        }
    }

    #[test]
    fn header_strategy_falls_back_to_signed_data_when_the_header_is_absent() {
        let key = KeyStrategy::header("x-github-delivery").derive(
            None,
            &NO_HEADERS[..],
            br#"{"id":"evt_9"}"#,
        );
        assert_eq!(key, "evt_9");
    }

    #[test]
    fn overlong_keys_are_hashed() {
        let long = "a".repeat(500);
        let body = format!(r#"{{"id":"{long}"}}"#);
        let key = KeyStrategy::signed().derive(None, &NO_HEADERS[..], body.as_bytes());
        assert_eq!(
            key,
            format!(
                "sha256:{}",
                const_hex::encode(Sha256::digest(long.as_bytes()))
            )
        );
    }
}
