//! The signature schemes, one file per provider, and the machinery they share.
//!
//! Each provider's file exports a `PROVIDER: Provider` — its names, what its secret is, the
//! headers it signs, sends and that a receiver keeps, its event-type header, its documented
//! timestamp tolerance — and the verify / sign functions it points to. Everything else is
//! derived from the one list in [`providers!`]: [`Scheme::NAMES`], [`FromStr`], the CLI's
//! `--scheme` help, [`KEPT_HEADERS`] (webhook-queue's default), the event-type lookup. A new
//! provider is one file plus one line.
//!
//! The table of every scheme, with what its secret is, is in the crate's README (its docs).
//!
//! `twilio`, `square` and `hubspot` sign the request's URL: verify them with
//! [`Verifier::verify_request`](crate::Verifier::verify_request) (see [`Scheme::requires_url`]).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use subtle::{Choice, ConditionallySelectable};

pub use hmac_sha256::{Encoding, HmacSha256};

use crate::headers::Lookup;
use crate::mac::{KeyedMac, KeyedSha1, tags_equal};
use crate::secret::KeyBytes;
use crate::timestamp::{DEFAULT_TOLERANCE, TimestampPolicy};
use crate::{Request, Secret, Verified, VerifyError};

/// Declares the provider modules and the one list of providers, in the order they are listed.
macro_rules! providers {
    ($($module:ident),* $(,)?) => {
        $(mod $module;)*
        /// Every built-in provider, in the order of the scheme table.
        pub const PROVIDERS: &[&Provider] = &[$(&$module::PROVIDER),*];
    };
}

providers![
    hmac_sha256,
    standard,
    stripe,
    github,
    slack,
    shopify,
    zoom,
    paddle,
    twitch,
    linear,
    dropbox,
    meta,
    gitlab,
    mailgun,
    twilio,
    square,
    hubspot,
    discord,
    sendgrid,
    paypal,
    sns,
];

mod shared;

/// One provider: everything the toolkit needs to know of it, in its own file.
///
/// ```
/// let stripe = webhook_verify::Scheme::stripe().provider().unwrap();
/// assert_eq!(stripe.name, "stripe");
/// assert_eq!(stripe.signature_headers, ["Stripe-Signature"]);
/// assert!(stripe.kept_headers.contains(&"stripe-signature"));
/// ```
#[non_exhaustive]
pub struct Provider {
    /// The scheme's name, as in [`Scheme::name`] and `--scheme`.
    pub name: &'static str,
    /// Other names [`FromStr`] accepts for it.
    pub aliases: &'static [&'static str],
    /// What the secret is, in the provider's own words (`--secret` in the CLI).
    pub secret_is: &'static str,
    /// The headers that carry signatures or tokens (mark them sensitive in logs).
    pub signature_headers: &'static [&'static str],
    /// The header that carries the delivery's id, when there is one.
    pub id_header: Option<&'static str>,
    /// The header that carries the signed timestamp, when there is one.
    pub timestamp_header: Option<&'static str>,
    /// The header that names the event's type, when the provider sends one.
    pub event_type_header: Option<&'static str>,
    /// Lower-case names of the headers a receiver keeps with a queued delivery (to re-verify,
    /// deduplicate and route it).
    pub kept_headers: &'static [&'static str],
    /// The scheme signs the request URL (and maybe the method): see [`Scheme::requires_url`].
    pub requires_url: bool,
    /// The scheme signs a timestamp and holds it to a tolerance.
    pub timestamped: bool,
    /// The tolerance the provider documents (300 s when it documents none).
    pub default_tolerance: Duration,
    /// The provider's endpoint check, when it has one (see [`handshake`](crate::handshake)).
    pub(crate) handshake: Option<crate::handshake::Rule>,
    /// How the scheme's signing certificate is named, for the schemes that use one.
    pub(crate) certificates: Option<CertificateRule>,
    pub(crate) ops: Ops,
}

/// A scheme whose signatures are checked with a certificate the delivery names by URL.
#[derive(Clone, Copy)]
pub(crate) struct CertificateRule {
    /// `true` for an `https` URL on the provider's own hosts; any other is refused before the
    /// [`CertificateSource`](crate::CertificateSource) is asked.
    pub(crate) url_allowed: fn(&str) -> bool,
    /// The certificate alone authenticates a delivery, so a verifier may have no secret (SNS:
    /// secrets, when given, are the topics accepted).
    pub(crate) secret_optional: bool,
    /// The names a fetched certificate must be issued to (its subject's common name).
    pub(crate) subjects: &'static [&'static str],
    /// The certificate URL a delivery names, read without verifying anything.
    pub(crate) url_in: for<'h> fn(&dyn Lookup<'h>, &[u8]) -> Option<String>,
    /// The URL to `GET` to confirm a subscription when the body asks for one (SNS's
    /// `SubscribeURL` of a `SubscriptionConfirmation`), read without
    /// verifying anything; the body carries its own signature. Always `None` for a scheme
    /// without subscriptions.
    pub(crate) confirm_url_in: fn(&[u8]) -> Option<String>,
    /// `true` for a URL a subscription may be confirmed at (checked again before the `GET`).
    pub(crate) confirm_url_allowed: fn(&str) -> bool,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// The provider with its endpoint check (for providers built from a shared rule).
    pub(crate) const fn with_handshake(mut self, rule: crate::handshake::Rule) -> Self {
        self.handshake = Some(rule);
        self
    }
}

/// What a provider's verify function is given.
pub(crate) struct Input<'a, 'h> {
    pub(crate) keys: &'a [VerifyKey],
    pub(crate) time: &'a TimestampPolicy,
    pub(crate) headers: &'a dyn Lookup<'h>,
    pub(crate) body: &'a [u8],
    pub(crate) request: Option<&'a Request<'a>>,
    pub(crate) certificates: Option<&'a dyn crate::CertificateSource>,
}

impl Input<'_, '_> {
    /// The certificate at `url` after the scheme's URL rule: `Ok(None)` when the URL is refused
    /// (the caller names the field), [`VerifyError::CertificateUnavailable`] when the source does
    /// not have it now.
    pub(crate) fn certificate(
        &self,
        rule: &CertificateRule,
        scheme: &'static str,
        url: &str,
    ) -> Result<Option<std::sync::Arc<crate::Certificate>>, VerifyError> {
        if !(rule.url_allowed)(url) {
            return Ok(None);
        }
        let source = self
            .certificates
            .ok_or(VerifyError::MissingCertificates { scheme })?;
        source
            .certificate(url)
            .map(Some)
            .ok_or(VerifyError::CertificateUnavailable)
    }

    /// The request, or the configuration error of a URL-signed scheme used without one.
    pub(crate) fn request(&self, scheme: &'static str) -> Result<&Request<'_>, VerifyError> {
        self.request
            .ok_or(VerifyError::MissingRequestUrl { scheme })
    }
}

/// What a provider's sign function is given.
pub(crate) struct SignInput<'a> {
    pub(crate) keys: &'a [SignKey],
    pub(crate) id: &'a str,
    pub(crate) timestamp: i64,
    pub(crate) body: &'a [u8],
    pub(crate) request: Option<&'a Request<'a>>,
}

impl SignInput<'_> {
    pub(crate) fn request(&self, scheme: &'static str) -> Result<&Request<'_>, VerifyError> {
        self.request.ok_or(VerifyError::MissingSignInput {
            scheme,
            what: "the request's URL (Signer::sign_delivery with a Request)",
        })
    }

    /// The first HMAC-SHA256 key (single-signature schemes sign with it).
    pub(crate) fn first_mac(&self) -> Option<&KeyedMac> {
        self.keys.iter().find_map(|k| match k {
            SignKey::Hmac(mac) => Some(mac),
            _ => None,
        })
    }

    /// Every HMAC-SHA256 key, for schemes that carry several signatures.
    pub(crate) fn macs(&self) -> impl Iterator<Item = &KeyedMac> {
        self.keys.iter().filter_map(|k| match k {
            SignKey::Hmac(mac) => Some(mac),
            _ => None,
        })
    }
}

/// Headers to send, and the body when the scheme had to write into it (Mailgun, Linear).
pub(crate) struct Signed {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

impl Signed {
    pub(crate) fn headers(headers: Vec<(String, String)>) -> Self {
        Self {
            headers,
            body: None,
        }
    }
}

/// A provider's functions.
#[derive(Clone, Copy)]
pub(crate) struct Ops {
    pub(crate) verify: for<'a, 'h> fn(&Input<'a, 'h>) -> Result<Verified<'h>, VerifyError>,
    pub(crate) sign: fn(&SignInput<'_>) -> Result<Signed, VerifyError>,
    pub(crate) verify_key: fn(&Secret) -> Result<VerifyKey, VerifyError>,
    pub(crate) sign_key: fn(&Secret) -> Result<SignKey, VerifyError>,
}

/// The secret's own bytes as an HMAC-SHA256 key (most providers).
pub(crate) fn hmac_verify_key(secret: &Secret) -> Result<VerifyKey, VerifyError> {
    Ok(VerifyKey::Hmac(KeyedMac::new(secret.expose().as_bytes())))
}

/// The secret's own bytes as an HMAC-SHA256 signing key (most providers).
pub(crate) fn hmac_sign_key(secret: &Secret) -> Result<SignKey, VerifyError> {
    Ok(SignKey::Hmac(KeyedMac::new(secret.expose().as_bytes())))
}

/// The number of built-in providers.
const COUNT: usize = PROVIDERS.len();

const NAME_LIST: [&str; COUNT] = {
    let mut names = [""; COUNT];
    let mut i = 0;
    while i < COUNT {
        names[i] = PROVIDERS[i].name;
        i += 1;
    }
    names
};

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Headers every receiver keeps whatever the sender.
const COMMON_KEPT: [&str; 2] = ["content-type", "user-agent"];

const KEPT_MAX: usize = {
    let mut n = COMMON_KEPT.len();
    let mut i = 0;
    while i < COUNT {
        n += PROVIDERS[i].kept_headers.len();
        i += 1;
    }
    n
};

/// The common headers then every provider's kept headers, without repeats, padded with "".
const KEPT_PADDED: ([&str; KEPT_MAX], usize) = {
    let mut out = [""; KEPT_MAX];
    let mut len = 0;
    let mut i = 0;
    while i < COMMON_KEPT.len() {
        out[len] = COMMON_KEPT[i];
        len += 1;
        i += 1;
    }
    let mut p = 0;
    while p < COUNT {
        let kept = PROVIDERS[p].kept_headers;
        let mut k = 0;
        while k < kept.len() {
            let mut seen = false;
            let mut j = 0;
            while j < len {
                if str_eq(out[j], kept[k]) {
                    seen = true;
                }
                j += 1;
            }
            if !seen {
                out[len] = kept[k];
                len += 1;
            }
            k += 1;
        }
        p += 1;
    }
    (out, len)
};

/// The headers a receiver keeps with a queued delivery: content type, user agent, and every
/// provider's [`Provider::kept_headers`], lower case, each once. `webhook-queue`'s default.
///
/// ```
/// assert!(webhook_verify::KEPT_HEADERS.contains(&"x-github-event"));
/// assert!(webhook_verify::KEPT_HEADERS.contains(&"content-type"));
/// ```
pub const KEPT_HEADERS: &[&str] = KEPT_PADDED.0.split_at(KEPT_PADDED.1).0;

/// A signature scheme: which headers carry what, and what exactly is signed. See the
/// [crate docs](crate#schemes) for the table of every built-in scheme and what its secret is.
///
/// ```
/// use webhook_verify::Scheme;
/// let scheme: Scheme = "stripe".parse()?;
/// assert_eq!(scheme.name(), "stripe");
/// assert_eq!(Scheme::standard().name(), "standard");
/// assert_eq!("svix".parse::<Scheme>()?.name(), "standard");
/// # Ok::<(), webhook_verify::UnknownScheme>(())
/// ```
#[derive(Clone, Debug)]
pub struct Scheme(Kind);

#[derive(Clone, Debug)]
enum Kind {
    Builtin(&'static Provider),
    Custom(HmacSha256),
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $fn:ident => $module:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $fn() -> Self {
                Self(Kind::Builtin(&$module::PROVIDER))
            }
        )*
    };
}

impl Scheme {
    /// Every built-in scheme name, as accepted by [`FromStr`] (aliases aside).
    ///
    /// ```
    /// assert!(webhook_verify::Scheme::NAMES.contains(&"twilio"));
    /// ```
    pub const NAMES: &'static [&'static str] = &NAME_LIST;

    /// Every built-in provider.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::providers().len(), webhook_verify::Scheme::NAMES.len());
    /// ```
    pub fn providers() -> &'static [&'static Provider] {
        PROVIDERS
    }

    /// A body-HMAC scheme configured by hand (header name, prefix, hex or base64).
    ///
    /// ```
    /// use webhook_verify::{Encoding, HmacSha256, Scheme};
    /// let scheme = Scheme::custom(HmacSha256::new().header("X-Signature").encoding(Encoding::Base64));
    /// assert_eq!(scheme.signature_headers(), ["X-Signature"]);
    /// ```
    pub fn custom(config: HmacSha256) -> Self {
        Self(Kind::Custom(config))
    }

    constructors! {
        /// HMAC-SHA256 of the raw body in `X-Webhook-Signature: sha256=<hex>` (or bare hex), the
        /// scheme of the seed sender documents. See [`HmacSha256`] to change header, prefix or
        /// encoding.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::hmac_sha256().name(), "hmac-sha256");
        /// ```
        hmac_sha256 => hmac_sha256;
        /// [Standard Webhooks](https://www.standardwebhooks.com/), also what Svix, Clerk and
        /// Resend send: symmetric `v1` (`whsec_` secrets) and asymmetric `v1a` (ed25519, `whpk_`).
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::standard().name(), "standard");
        /// ```
        standard => standard;
        /// Stripe's `Stripe-Signature: t=<unix>,v1=<hex>` over `{t}.{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::stripe().name(), "stripe");
        /// ```
        stripe => stripe;
        /// GitHub's `X-Hub-Signature-256: sha256=<hex>` (the SHA-1 `X-Hub-Signature` is never
        /// accepted).
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::github().name(), "github");
        /// ```
        github => github;
        /// Slack's `X-Slack-Signature: v0=<hex>` over `v0:{timestamp}:{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::slack().name(), "slack");
        /// ```
        slack => slack;
        /// Shopify's `X-Shopify-Hmac-Sha256: <base64>` over the body.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::shopify().name(), "shopify");
        /// ```
        shopify => shopify;
        /// Zoom's `x-zm-signature: v0=<hex>` over `v0:{x-zm-request-timestamp}:{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::zoom().name(), "zoom");
        /// ```
        zoom => zoom;
        /// Paddle Billing's `Paddle-Signature: ts=<unix>;h1=<hex>` over `{ts}:{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::paddle().name(), "paddle");
        /// ```
        paddle => paddle;
        /// Twitch EventSub's `Twitch-Eventsub-Message-Signature: sha256=<hex>` over
        /// `{message id}{timestamp}{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::twitch().name(), "twitch");
        /// ```
        twitch => twitch;
        /// Linear's `Linear-Signature: <hex>` over the body, whose `webhookTimestamp` must be
        /// within 60 s.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::linear().name(), "linear");
        /// ```
        linear => linear;
        /// Dropbox's `X-Dropbox-Signature: <hex>` over the body.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::dropbox().name(), "dropbox");
        /// ```
        dropbox => dropbox;
        /// Meta's (WhatsApp, Messenger, Instagram) `X-Hub-Signature-256: sha256=<hex>`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::meta().name(), "meta");
        /// ```
        meta => meta;
        /// GitLab's `X-Gitlab-Token`, compared in constant time with the secret token.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::gitlab().name(), "gitlab");
        /// ```
        gitlab => gitlab;
        /// Mailgun's body `signature: {timestamp, token, signature}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::mailgun().name(), "mailgun");
        /// ```
        mailgun => mailgun;
        /// Twilio's `X-Twilio-Signature`: HMAC-SHA1 of the URL and the form parameters.
        ///
        /// ```
        /// assert!(webhook_verify::Scheme::twilio().requires_url());
        /// ```
        twilio => twilio;
        /// Square's `x-square-hmacsha256-signature` over `{notification URL}{body}`.
        ///
        /// ```
        /// assert!(webhook_verify::Scheme::square().requires_url());
        /// ```
        square => square;
        /// HubSpot's `X-HubSpot-Signature-v3` over `{METHOD}{URI}{body}{timestamp}`.
        ///
        /// ```
        /// assert!(webhook_verify::Scheme::hubspot().requires_url());
        /// ```
        hubspot => hubspot;
        /// Discord's interactions: `X-Signature-Ed25519: <hex>`, ed25519 over
        /// `{X-Signature-Timestamp}{body}`, checked with the application's public key.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::discord().name(), "discord");
        /// ```
        discord => discord;
        /// Twilio SendGrid's signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature`,
        /// ECDSA P-256/SHA-256 over `{X-Twilio-Email-Event-Webhook-Timestamp}{body}`.
        ///
        /// ```
        /// assert_eq!(webhook_verify::Scheme::sendgrid().name(), "sendgrid");
        /// ```
        sendgrid => sendgrid;
        /// PayPal's webhooks: RSA SHA-256 over
        /// `{transmission id}|{time}|{webhook id}|{CRC32 of the body}` with the certificate at
        /// `PAYPAL-CERT-URL` (see [`VerifierBuilder::certificates`](crate::VerifierBuilder::certificates)).
        ///
        /// ```
        /// assert!(webhook_verify::Scheme::paypal().uses_certificates());
        /// ```
        paypal => paypal;
        /// Amazon SNS's HTTP(S) deliveries: the JSON body's `Signature`, RSA (SHA-1 or SHA-256)
        /// over the message's canonical string, with the certificate at `SigningCertURL`.
        ///
        /// ```
        /// assert!(webhook_verify::Scheme::sns().uses_certificates());
        /// ```
        sns => sns;
    }

    /// The built-in provider behind this scheme (`None` for [`Scheme::custom`]).
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::zoom().provider().unwrap().secret_is, "the secret token");
    /// ```
    pub fn provider(&self) -> Option<&'static Provider> {
        match &self.0 {
            Kind::Builtin(p) => Some(p),
            Kind::Custom(_) => None,
        }
    }

    /// The scheme's name (`hmac-sha256`, `standard`, ...), as reported in [`Verified::scheme`].
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::slack().name(), "slack");
    /// ```
    pub fn name(&self) -> &'static str {
        match &self.0 {
            Kind::Builtin(p) => p.name,
            Kind::Custom(config) => config.name,
        }
    }

    /// `true` when the scheme signs the request's URL (`twilio`, `square`, `hubspot`): such a
    /// receiver must know its public URL, so refuse to start without one and verify with
    /// [`Verifier::verify_request`](crate::Verifier::verify_request).
    ///
    /// ```
    /// assert!(webhook_verify::Scheme::twilio().requires_url());
    /// assert!(!webhook_verify::Scheme::stripe().requires_url());
    /// ```
    pub fn requires_url(&self) -> bool {
        self.provider().is_some_and(|p| p.requires_url)
    }

    /// `true` when the scheme checks signatures with a certificate the delivery names by URL
    /// (`paypal`, `sns`): configure [`VerifierBuilder::certificates`](crate::VerifierBuilder::certificates).
    ///
    /// ```
    /// assert!(webhook_verify::Scheme::sns().uses_certificates());
    /// assert!(!webhook_verify::Scheme::stripe().uses_certificates());
    /// ```
    pub fn uses_certificates(&self) -> bool {
        self.provider().is_some_and(|p| p.certificates.is_some())
    }

    /// `true` when `url` is one this scheme's deliveries may name their certificate by: `https`
    /// on the provider's own hosts (PayPal's API hosts, `sns.<region>.amazonaws.com`). A
    /// certificate fetcher fetches nothing else.
    ///
    /// ```
    /// use webhook_verify::Scheme;
    /// assert!(Scheme::paypal().certificate_url_allowed("https://api.paypal.com/v1/notifications/certs/CERT-1"));
    /// assert!(!Scheme::paypal().certificate_url_allowed("https://example.com/cert.pem"));
    /// ```
    pub fn certificate_url_allowed(&self, url: &str) -> bool {
        self.provider()
            .and_then(|p| p.certificates)
            .is_some_and(|rule| (rule.url_allowed)(url))
    }

    /// The names a certificate fetched for this scheme must be issued to (its subject's common
    /// name): `sns.amazonaws.com` for SNS, `messageverificationcerts.paypal.com` (or its sandbox
    /// name) for PayPal; empty for the schemes without certificates.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::sns().certificate_subjects(), ["sns.amazonaws.com"]);
    /// ```
    pub fn certificate_subjects(&self) -> &'static [&'static str] {
        self.provider()
            .and_then(|p| p.certificates)
            .map_or(&[], |rule| rule.subjects)
    }

    /// The certificate URL a delivery names, when the scheme uses certificates and the URL is
    /// one it allows; read without verifying anything (to fetch the certificate first).
    /// `true` for a URL this scheme's subscriptions may be confirmed at (SNS: `https` on
    /// `sns.<region>.amazonaws.com`); `false` for every URL of the other schemes.
    #[cfg(feature = "fetch")]
    pub(crate) fn confirm_url_allowed(&self, url: &str) -> bool {
        self.provider()
            .and_then(|p| p.certificates)
            .is_some_and(|rule| (rule.confirm_url_allowed)(url))
    }

    pub(crate) fn certificate_url(&self, headers: &dyn Lookup<'_>, body: &[u8]) -> Option<String> {
        let rule = self.provider()?.certificates?;
        (rule.url_in)(headers, body).filter(|url| (rule.url_allowed)(url))
    }

    /// `false` when a verifier of this scheme may have no secret (`sns`: the certificate alone
    /// authenticates a delivery; secrets, when given, are the topics accepted).
    ///
    /// ```
    /// assert!(!webhook_verify::Scheme::sns().requires_secret());
    /// assert!(webhook_verify::Scheme::paypal().requires_secret());
    /// ```
    pub fn requires_secret(&self) -> bool {
        !self
            .provider()
            .and_then(|p| p.certificates)
            .is_some_and(|rule| rule.secret_optional)
    }

    /// `true` when the scheme signs a timestamp and holds it to a tolerance.
    ///
    /// ```
    /// assert!(webhook_verify::Scheme::stripe().is_timestamped());
    /// assert!(!webhook_verify::Scheme::github().is_timestamped());
    /// ```
    pub fn is_timestamped(&self) -> bool {
        self.provider().is_some_and(|p| p.timestamped)
    }

    /// The tolerance a verifier uses unless told otherwise: the provider's documented one
    /// (Twitch 600 s, Linear 60 s, Paddle 5 s), else [`DEFAULT_TOLERANCE`].
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::twitch().default_tolerance().as_secs(), 600);
    /// ```
    pub fn default_tolerance(&self) -> Duration {
        self.provider()
            .map_or(DEFAULT_TOLERANCE, |p| p.default_tolerance)
    }

    /// The headers that carry signatures: mark them sensitive so that request logging skips them.
    ///
    /// ```
    /// assert_eq!(webhook_verify::Scheme::stripe().signature_headers(), ["Stripe-Signature"]);
    /// ```
    pub fn signature_headers(&self) -> Vec<&str> {
        match &self.0 {
            Kind::Builtin(p) => p.signature_headers.to_vec(),
            Kind::Custom(config) => vec![config.header_name()],
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
            Kind::Builtin(p) => (p.ops.verify_key)(secret),
            Kind::Custom(_) => hmac_verify_key(secret),
        }
    }

    pub(crate) fn sign_key(&self, secret: &Secret) -> Result<SignKey, VerifyError> {
        self.refuse_empty(secret)?;
        match &self.0 {
            Kind::Builtin(p) => (p.ops.sign_key)(secret),
            Kind::Custom(_) => hmac_sign_key(secret),
        }
    }

    pub(crate) fn verify<'h>(&self, input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
        match &self.0 {
            Kind::Builtin(p) => {
                if p.requires_url && input.request.is_none() {
                    return Err(VerifyError::MissingRequestUrl { scheme: p.name });
                }
                (p.ops.verify)(input)
            }
            Kind::Custom(config) => config.verify(input),
        }
    }

    pub(crate) fn sign(&self, input: &SignInput<'_>) -> Result<Signed, VerifyError> {
        match &self.0 {
            Kind::Builtin(p) => (p.ops.sign)(input),
            Kind::Custom(config) => Ok(Signed::headers(config.sign(input.keys, input.body))),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name that is not one of [`Scheme::NAMES`] (or their aliases).
///
/// ```
/// assert!("md5".parse::<webhook_verify::Scheme>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScheme(pub String);

impl fmt::Display for UnknownScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown scheme {:?}; expected one of {}",
            self.0,
            Scheme::NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownScheme {}

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        PROVIDERS
            .iter()
            .find(|p| {
                p.name.eq_ignore_ascii_case(name)
                    || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(|p| Self(Kind::Builtin(p)))
            .ok_or_else(|| UnknownScheme(name.to_owned()))
    }
}

/// A key that checks signatures.
#[derive(Clone)]
pub(crate) enum VerifyKey {
    Hmac(KeyedMac),
    HmacSha1(KeyedSha1),
    Ed25519(VerifyingKey),
    /// An ECDSA P-256 public key (SendGrid).
    P256(p256::ecdsa::VerifyingKey),
    /// A value the signed content must hold (PayPal's webhook id, an SNS topic ARN).
    Name(String),
    /// The SHA-256 of a shared token (GitLab), compared in constant time.
    TokenDigest([u8; crate::mac::TAG_LEN]),
}

/// A key that makes signatures.
pub(crate) enum SignKey {
    Hmac(KeyedMac),
    HmacSha1(KeyedSha1),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// An ECDSA P-256 private key (SendGrid).
    P256(Box<p256::ecdsa::SigningKey>),
    /// A value to sign with the test key (PayPal's webhook id, an SNS topic ARN).
    Name(String),
    /// A shared token sent as is (GitLab).
    Token(KeyBytes),
}

/// How many signatures one delivery may carry; more is refused before any MAC is computed.
pub(crate) const MAX_SIGNATURES: usize = 16;

/// Largest decoded signature (a DER ECDSA P-256 signature: 72 bytes).
const MAX_SIGNATURE_LEN: usize = 72;

/// Which algorithm a candidate signature claims.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    HmacSha256,
    HmacSha1,
    Ed25519,
    /// ECDSA P-256 with SHA-256, DER encoded (8 to 72 bytes).
    EcdsaP256,
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
        let fits = match alg {
            Alg::HmacSha256 => len == crate::mac::TAG_LEN,
            Alg::HmacSha1 => len == crate::mac::SHA1_TAG_LEN,
            Alg::Ed25519 => len == ed25519_dalek::SIGNATURE_LENGTH,
            Alg::EcdsaP256 => (8..=MAX_SIGNATURE_LEN).contains(&len),
        };
        if !fits {
            return Err(bad());
        }
        slot.alg = alg;
        slot.len = len;
        self.len += 1;
        Ok(())
    }

    /// Like [`push`](Self::push), but an entry that cannot be a signature is skipped (Standard
    /// Webhooks: an entry that cannot apply never spoils the others). `false` when skipped.
    pub(crate) fn push_lenient(&mut self, alg: Alg, encoding: Encoding, encoded: &[u8]) -> bool {
        const NAME: Cow<'static, str> = Cow::Borrowed("");
        self.len < MAX_SIGNATURES && self.push(&NAME, alg, encoding, encoded).is_ok()
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
            VerifyKey::HmacSha1(mac) => {
                if candidates.of(Alg::HmacSha1).next().is_none() {
                    continue;
                }
                let tag = mac.tag(signed);
                for candidate in candidates.of(Alg::HmacSha1) {
                    let matched = crate::mac::bytes_equal(&tag, candidate.bytes());
                    index.conditional_assign(&i, matched & !found);
                    found |= matched;
                }
            }
            VerifyKey::TokenDigest(_) | VerifyKey::Name(_) => {}
            VerifyKey::Ed25519(public) => {
                for candidate in candidates.of(Alg::Ed25519) {
                    let matched =
                        Choice::from(u8::from(ed25519_matches(public, signed, candidate)));
                    index.conditional_assign(&i, matched & !found);
                    found |= matched;
                }
            }
            VerifyKey::P256(public) => {
                for candidate in candidates.of(Alg::EcdsaP256) {
                    let matched = Choice::from(u8::from(p256_matches(public, signed, candidate)));
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

fn p256_matches(
    public: &p256::ecdsa::VerifyingKey,
    signed: &[&[u8]],
    candidate: &Candidate,
) -> bool {
    use p256::ecdsa::signature::MultipartVerifier as _;
    let Ok(signature) = p256::ecdsa::Signature::from_der(candidate.bytes()) else {
        return false;
    };
    public.multipart_verify(signed, &signature).is_ok()
}

/// Text of a header value, or the typed error.
pub(crate) fn utf8<'h>(name: &Cow<'static, str>, raw: &'h [u8]) -> Result<&'h str, VerifyError> {
    std::str::from_utf8(raw).map_err(|_| VerifyError::MalformedHeader {
        name: name.clone(),
        reason: "not valid UTF-8",
    })
}
