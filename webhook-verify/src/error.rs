//! The one error type of this crate.

use std::borrow::Cow;

/// Why a delivery was refused, or why a verifier or signer could not be built.
///
/// Every message is written for the *sender*: it says what to fix on their side and never contains
/// a secret, a key, or the signature this side expected. Verification errors carry only static text
/// and header names, so producing one does not allocate for the built-in schemes.
///
/// ```
/// use webhook_verify::{Scheme, Verifier, VerifyError};
///
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let err = verifier.verify(&[("content-type", "application/json")], b"{}").unwrap_err();
/// assert!(matches!(err, VerifyError::MissingHeader { .. }));
/// assert_eq!(err.to_string(), "missing header X-Hub-Signature-256");
/// # Ok::<(), VerifyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme requires is absent.
    #[error("missing header {name}")]
    MissingHeader {
        /// The header's name.
        name: Cow<'static, str>,
    },
    /// A header appears more than once with different values, so which one was signed is ambiguous.
    #[error("header {name} appears more than once with different values")]
    AmbiguousHeader {
        /// The header's name.
        name: Cow<'static, str>,
    },
    /// A header is present but not in the form the scheme defines.
    #[error("malformed header {name}: {reason}")]
    MalformedHeader {
        /// The header's name.
        name: Cow<'static, str>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signature is not valid hex or base64, or has the wrong length.
    #[error("header {name} holds a signature that is not valid {encoding}")]
    BadEncoding {
        /// The header's name.
        name: Cow<'static, str>,
        /// The encoding the scheme expects (`hex`, `base64`).
        encoding: &'static str,
    },
    /// The body does not hold what the scheme reads from it (Mailgun's `signature`, Linear's
    /// `webhookTimestamp`).
    #[error("malformed body: {reason}")]
    MalformedBody {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signatures are well formed but none matches the body under any configured secret.
    #[error("no signature matches the body")]
    NoMatchingSignature,
    /// The signed timestamp is further from this receiver's clock than the tolerance allows.
    #[error("timestamp is {direction} than the {tolerance_secs} s tolerance")]
    TimestampOutOfTolerance {
        /// `"older"` or `"further in the future"`.
        direction: &'static str,
        /// The configured tolerance in seconds.
        tolerance_secs: u64,
    },
    /// An endpoint check carried a verify token other than the configured one (Meta's
    /// `hub.verify_token`); answered `403`.
    #[error("hub.verify_token does not match this endpoint's verify token")]
    VerifyTokenMismatch,
    /// The body is longer than the verifier's limit; nothing was hashed.
    #[error("body exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A secret or key could not be used with the scheme (configuration error, never sent to a sender).
    #[error("invalid secret for scheme {scheme}: {reason}")]
    InvalidSecret {
        /// The scheme's name.
        scheme: &'static str,
        /// What is wrong with it (the secret itself is never included).
        reason: &'static str,
    },
    /// A verifier or signer was built without any secret.
    #[error("no secret configured")]
    NoSecret,
    /// A secret or key is empty (or only white space): every sender could sign with it, so it is
    /// refused for every scheme.
    #[error("empty secret for scheme {scheme}: anyone could sign with it")]
    EmptySecret {
        /// The scheme's name.
        scheme: &'static str,
    },
    /// Signing needs a value the caller did not give (`webhook-id` for Standard Webhooks).
    #[error("signing with scheme {scheme} needs {what}")]
    MissingSignInput {
        /// The scheme's name.
        scheme: &'static str,
        /// What is missing.
        what: &'static str,
    },
    /// The scheme signs the request's URL (Twilio, Square, HubSpot) but the verifier was given
    /// none: a configuration error (answer `500`), found at start-up with
    /// [`Scheme::requires_url`](crate::Scheme::requires_url).
    #[error(
        "scheme {scheme} signs the request URL: configure VerifierBuilder::public_url (or verify with Verifier::verify_request)"
    )]
    MissingRequestUrl {
        /// The scheme's name.
        scheme: &'static str,
    },
    /// The scheme checks signatures with a certificate named in the delivery (PayPal, Amazon
    /// SNS) but the verifier was given no
    /// [`CertificateSource`](crate::CertificateSource): a configuration error (`500`).
    #[error(
        "scheme {scheme} names its signing certificate by URL: configure VerifierBuilder::certificates"
    )]
    MissingCertificates {
        /// The scheme's name.
        scheme: &'static str,
    },
    /// A certificate could not be used (configuration error, never sent to a sender).
    #[error("invalid certificate: {reason}")]
    InvalidCertificate {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The delivery's signing certificate is not available yet (not fetched, or its fetch
    /// failed): answered `503` with `Retry-After`, so the sender retries.
    #[error("the signing certificate is not available yet; retry later")]
    CertificateUnavailable,
    /// An SNS subscription could not be confirmed (its `SubscribeURL` refused, or the `GET`
    /// failed): the fetcher's `confirm` (the `fetch` feature). As a [`Rejection`](crate::Rejection),
    /// `503` with `Retry-After`.
    #[error("the subscription could not be confirmed; retry later")]
    SubscriptionNotConfirmed,
}

impl VerifyError {
    /// `true` for errors caused by the request (answer `401`), `false` for configuration errors.
    ///
    /// ```
    /// assert!(webhook_verify::VerifyError::NoMatchingSignature.is_request_error());
    /// assert!(!webhook_verify::VerifyError::NoSecret.is_request_error());
    /// ```
    pub fn is_request_error(&self) -> bool {
        !matches!(
            self,
            Self::InvalidSecret { .. }
                | Self::NoSecret
                | Self::EmptySecret { .. }
                | Self::MissingSignInput { .. }
                | Self::MissingRequestUrl { .. }
                | Self::MissingCertificates { .. }
                | Self::InvalidCertificate { .. }
                | Self::CertificateUnavailable
                | Self::SubscriptionNotConfirmed
        )
    }
}
