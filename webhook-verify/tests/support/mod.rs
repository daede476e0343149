//! What the integration tests share: every scheme as a test case, and a tiny deterministic PRNG.
#![allow(dead_code, reason = "each test file uses a different part")]

use webhook_verify::{FixedClock, Request, Scheme, Signer, Verifier, VerifierBuilder};

/// The request every delivery is signed for and verified against (the URL-signed schemes sign
/// it, the others ignore it).
pub const REQ: Request<'static> = Request {
    method: "POST",
    url: "https://hooks.example.com:8443/in/webhooks?tenant=42",
};

/// A fixed "now" for frozen clocks.
pub const NOW: i64 = 1_700_000_000;

// RFC 8032 test key 1 as Standard Webhooks v1a keys (seed, then public key).
pub const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
pub const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

// RFC 8032 test key 1 as Discord keys (seed and public key; the public key), and RFC 8032 test
// keys 2 and 3's public keys as decoys.
pub const DISCORD_PRIVATE: &str = concat!(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
);
pub const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
pub const DISCORD_DECOYS: [&str; 2] = [
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
];
// A P-256 test key (openssl ecparam -name prime256v1 -genkey), base64 DER PKCS#8 and SPKI; the
// decoys are the two public keys of SendGrid's published example.
pub const SENDGRID_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5oYiYKfMYuHwzD0QW/TocNDaNQCzVz7W4hPH6UbFsXKhRANCAARnxu9SFS3Q3lSOzwOGM6TluRQehoNsMd47tsnU1Ocd/2cfoA8JxFhDQtEU5Mv2hr8S7R+BpReCZi80M/hAcsRZ";
pub const SENDGRID_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ8bvUhUt0N5Ujs8DhjOk5bkUHoaDbDHeO7bJ1NTnHf9nH6APCcRYQ0LRFOTL9oa/Eu0fgaUXgmYvNDP4QHLEWQ==";
pub const SENDGRID_DECOYS: [&str; 2] = [
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==",
];

/// One scheme as a test case: the secret that signs, the key that verifies, and other keys of the
/// same kind to configure alongside it (rotation).
pub struct Case {
    pub label: &'static str,
    pub scheme: fn() -> Scheme,
    pub sign_secret: &'static str,
    pub verify_secret: &'static str,
    pub decoys: [&'static str; 2],
    /// The scheme signs a timestamp and holds it to a tolerance.
    pub timestamped: bool,
    /// The scheme reports the delivery id it was signed with as `webhook_id`.
    pub signs_id: bool,
    /// The header carrying that id, when the signature covers it.
    pub signed_id_header: Option<&'static str>,
    /// The default tolerance, seconds (for timestamped schemes).
    pub default_tolerance: i64,
}

pub const CASES: [Case; 18] = [
    Case {
        label: "hmac-sha256",
        scheme: Scheme::hmac_sha256,
        sign_secret: "your-webhook-secret",
        verify_secret: "your-webhook-secret",
        decoys: ["old-webhook-secret", "older-webhook-secret"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "standard v1",
        scheme: Scheme::standard,
        sign_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        verify_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        decoys: [
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        ],
        timestamped: true,
        signs_id: true,
        signed_id_header: Some("webhook-id"),
        default_tolerance: 300,
    },
    Case {
        label: "standard v1a",
        scheme: Scheme::standard,
        sign_secret: WHSK,
        verify_secret: WHPK,
        // RFC 8032 test key 2's public key, and a symmetric secret.
        decoys: [
            "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=",
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ],
        timestamped: true,
        signs_id: true,
        signed_id_header: Some("webhook-id"),
        default_tolerance: 300,
    },
    Case {
        label: "stripe",
        scheme: Scheme::stripe,
        sign_secret: "whsec_test_secret",
        verify_secret: "whsec_test_secret",
        decoys: ["whsec_old_secret", "whsec_older_secret"],
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "github",
        scheme: Scheme::github,
        sign_secret: "It's a Secret to Everybody",
        verify_secret: "It's a Secret to Everybody",
        decoys: ["It's a secret to everybody", "old secret"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "slack",
        scheme: Scheme::slack,
        sign_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        verify_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        decoys: ["8f742231b10e8888abcd99yyyzzz85a6", "old"],
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "shopify",
        scheme: Scheme::shopify,
        sign_secret: "hush-shopify-client-secret",
        verify_secret: "hush-shopify-client-secret",
        decoys: ["old-client-secret", "older-client-secret"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "zoom",
        scheme: Scheme::zoom,
        sign_secret: "zoom-secret-token",
        verify_secret: "zoom-secret-token",
        decoys: ["zoom-old-token", "zoom-older-token"],
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "paddle",
        scheme: Scheme::paddle,
        sign_secret: "pdl_ntfset_01_secret",
        verify_secret: "pdl_ntfset_01_secret",
        decoys: ["pdl_ntfset_old", "pdl_ntfset_older"],
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 5,
    },
    Case {
        label: "twitch",
        scheme: Scheme::twitch,
        sign_secret: "twitch-subscription-secret",
        verify_secret: "twitch-subscription-secret",
        decoys: ["twitch-old", "twitch-older"],
        timestamped: true,
        signs_id: true,
        signed_id_header: Some("Twitch-Eventsub-Message-Id"),
        default_tolerance: 600,
    },
    Case {
        label: "dropbox",
        scheme: Scheme::dropbox,
        sign_secret: "dropbox-app-secret",
        verify_secret: "dropbox-app-secret",
        decoys: ["dropbox-old", "dropbox-older"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "meta",
        scheme: Scheme::meta,
        sign_secret: "meta-app-secret",
        verify_secret: "meta-app-secret",
        decoys: ["meta-old", "meta-older"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "gitlab",
        scheme: Scheme::gitlab,
        sign_secret: "glwt-secret-token",
        verify_secret: "glwt-secret-token",
        decoys: ["glwt-old-token", "glwt-older-token"],
        timestamped: false,
        // The UUID header is sent by whoever knows the token, not covered by a signature.
        signs_id: true,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "square",
        scheme: Scheme::square,
        sign_secret: "square-signature-key",
        verify_secret: "square-signature-key",
        decoys: ["square-old", "square-older"],
        timestamped: false,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "hubspot",
        scheme: Scheme::hubspot,
        sign_secret: "hubspot-client-secret",
        verify_secret: "hubspot-client-secret",
        decoys: ["hubspot-old", "hubspot-older"],
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "discord",
        scheme: Scheme::discord,
        sign_secret: DISCORD_PRIVATE,
        verify_secret: DISCORD_PUBLIC,
        decoys: DISCORD_DECOYS,
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "sendgrid",
        scheme: Scheme::sendgrid,
        sign_secret: SENDGRID_PRIVATE,
        verify_secret: SENDGRID_PUBLIC,
        decoys: SENDGRID_DECOYS,
        timestamped: true,
        signs_id: false,
        signed_id_header: None,
        default_tolerance: 300,
    },
    Case {
        label: "paypal",
        scheme: Scheme::paypal,
        sign_secret: "1JE4291016473214C",
        verify_secret: "1JE4291016473214C",
        decoys: ["WH-OLD-4291016473214C", "WH-OLDER"],
        timestamped: true,
        signs_id: true,
        signed_id_header: Some("PAYPAL-TRANSMISSION-ID"),
        default_tolerance: 300,
    },
];
impl Case {
    /// A builder for this scheme with a clock frozen at `now` (no secret yet); the URL-signed
    /// schemes get their URL with each request ([`REQ`]).
    pub fn builder(&self, now: i64) -> VerifierBuilder {
        Verifier::builder((self.scheme)())
            .clock(FixedClock(now))
            .public_url(webhook_verify::PublicUrl::PerRequest)
            .certificates(test_certificate())
    }

    /// A verifier with this case's key alone, its clock frozen at `now`.
    pub fn verifier(&self, now: i64) -> Verifier {
        self.builder(now)
            .secret(self.verify_secret)
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", self.label))
    }

    /// The headers a sender would send.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
        let signed = Signer::new((self.scheme)(), self.sign_secret)
            .and_then(|s| s.sign_delivery(Some(&REQ), id, timestamp, body))
            .unwrap_or_else(|e| panic!("{}: {e}", self.label));
        assert_eq!(signed.body, body, "{}: the body is left alone", self.label);
        signed.headers
    }

    /// The name of the header that carries the signature.
    pub fn signature_header(&self) -> &'static str {
        match self.label {
            "hmac-sha256" => "X-Webhook-Signature",
            "standard v1" | "standard v1a" => "webhook-signature",
            "stripe" => "Stripe-Signature",
            "github" => "X-Hub-Signature-256",
            "slack" => "X-Slack-Signature",
            "shopify" => "X-Shopify-Hmac-Sha256",
            "zoom" => "x-zm-signature",
            "paddle" => "Paddle-Signature",
            "twitch" => "Twitch-Eventsub-Message-Signature",
            "dropbox" => "X-Dropbox-Signature",
            "meta" => "X-Hub-Signature-256",
            "gitlab" => "X-Gitlab-Token",
            "square" => "x-square-hmacsha256-signature",
            "hubspot" => "X-HubSpot-Signature-v3",
            "discord" => "X-Signature-Ed25519",
            "sendgrid" => "X-Twilio-Email-Event-Webhook-Signature",
            "paypal" => "PAYPAL-TRANSMISSION-SIG",
            other => unreachable!("{other}"),
        }
    }
}

/// Every built-in scheme is a case here, or is covered by its own tests (the ones that parse
/// the body: `mailgun`, `linear`, `twilio`'s form parameters, `sns`'s JSON message).
pub const OWN_TESTS: [&str; 4] = ["mailgun", "linear", "twilio", "sns"];

/// The crate's test certificate, which `Signer` signs `paypal` and `sns` deliveries with.
pub fn test_certificate() -> webhook_verify::GivenCertificate {
    webhook_verify::GivenCertificate::from_pem(webhook_verify::TEST_CERTIFICATE_PEM).unwrap()
}

/// The pairs as an `http::HeaderMap`.
pub fn header_map(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// The pairs with byte values, so tests can put anything in a value.
pub fn raw(pairs: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
        .collect()
}

/// SplitMix64: tiny, deterministic, good enough to pick test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// A Standard Webhooks id: `msg_` and 1 to 40 characters of `[A-Za-z0-9_-]`.
    pub fn id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let len = 1 + self.below(40);
        let tail: String = (0..len)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len())]))
            .collect();
        format!("msg_{tail}")
    }

    /// The same header name with each letter's case chosen at random.
    pub fn recase(&mut self, name: &str) -> String {
        name.chars()
            .map(|c| {
                if self.below(2) == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }
}
