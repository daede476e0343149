//! `hmac-sha256`: HMAC-SHA256 of the raw body in one header, the scheme of the seed documents.
//!
//! Signing rule: `X-Webhook-Signature: sha256=<hex(HMAC-SHA256(secret, body))>`, the key being
//! the secret's bytes as written. The `sha256=` prefix is optional on receipt because some senders
//! send the bare hex digest. Header, prefix and encoding are configurable, which also covers
//! GitHub (`X-Hub-Signature-256`, required prefix) and Shopify (base64, no prefix).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{
    Alg, Candidates, Input, Ops, Provider, SignKey, Signed, hmac_sign_key, hmac_verify_key,
    find_match,
};
use crate::headers::HeaderKey;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Verified, VerifyError};

static DEFAULT: HmacSha256 = HmacSha256::preset_optional(
    "hmac-sha256",
    HeaderKey::new("X-Webhook-Signature", "x-webhook-signature"),
    "sha256=",
    Encoding::Hex,
);

pub(super) const PROVIDER: Provider = Provider {
    name: "hmac-sha256",
    aliases: &[],
    secret_is: "the shared secret",
    signature_headers: &["X-Webhook-Signature"],
    id_header: Some("X-Webhook-Id"),
    timestamp_header: None,
    event_type_header: Some("x-webhook-event"),
    kept_headers: &[
        "x-webhook-signature",
        "x-webhook-id",
        "x-webhook-timestamp",
        "x-webhook-event",
    ],
    requires_url: false,
    timestamped: false,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify: |input| DEFAULT.verify(input),
        sign: |input| Ok(Signed::headers(DEFAULT.sign(input.keys, input.body))),
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

/// How a signature is written in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// Hexadecimal, either case.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

impl Encoding {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }

    fn encode(self, bytes: &[u8]) -> String {
        match self {
            Self::Hex => const_hex::encode(bytes),
            Self::Base64 => BASE64.encode(bytes),
        }
    }
}

/// Configuration of a body-HMAC scheme: one header holding `[prefix]<encoded HMAC-SHA256(body)>`.
///
/// ```
/// use webhook_verify::{Encoding, HmacSha256, Scheme, Signer, Verifier};
///
/// // A provider that sends `X-Signature: <base64>`.
/// let scheme = Scheme::custom(HmacSha256::new().header("X-Signature").no_prefix().encoding(Encoding::Base64));
/// let headers = Signer::new(scheme.clone(), "secret")?.sign("", 0, b"body")?;
/// assert_eq!(headers[0].0, "X-Signature");
/// Verifier::new(scheme, "secret")?.verify(&headers, b"body")?;
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HmacSha256 {
    pub(crate) name: &'static str,
    header: HeaderKey,
    prefix: Option<Cow<'static, str>>,
    prefix_required: bool,
    encoding: Encoding,
}

impl Default for HmacSha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl HmacSha256 {
    /// The seed documents' scheme: `X-Webhook-Signature`, optional `sha256=` prefix, hex.
    ///
    /// ```
    /// let config = webhook_verify::HmacSha256::new();
    /// assert_eq!(config.header_name(), "X-Webhook-Signature");
    /// ```
    pub fn new() -> Self {
        DEFAULT.clone()
    }

    pub(crate) const fn preset_optional(
        name: &'static str,
        header: HeaderKey,
        prefix: &'static str,
        encoding: Encoding,
    ) -> Self {
        Self {
            name,
            header,
            prefix: Some(Cow::Borrowed(prefix)),
            prefix_required: false,
            encoding,
        }
    }

    pub(crate) const fn preset(
        name: &'static str,
        header: HeaderKey,
        prefix: Option<&'static str>,
        encoding: Encoding,
    ) -> Self {
        let (prefix, prefix_required) = match prefix {
            Some(p) => (Some(Cow::Borrowed(p)), true),
            None => (None, false),
        };
        Self {
            name,
            header,
            prefix,
            prefix_required,
            encoding,
        }
    }

    /// Reads the signature from this header (matched case-insensitively).
    ///
    /// ```
    /// let config = webhook_verify::HmacSha256::new().header("X-Signature");
    /// assert_eq!(config.header_name(), "X-Signature");
    /// ```
    pub fn header(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.header = HeaderKey::named(name.into());
        self
    }

    /// Requires this prefix before the encoded signature (`sha256=` for GitHub).
    ///
    /// ```
    /// let config = webhook_verify::HmacSha256::new().prefix("sha256=");
    /// ```
    pub fn prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = Some(prefix.into());
        self.prefix_required = true;
        self
    }

    /// Accepts the signature with or without this prefix, and signs with it.
    ///
    /// ```
    /// let config = webhook_verify::HmacSha256::new().optional_prefix("sha256=");
    /// ```
    pub fn optional_prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = Some(prefix.into());
        self.prefix_required = false;
        self
    }

    /// The header holds the encoded signature alone.
    ///
    /// ```
    /// let config = webhook_verify::HmacSha256::new().no_prefix();
    /// ```
    pub fn no_prefix(mut self) -> Self {
        self.prefix = None;
        self.prefix_required = false;
        self
    }

    /// How the signature is encoded (hex by default).
    ///
    /// ```
    /// use webhook_verify::{Encoding, HmacSha256};
    /// let config = HmacSha256::new().encoding(Encoding::Base64);
    /// ```
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The header the signature is read from.
    ///
    /// ```
    /// assert_eq!(webhook_verify::HmacSha256::new().header_name(), "X-Webhook-Signature");
    /// ```
    pub fn header_name(&self) -> &str {
        &self.header.text
    }

    pub(crate) fn verify<'h>(&self, input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
        let raw = self.header.required(input.headers)?;
        let encoded = match &self.prefix {
            Some(prefix) => match strip_prefix_ignore_case(raw, prefix.as_bytes()) {
                Some(rest) => rest,
                None if self.prefix_required => {
                    return Err(VerifyError::MalformedHeader {
                        name: self.header.text.clone(),
                        reason: "missing the scheme's prefix before the signature",
                    });
                }
                None => raw,
            },
            None => raw,
        };
        let mut candidates = Candidates::new();
        candidates.push(&self.header.text, Alg::HmacSha256, self.encoding, encoded)?;
        let secret_index = find_match(input.keys, &[input.body], &candidates)?;
        Ok(Verified::new(self.name, secret_index))
    }

    /// One header, signed with the first key (single-signature schemes cannot carry more).
    pub(crate) fn sign(&self, keys: &[SignKey], body: &[u8]) -> Vec<(String, String)> {
        let tag = match keys.first() {
            Some(SignKey::Hmac(mac)) => mac.tag(&[body]),
            _ => return Vec::new(),
        };
        let prefix = self.prefix.as_deref().unwrap_or("");
        vec![(
            self.header.text.to_string(),
            format!("{prefix}{}", self.encoding.encode(&tag)),
        )]
    }
}

fn strip_prefix_ignore_case<'a>(value: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    const SECRET: &str = "your-webhook-secret";
    const BODY: &[u8] =
        br#"{"event":"user.created","timestamp":"2023-06-20T14:15:30Z","data":{"id":"user_123"}}"#;
    // Computed with Python's hmac module, independently of this crate.
    const HEX: &str = "eddea9539813869e454677e6c66f3fc78ab978c9f40183c6aeff877c225787d2";

    fn verifier() -> Verifier {
        Verifier::builder(Scheme::hmac_sha256())
            .secret(SECRET)
            .clock(FixedClock(0))
            .build()
            .unwrap()
    }

    fn signature() -> String {
        Signer::new(Scheme::hmac_sha256(), SECRET)
            .unwrap()
            .sign("", 0, BODY)
            .unwrap()[0]
            .1
            .clone()
    }

    #[test]
    fn signs_with_sha256_prefix_and_lowercase_hex() {
        assert_eq!(signature(), format!("sha256={HEX}"));
    }

    #[test]
    fn accepts_prefixed_bare_and_uppercase_hex() {
        let sig = signature();
        let bare = sig.trim_start_matches("sha256=").to_owned();
        for value in [
            sig.clone(),
            bare.clone(),
            bare.to_uppercase(),
            sig.replace("sha256=", "SHA256="),
        ] {
            verifier()
                .verify(&[("x-webhook-signature", value.as_str())], BODY)
                .unwrap();
        }
    }

    #[test]
    fn rejects_tampered_body() {
        let sig = signature();
        let err = verifier()
            .verify(&[("X-Webhook-Signature", sig.as_str())], b"{}")
            .unwrap_err();
        assert_eq!(err, VerifyError::NoMatchingSignature);
    }

    #[test]
    fn rejects_non_hex_and_short_signatures() {
        for value in ["sha256=zz", "sha256=abcd", "sha256="] {
            let err = verifier()
                .verify(&[("X-Webhook-Signature", value)], BODY)
                .unwrap_err();
            assert!(
                matches!(err, VerifyError::BadEncoding { .. }),
                "{value}: {err}"
            );
        }
    }
}
