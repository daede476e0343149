//! Signing: the headers a sender would send, for tests, the CLI and senders.

use std::fmt;

use crate::scheme::SignKey;
use crate::{Scheme, Secret, VerifyError};

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
    /// `id` is the delivery's id (signed by `standard`, ignored by the others) and `timestamp`
    /// its Unix time (signed by `standard`, `stripe` and `slack`).
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Signer};
    /// let signer = Signer::new(Scheme::standard(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// let headers = signer.sign("msg_1", 1_700_000_000, b"{}")?;
    /// assert_eq!(headers[0], ("webhook-id".to_owned(), "msg_1".to_owned()));
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn sign(
        &self,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, VerifyError> {
        self.scheme.sign(&self.keys, id, timestamp, body)
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
