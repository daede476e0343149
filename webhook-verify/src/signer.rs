//! Signing: the headers a sender would send, for tests, the CLI and senders.

use std::fmt;

use crate::scheme::{SignInput, SignKey};
use crate::{Request, Scheme, Secret, VerifyError};

/// A delivery ready to send: its headers, and its body (changed only by the schemes that sign
/// inside the body: `mailgun` writes its `signature` object, `linear` its `webhookTimestamp`).
///
/// ```
/// use webhook_verify::{Scheme, Signer};
/// let signed = Signer::new(Scheme::github(), "k")?.sign_delivery(None, "", 0, b"{}")?;
/// assert_eq!(signed.body, b"{}");
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedDelivery {
    /// The headers to send, as `(name, value)` pairs.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: Vec<u8>,
}

/// Produces the signature headers of a scheme for a body.
///
/// With several secrets, schemes that carry several signatures (`standard`, `stripe`) sign with
/// each; single-signature schemes sign with the first.
///
/// ```
/// use webhook_verify::{Scheme, Signer};
///
/// let signer = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let headers = signer.sign("", 0, br#"{"event":"user.created"}"#)?;
/// assert_eq!(headers[0].0, "X-Webhook-Signature");
/// assert!(headers[0].1.starts_with("sha256="));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub struct Signer {
    scheme: Scheme,
    keys: Vec<SignKey>,
}

impl Signer {
    /// A signer with one secret (`whsec_` or `whsk_` for `standard`).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Signer};
    /// let signer = Signer::new(Scheme::standard(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn new(scheme: Scheme, secret: impl Into<Secret>) -> Result<Self, VerifyError> {
        Self::with_secrets(scheme, [secret])
    }

    /// A signer with several secrets, as a sender rotating its secret would use.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Signer};
    /// let signer = Signer::with_secrets(Scheme::stripe(), ["whsec_new", "whsec_old"])?;
    /// let headers = signer.sign("", 1_700_000_000, b"{}")?;
    /// assert_eq!(headers[0].1.matches("v1=").count(), 2);
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn with_secrets<S: Into<Secret>>(
        scheme: Scheme,
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, VerifyError> {
        let keys: Vec<SignKey> = secrets
            .into_iter()
            .map(|s| scheme.sign_key(&s.into()))
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        Ok(Self { scheme, keys })
    }

    /// The headers to send with `body`, as `(name, value)` pairs.
    ///
    /// `id` is the delivery's id (signed by `standard` and `twitch`, sent by `gitlab`, Mailgun's
    /// token) and `timestamp` its Unix time (signed by the timestamped schemes).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Signer};
    /// let signer = Signer::new(Scheme::standard(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// let headers = signer.sign("msg_1", 1_700_000_000, b"{}")?;
    /// assert_eq!(headers[0], ("webhook-id".to_owned(), "msg_1".to_owned()));
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    ///
    /// Schemes that sign the URL (`twilio`, `square`, `hubspot`) or write into the body
    /// (`mailgun`, and `linear` when the body's `webhookTimestamp` differs) need
    /// [`sign_delivery`](Self::sign_delivery): here they are a [`VerifyError::MissingSignInput`].
    pub fn sign(
        &self,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, VerifyError> {
        let signed = self.sign_delivery(None, id, timestamp, body)?;
        if signed.body != body {
            return Err(VerifyError::MissingSignInput {
                scheme: self.scheme.name(),
                what: "the body rewritten (Signer::sign_delivery)",
            });
        }
        Ok(signed.headers)
    }

    /// Signs a whole delivery: the request (method and URL, for the schemes that sign them),
    /// the delivery id and Unix timestamp (for the schemes that sign or send them), the body.
    /// Returns the headers and the body to send.
    ///
    /// ```
    /// use webhook_verify::{PublicUrl, Request, Scheme, Signer, Verifier};
    /// let request = Request::post("https://example.com/twilio");
    /// let signed = Signer::new(Scheme::twilio(), "auth-token")?
    ///     .sign_delivery(Some(&request), "", 0, b"Body=hi&From=%2B1")?;
    /// let verifier = Verifier::builder(Scheme::twilio())
    ///     .secret("auth-token")
    ///     .public_url(PublicUrl::PerRequest)
    ///     .build()?;
    /// verifier.verify_request(&request, &signed.headers, &signed.body)?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn sign_delivery(
        &self,
        request: Option<&Request<'_>>,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<SignedDelivery, VerifyError> {
        let signed = self.scheme.sign(&SignInput {
            keys: &self.keys,
            id,
            timestamp,
            body,
            request,
        })?;
        Ok(SignedDelivery {
            headers: signed.headers,
            body: signed.body.unwrap_or_else(|| body.to_vec()),
        })
    }

    /// The scheme this signer signs for.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Signer};
    /// assert_eq!(Signer::new(Scheme::github(), "k")?.scheme().name(), "github");
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme.name())
            .field("secrets", &format_args!("{} [REDACTED]", self.keys.len()))
            .finish()
    }
}
