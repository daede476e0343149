//! What a successful verification learned about the delivery.

use std::borrow::Cow;

/// Proof that a delivery is authentic, with what the scheme signed about it.
///
/// Borrowed from the request's headers; [`Verified::into_owned`] detaches it so it can be stored in
/// request extensions. Adapters put a `Verified<'static>` there for handlers to read.
///
/// ```
/// use webhook_verify::{Scheme, Signer, Verifier};
///
/// let signer = Signer::new(Scheme::standard(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let headers = signer.sign("msg_1", 1_674_087_231, b"{}")?;
/// let verifier = Verifier::builder(Scheme::standard())
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .clock(webhook_verify::FixedClock(1_674_087_231))
///     .build()?;
/// let verified = verifier.verify(&headers, b"{}")?;
/// assert_eq!(verified.webhook_id.as_deref(), Some("msg_1"));
/// assert_eq!(verified.timestamp, Some(1_674_087_231));
/// assert_eq!(verified.secret_index, 0);
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified<'a> {
    /// The scheme's name, as in [`Scheme::name`](crate::Scheme::name).
    pub scheme: &'static str,
    /// The delivery's id when the scheme signs one (`webhook-id` in Standard Webhooks).
    pub webhook_id: Option<Cow<'a, str>>,
    /// The signed timestamp (Unix seconds) when the scheme signs one.
    pub timestamp: Option<i64>,
    /// The event's type when the sender sends one in a header or the signed body
    /// (`X-GitHub-Event`, `X-Shopify-Topic`, `Twitch-Eventsub-Subscription-Type`, Mailgun's
    /// `event-data.event`, ...). A routing hint, not always covered by the signature.
    pub event_type: Option<Cow<'a, str>>,
    /// Which configured secret matched, counting from 0 in the order they were added.
    pub secret_index: usize,
}

impl<'a> Verified<'a> {
    /// A result with only the scheme and the matching secret (the other fields empty).
    pub(crate) fn new(scheme: &'static str, secret_index: usize) -> Self {
        Self {
            scheme,
            webhook_id: None,
            timestamp: None,
            event_type: None,
            secret_index,
        }
    }

    /// Detaches the result from the request headers it borrowed from.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier, Verified};
    /// # fn keep(v: Verified<'_>) -> Verified<'static> {
    /// v.into_owned()
    /// # }
    /// ```
    pub fn into_owned(self) -> Verified<'static> {
        Verified {
            scheme: self.scheme,
            webhook_id: self.webhook_id.map(|id| Cow::Owned(id.into_owned())),
            timestamp: self.timestamp,
            event_type: self.event_type.map(|t| Cow::Owned(t.into_owned())),
            secret_index: self.secret_index,
        }
    }
}
