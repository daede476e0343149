//! The signature schemes, one file each, and the machinery they share.
//!
//! A scheme file holds the provider's signing rule in its doc comment, how to find the signed
//! content and the candidate signatures in the headers, how to sign, and the provider's published
//! test vectors. Adding a provider is one new file plus a constructor on [`Scheme`].

mod github;
mod hmac_sha256;
mod shopify;
mod slack;
mod standard;
mod stripe;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use subtle::{Choice, ConditionallySelectable};

pub use hmac_sha256::{Encoding, HmacSha256};

use crate::mac::{KeyedMac, tags_equal};
use crate::timestamp::TimestampPolicy;
use crate::{HeaderSource, Secret, Verified, VerifyError};

/// A signature scheme: which headers carry what, and what exactly is signed.
///
/// | name          | headers                                                 | signed content            |
/// |---------------|---------------------------------------------------------|---------------------------|
/// | `hmac-sha256` | `X-Webhook-Signature: sha256=<hex>` (configurable)      | body                      |
/// | `standard`    | `webhook-id`, `webhook-timestamp`, `webhook-signature`  | `{id}.{timestamp}.{body}` |
/// | `stripe`      | `Stripe-Signature: t=..,v1=..`                          | `{t}.{body}`              |
/// | `github`      | `X-Hub-Signature-256: sha256=<hex>`                     | body                      |
/// | `slack`       | `X-Slack-Signature: v0=<hex>`, `X-Slack-Request-Timestamp` | `v0:{timestamp}:{body}` |
/// | `shopify`     | `X-Shopify-Hmac-Sha256: <base64>`                       | body                      |
///
/// ```
/// use webhook_verify::Scheme;
/// let scheme: Scheme = "stripe".parse()?;
/// assert_eq!(scheme.name(), "stripe");
/// assert_eq!(Scheme::standard().name(), "standard");
/// # Ok::<(), webhook_verify::UnknownScheme>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scheme(Kind);

#[derive(Clone, Debug)]
enum Kind {
    Body(HmacSha256),
    Standard,
    Stripe,
    Slack,
}

impl Scheme {
    /// Every built-in scheme name, as accepted by [`FromStr`].
    pub const NAMES: [&'static str; 6] = [
        "hmac-sha256",
        "standard",
        "stripe",
        "github",
        "slack",
        "shopify",
    ];

    /// HMAC-SHA256 of the raw body in `X-Webhook-Signature: sha256=<hex>` (or bare hex), the
    /// scheme of the seed sender documents. See [`HmacSha256`] to change header, prefix or encoding.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::hmac_sha256().name(), "hmac-sha256");
    /// ```
    pub fn hmac_sha256() -> Self {
        Self::custom(HmacSha256::new())
    }

    /// A body-HMAC scheme configured by hand (header name, prefix, hex or base64).
    ///
    /// ```
    /// use webhook_verify::{Encoding, HmacSha256, Scheme};
    /// let scheme = Scheme::custom(HmacSha256::new().header("X-Signature").encoding(Encoding::Base64));
    /// assert_eq!(scheme.signature_headers(), ["X-Signature"]);
    /// ```
    pub fn custom(config: HmacSha256) -> Self {
        Self(Kind::Body(config))
    }

    /// [Standard Webhooks](https://www.standardwebhooks.com/), also what Svix sends: symmetric `v1`
    /// (`whsec_` secrets) and asymmetric `v1a` (ed25519, `whpk_` public keys).
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::standard().name(), "standard");
    /// ```
    pub fn standard() -> Self {
        Self(Kind::Standard)
    }

    /// Stripe's `Stripe-Signature: t=<unix>,v1=<hex>` over `{t}.{body}`.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::stripe().name(), "stripe");
    /// ```
    pub fn stripe() -> Self {
        Self(Kind::Stripe)
    }

    /// GitHub's `X-Hub-Signature-256: sha256=<hex>` (the SHA-1 `X-Hub-Signature` is never accepted).
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::github().name(), "github");
    /// ```
    pub fn github() -> Self {
        Self::custom(github::config())
    }

    /// Slack's `X-Slack-Signature: v0=<hex>` over `v0:{timestamp}:{body}`.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::slack().name(), "slack");
    /// ```
    pub fn slack() -> Self {
        Self(Kind::Slack)
    }

    /// Shopify's `X-Shopify-Hmac-Sha256: <base64>` over the body.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::shopify().name(), "shopify");
    /// ```
    pub fn shopify() -> Self {
        Self::custom(shopify::config())
    }

    /// The scheme's name (`hmac-sha256`, `standard`, ...), as reported in [`Verified::scheme`].
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::slack().name(), "slack");
    /// ```
    pub fn name(&self) -> &'static str {
        match &self.0 {
            Kind::Body(config) => config.name,
            Kind::Standard => "standard",
            Kind::Stripe => "stripe",
            Kind::Slack => "slack",
        }
    }

    /// The headers that carry signatures: mark them sensitive so that request logging skips them.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::stripe().signature_headers(), ["Stripe-Signature"]);
    /// ```
    pub fn signature_headers(&self) -> Vec<&str> {
        match &self.0 {
            Kind::Body(config) => vec![config.header_name()],
            Kind::Standard => standard::SIGNATURE_HEADERS.to_vec(),
            Kind::Stripe => vec![stripe::HEADER],
            Kind::Slack => vec![slack::SIGNATURE_HEADER],
        }
    }

    /// An empty (or blank) secret is a key anyone can sign with: refused for every scheme.
    fn refuse_empty(&self, secret: &Secret) -> Result<(), VerifyError> {
        if secret.expose().trim().is_empty() {
            return Err(VerifyError::EmptySecret {
                scheme: self.name(),
            });
        }
        Ok(())
    }

    pub(crate) fn verify_key(&self, secret: &Secret) -> Result<VerifyKey, VerifyError> {
        self.refuse_empty(secret)?;
        match &self.0 {
            Kind::Standard => standard::verify_key(secret),
            _ => Ok(VerifyKey::Hmac(KeyedMac::new(secret.expose().as_bytes()))),
        }
    }

    pub(crate) fn sign_key(&self, secret: &Secret) -> Result<SignKey, VerifyError> {
        self.refuse_empty(secret)?;
        match &self.0 {
            Kind::Standard => standard::sign_key(secret),
            _ => Ok(SignKey::Hmac(KeyedMac::new(secret.expose().as_bytes()))),
        }
    }

    pub(crate) fn verify<'h, H: HeaderSource + ?Sized>(
        &self,
        keys: &[VerifyKey],
        time: &TimestampPolicy,
        headers: &'h H,
        body: &[u8],
    ) -> Result<Verified<'h>, VerifyError> {
        match &self.0 {
            Kind::Body(config) => config.verify(keys, headers, body),
            Kind::Standard => standard::verify(keys, time, headers, body),
            Kind::Stripe => stripe::verify(keys, time, headers, body),
            Kind::Slack => slack::verify(keys, time, headers, body),
        }
    }

    pub(crate) fn sign(
        &self,
        keys: &[SignKey],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, VerifyError> {
        match &self.0 {
            Kind::Body(config) => Ok(config.sign(keys, body)),
            Kind::Standard => standard::sign(keys, id, timestamp, body),
            Kind::Stripe => Ok(stripe::sign(keys, timestamp, body)),
            Kind::Slack => Ok(slack::sign(keys, timestamp, body)),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name that is not one of [`Scheme::NAMES`].
///
/// ```
/// assert!("md5".parse::<webhook_verify::Scheme>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scheme {0:?}; expected one of hmac-sha256, standard, stripe, github, slack, shopify"
)]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "hmac-sha256" => Ok(Self::hmac_sha256()),
            "standard" | "standard-webhooks" | "svix" => Ok(Self::standard()),
            "stripe" => Ok(Self::stripe()),
            "github" => Ok(Self::github()),
            "slack" => Ok(Self::slack()),
            "shopify" => Ok(Self::shopify()),
            _ => Err(UnknownScheme(name.to_owned())),
        }
    }
}

/// A key that checks signatures.
#[derive(Clone)]
pub(crate) enum VerifyKey {
    Hmac(KeyedMac),
    Ed25519(VerifyingKey),
}

/// A key that makes signatures.
pub(crate) enum SignKey {
    Hmac(KeyedMac),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// How many signatures one delivery may carry; more is refused before any MAC is computed.
pub(crate) const MAX_SIGNATURES: usize = 16;

/// Largest decoded signature (ed25519).
const MAX_SIGNATURE_LEN: usize = 64;

/// Which algorithm a candidate signature claims.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    HmacSha256,
    Ed25519,
}

/// One decoded candidate signature, on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Candidate {
    alg: Alg,
    len: usize,
    bytes: [u8; MAX_SIGNATURE_LEN],
}

impl Candidate {
    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The signatures a delivery carries, decoded up front so that malformed input is refused before
/// any MAC is computed, and held on the stack.
pub(crate) struct Candidates {
    items: [Candidate; MAX_SIGNATURES],
    len: usize,
}

impl Candidates {
    pub(crate) fn new() -> Self {
        let empty = Candidate {
            alg: Alg::HmacSha256,
            len: 0,
            bytes: [0; MAX_SIGNATURE_LEN],
        };
        Self {
            items: [empty; MAX_SIGNATURES],
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Decodes `encoded` and adds it, or says why it cannot be a signature.
    pub(crate) fn push(
        &mut self,
        header: &Cow<'static, str>,
        alg: Alg,
        encoding: Encoding,
        encoded: &[u8],
    ) -> Result<(), VerifyError> {
        if self.len == MAX_SIGNATURES {
            return Err(VerifyError::MalformedHeader {
                name: header.clone(),
                reason: "more than 16 signatures",
            });
        }
        let bad = || VerifyError::BadEncoding {
            name: header.clone(),
            encoding: encoding.name(),
        };
        let slot = &mut self.items[self.len];
        let len = match encoding {
            Encoding::Hex => {
                let len = encoded.len() / 2;
                if !encoded.len().is_multiple_of(2) || len > MAX_SIGNATURE_LEN {
                    return Err(bad());
                }
                const_hex::decode_to_slice(encoded, &mut slot.bytes[..len]).map_err(|_| bad())?;
                len
            }
            Encoding::Base64 => BASE64
                .decode_slice(encoded, &mut slot.bytes)
                .map_err(|_| bad())?,
        };
        let expected = match alg {
            Alg::HmacSha256 => crate::mac::TAG_LEN,
            Alg::Ed25519 => ed25519_dalek::SIGNATURE_LENGTH,
        };
        if len != expected {
            return Err(bad());
        }
        slot.alg = alg;
        slot.len = len;
        self.len += 1;
        Ok(())
    }

    fn of(&self, alg: Alg) -> impl Iterator<Item = &Candidate> {
        self.items[..self.len].iter().filter(move |c| c.alg == alg)
    }
}

/// Finds which key made one of the candidate signatures over the concatenation of `signed`.
///
/// Every HMAC comparison runs in constant time and all keys and candidates are tried, whatever
/// matched first, so timing does not depend on secret data.
pub(crate) fn find_match(
    keys: &[VerifyKey],
    signed: &[&[u8]],
    candidates: &Candidates,
) -> Result<usize, VerifyError> {
    let mut found = Choice::from(0);
    let mut index = 0u32;
    for (i, key) in keys.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        match key {
            VerifyKey::Hmac(mac) => {
                if candidates.of(Alg::HmacSha256).next().is_none() {
                    continue;
                }
                let tag = mac.tag(signed);
                for candidate in candidates.of(Alg::HmacSha256) {
                    let matched = tags_equal(&tag, candidate.bytes());
                    index.conditional_assign(&i, matched & !found);
                    found |= matched;
                }
            }
            VerifyKey::Ed25519(public) => {
                for candidate in candidates.of(Alg::Ed25519) {
                    let matched =
                        Choice::from(u8::from(ed25519_matches(public, signed, candidate)));
                    index.conditional_assign(&i, matched & !found);
                    found |= matched;
                }
            }
        }
    }
    if bool::from(found) {
        Ok(index as usize)
    } else {
        Err(VerifyError::NoMatchingSignature)
    }
}

fn ed25519_matches(public: &VerifyingKey, signed: &[&[u8]], candidate: &Candidate) -> bool {
    let Ok(signature) = Signature::from_slice(candidate.bytes()) else {
        return false;
    };
    let Ok(mut stream) = public.verify_stream(&signature) else {
        return false;
    };
    for part in signed {
        stream.update(part);
    }
    stream.finalize_and_verify().is_ok()
}

/// Text of a header value, or the typed error.
pub(crate) fn utf8<'h>(name: &Cow<'static, str>, raw: &'h [u8]) -> Result<&'h str, VerifyError> {
    std::str::from_utf8(raw).map_err(|_| VerifyError::MalformedHeader {
        name: name.clone(),
        reason: "not valid UTF-8",
    })
}
