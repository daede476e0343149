//! Certificates named by a delivery (`paypal`, `sns`): how a verifier gets them without doing any
//! I/O itself, and the crate's test certificate that [`Signer`](crate::Signer) signs with.
//!
//! A delivery of these schemes names its signing certificate by URL. The verifier first refuses
//! any URL that is not `https` on the provider's own hosts, then asks its [`CertificateSource`]
//! for the certificate: a synchronous lookup, so this crate stays runtime-free. A source that
//! does not have it yet answers `None`, and the delivery is refused with
//! [`VerifyError::CertificateUnavailable`] (`503` with `Retry-After`: the sender retries).
//!
//! [`GivenCertificate`] is a certificate the user hands over (the CLI's `--cert-file`), trusted as
//! given for every allowed URL. A source that fetches certificates (and checks their chain) fills
//! a cache ahead of verification and answers from it.
//!
//! ```
//! use webhook_verify::{GivenCertificate, Scheme, Signer, Verifier, TEST_CERTIFICATE_PEM};
//!
//! // Signer signs PayPal and SNS deliveries with the crate's test key...
//! let signed = Signer::new(Scheme::paypal(), "WH-TEST")?.sign("id-1", 1_700_000_000, b"{}")?;
//! // ...which a verifier given the test certificate accepts.
//! let verifier = Verifier::builder(Scheme::paypal())
//!     .secret("WH-TEST")
//!     .certificates(GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)?)
//!     .allow_any_timestamp()
//!     .build()?;
//! assert_eq!(verifier.verify(&signed, b"{}")?.webhook_id.as_deref(), Some("id-1"));
//! # Ok::<(), webhook_verify::VerifyError>(())
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use rsa::PublicKey;
use rsa::pkcs8::DecodePublicKey as _;
use x509_cert::der::{Decode as _, Encode as _};

use crate::VerifyError;

/// The crate's test certificate (self-signed, RSA 2048), for tests and `webhook sign`: what
/// [`Signer`](crate::Signer) signs `paypal` and `sns` deliveries with. No provider trusts it;
/// give it to a verifier only in tests.
pub const TEST_CERTIFICATE_PEM: &str = include_str!("certificate/test-cert.pem");

/// The private key of [`TEST_CERTIFICATE_PEM`] (PKCS#8 PEM), published on purpose.
const TEST_KEY_PEM: &str = include_str!("certificate/test-key.pem");

/// A signing certificate's public key, parsed once.
///
/// ```
/// let cert = webhook_verify::Certificate::from_pem(webhook_verify::TEST_CERTIFICATE_PEM)?;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    /// The public key's PKCS#1 v1.5 verifiers, built once (not per verify: each holds a copy of the key
    /// and its digest prefix).
    sha1: rsa::pkcs1v15::VerifyingKey<sha1::Sha1>,
    sha256: rsa::pkcs1v15::VerifyingKey<sha2::Sha256>,
}

impl Certificate {
    /// The first `CERTIFICATE` block of a PEM file.
    ///
    /// ```
    /// assert!(webhook_verify::Certificate::from_pem("not a certificate").is_err());
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        Self::from_x509(&parse_pem(pem)?)
    }

    /// A DER-encoded X.509 certificate.
    ///
    /// ```
    /// assert!(webhook_verify::Certificate::from_der(&[0x30, 0x00]).is_err());
    /// ```
    pub fn from_der(der: &[u8]) -> Result<Self, VerifyError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|_| invalid("not a DER X.509 certificate"))?;
        Self::from_x509(&cert)
    }

    /// The RSA public key of a parsed certificate.
    pub(crate) fn from_x509(cert: &x509_cert::Certificate) -> Result<Self, VerifyError> {
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| invalid("its public key does not encode"))?;
        let key = PublicKey::from_public_key_der(&spki)
            .map_err(|_| invalid("its public key is not an RSA key"))?;
        Ok(Self {
            sha1: rsa::pkcs1v15::VerifyingKey::new(key.clone()),
            sha256: rsa::pkcs1v15::VerifyingKey::new(key),
        })
    }
}

/// The first `CERTIFICATE` block of a PEM file, parsed.
pub(crate) fn parse_pem(pem: &str) -> Result<x509_cert::Certificate, VerifyError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN).ok_or(invalid("no PEM CERTIFICATE block"))?;
    let end = pem[start..]
        .find(END)
        .map(|at| start + at + END.len())
        .ok_or(invalid("the PEM CERTIFICATE block has no end"))?;
    let (_, der) = x509_cert::der::pem::decode_vec(&pem.as_bytes()[start..end])
        .map_err(|_| invalid("the PEM CERTIFICATE block does not decode"))?;
    x509_cert::Certificate::from_der(&der).map_err(|_| invalid("not a DER X.509 certificate"))
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Certificate(RSA)")
    }
}

pub(crate) fn invalid(reason: &'static str) -> VerifyError {
    VerifyError::InvalidCertificate { reason }
}

/// Where a verifier gets the certificate a delivery names. Called only with `https` URLs on the
/// provider's own hosts (checked before); `None` means "not available now" and the delivery is
/// refused with [`VerifyError::CertificateUnavailable`] (`503`, the sender retries).
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use webhook_verify::{Certificate, CertificateSource};
///
/// /// Certificates fetched ahead of time, by URL.
/// struct Fetched(HashMap<String, Arc<Certificate>>);
///
/// impl CertificateSource for Fetched {
///     fn certificate(&self, url: &str) -> Option<Arc<Certificate>> {
///         self.0.get(url).cloned()
///     }
/// }
/// ```
pub trait CertificateSource: Send + Sync {
    /// The certificate at `url`, if this source has it now.
    fn certificate(&self, url: &str) -> Option<Arc<Certificate>>;

    /// Makes the certificate at `url` available if it can (a fetching source fetches it when it
    /// is not cached; a failure leaves [`certificate`](Self::certificate) answering `None`).
    /// [`Verifier::prepare`](crate::Verifier::prepare) awaits it. By default, nothing to do.
    fn prefetch<'a>(&'a self, url: &'a str) -> Prefetch<'a> {
        let _ = url;
        Box::pin(std::future::ready(()))
    }

    /// Confirms a subscription by an HTTPS `GET` of `url` (SNS's `SubscribeURL`, already checked
    /// to be on the provider's hosts and authentic), logging the outcome; `None` when this source
    /// does no I/O (the default). Called only when
    /// [`VerifierBuilder::confirm_subscriptions`](crate::VerifierBuilder::confirm_subscriptions)
    /// is on.
    fn confirm_subscription<'a>(&'a self, url: &'a str) -> Option<Prefetch<'a>> {
        let _ = url;
        None
    }
}

/// What [`CertificateSource::prefetch`] returns: a future, so that this crate needs no runtime.
pub type Prefetch<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// One certificate the user gives (a PEM file), trusted as given for every allowed URL: for
/// tests, and for a certificate fetched and checked by hand.
///
/// ```
/// use webhook_verify::{CertificateSource, GivenCertificate, TEST_CERTIFICATE_PEM};
/// let given = GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)?;
/// assert!(given.certificate("https://api.paypal.com/v1/notifications/certs/CERT-1").is_some());
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct GivenCertificate(Arc<Certificate>);

impl GivenCertificate {
    /// The first certificate of a PEM file.
    ///
    /// ```
    /// # use webhook_verify::{GivenCertificate, TEST_CERTIFICATE_PEM};
    /// let given = GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)?;
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, VerifyError> {
        Certificate::from_pem(pem).map(|c| Self(Arc::new(c)))
    }
}

impl From<Certificate> for GivenCertificate {
    fn from(cert: Certificate) -> Self {
        Self(Arc::new(cert))
    }
}

impl CertificateSource for GivenCertificate {
    fn certificate(&self, _url: &str) -> Option<Arc<Certificate>> {
        Some(Arc::clone(&self.0))
    }
}

/// The test certificate's private key, parsed once.
pub(crate) fn test_signing_key() -> Result<&'static rsa::PrivateKey, VerifyError> {
    static KEY: OnceLock<Option<rsa::PrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs8::DecodePrivateKey as _;
        let (_, der) = x509_cert::der::pem::decode_vec(TEST_KEY_PEM.as_bytes()).ok()?;
        rsa::PrivateKey::from_pkcs8_der(&der).ok()
    })
    .as_ref()
    .ok_or(invalid("the built-in test key does not parse"))
}

/// The digest of an RSA PKCS#1 v1.5 signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaDigest {
    Sha1,
    Sha256,
}

impl Certificate {
    /// `true` when `signature` is this certificate's key's PKCS#1 v1.5 signature of `message`.
    pub(crate) fn verifies(&self, digest: RsaDigest, message: &[u8], signature: &[u8]) -> bool {
        use rsa::pkcs1v15::Signature;
        use rsa::signature::DigestVerifier as _;
        let Ok(signature) = Signature::try_from(signature) else {
            return false;
        };
        // `verify_digest`, not `Verifier::verify`, which copies the digest prefix per call.
        let hash = |d: &mut dyn sha2::digest::Update| {
            d.update(message);
            Ok(())
        };
        match digest {
            RsaDigest::Sha1 => self.sha1.verify_digest(|d| hash(d), &signature),
            RsaDigest::Sha256 => self.sha256.verify_digest(|d| hash(d), &signature),
        }
        .is_ok()
    }
}

/// The test key's PKCS#1 v1.5 signature of `message`.
pub(crate) fn test_sign(digest: RsaDigest, message: &[u8]) -> Result<Vec<u8>, VerifyError> {
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let key = test_signing_key()?.clone();
    let signature = match digest {
        RsaDigest::Sha1 => SigningKey::<sha1::Sha1>::new(key).try_sign(message),
        RsaDigest::Sha256 => SigningKey::<sha2::Sha256>::new(key).try_sign(message),
    };
    signature
        .map(|s| s.to_vec())
        .map_err(|_| invalid("the built-in test key could not sign"))
}

/// `true` for `https://{host}/{path}` where `host` (no port, no user info) passes `host_ok`
/// (given in lower case) and the path is non-empty.
pub(crate) fn https_url_on(url: &str, host_ok: impl Fn(&str) -> bool) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let clean = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    !path.is_empty()
        && !host.is_empty()
        && host.chars().all(clean)
        && host_ok(&host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_certificate_and_key_belong_together() {
        let cert = Certificate::from_pem(TEST_CERTIFICATE_PEM).unwrap();
        let key = test_signing_key().unwrap();
        assert_eq!(cert.sha256.as_ref(), &key.to_public_key());
        for digest in [RsaDigest::Sha1, RsaDigest::Sha256] {
            let signature = test_sign(digest, b"message").unwrap();
            assert!(cert.verifies(digest, b"message", &signature));
            assert!(!cert.verifies(digest, b"messagf", &signature));
            let other = [RsaDigest::Sha1, RsaDigest::Sha256]
                .into_iter()
                .find(|d| *d != digest);
            assert!(!cert.verifies(other.unwrap(), b"message", &signature));
        }
    }

    #[test]
    fn the_first_certificate_of_a_chain_file_is_read() {
        let other = include_str!("../tests/data/other-cert.pem");
        let chain = format!("# leaf\n{TEST_CERTIFICATE_PEM}{other}");
        let first = Certificate::from_pem(&chain).unwrap();
        assert_eq!(
            first.sha256.as_ref(),
            Certificate::from_pem(TEST_CERTIFICATE_PEM)
                .unwrap()
                .sha256
                .as_ref()
        );
        for bad in [
            "",
            "-----BEGIN CERTIFICATE-----\nAAAA",
            &TEST_CERTIFICATE_PEM[..200],
        ] {
            assert!(matches!(
                Certificate::from_pem(bad),
                Err(VerifyError::InvalidCertificate { .. })
            ));
        }
    }

    #[test]
    fn only_plain_https_hosts_pass() {
        let paypal = |h: &str| h == "api.paypal.com";
        assert!(https_url_on("https://api.paypal.com/v1/certs/C", paypal));
        assert!(https_url_on("https://API.PayPal.com/v1/certs/C", paypal));
        for refused in [
            "http://api.paypal.com/v1/certs/C",
            "https://api.paypal.com",
            "https://api.paypal.com/",
            "https://api.paypal.com:8443/v1/certs/C",
            "https://evil@api.paypal.com/v1/certs/C",
            "https://api.paypal.com.evil.example/v1/certs/C",
            "https://evil.example/api.paypal.com/",
            "ftp://api.paypal.com/v1/certs/C",
        ] {
            assert!(!https_url_on(refused, paypal), "{refused}");
        }
    }
}
