//! What the integration tests share: every scheme as a test case, and a tiny deterministic PRNG.
#![allow(dead_code, reason = "each test file uses a different part")]

use webhook_verify::{FixedClock, Scheme, Signer, Verifier, VerifierBuilder};

/// A fixed "now" for frozen clocks.
pub const NOW: i64 = 1_700_000_000;

// RFC 8032 test key 1 as Standard Webhooks v1a keys (seed, then public key).
pub const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
pub const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

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
    /// The scheme signs the `webhook-id`.
    pub signs_id: bool,
}

pub const CASES: [Case; 7] = [
    Case {
        label: "hmac-sha256",
        scheme: Scheme::hmac_sha256,
        sign_secret: "your-webhook-secret",
        verify_secret: "your-webhook-secret",
        decoys: ["old-webhook-secret", "older-webhook-secret"],
        timestamped: false,
        signs_id: false,
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
    },
    Case {
        label: "stripe",
        scheme: Scheme::stripe,
        sign_secret: "whsec_test_secret",
        verify_secret: "whsec_test_secret",
        decoys: ["whsec_old_secret", "whsec_older_secret"],
        timestamped: true,
        signs_id: false,
    },
    Case {
        label: "github",
        scheme: Scheme::github,
        sign_secret: "It's a Secret to Everybody",
        verify_secret: "It's a Secret to Everybody",
        decoys: ["It's a secret to everybody", "old secret"],
        timestamped: false,
        signs_id: false,
    },
    Case {
        label: "slack",
        scheme: Scheme::slack,
        sign_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        verify_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        decoys: ["8f742231b10e8888abcd99yyyzzz85a6", "old"],
        timestamped: true,
        signs_id: false,
    },
    Case {
        label: "shopify",
        scheme: Scheme::shopify,
        sign_secret: "hush-shopify-client-secret",
        verify_secret: "hush-shopify-client-secret",
        decoys: ["old-client-secret", "older-client-secret"],
        timestamped: false,
        signs_id: false,
    },
];

impl Case {
    /// A builder for this scheme with a clock frozen at `now` (no secret yet).
    pub fn builder(&self, now: i64) -> VerifierBuilder {
        Verifier::builder((self.scheme)()).clock(FixedClock(now))
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
        Signer::new((self.scheme)(), self.sign_secret)
            .and_then(|s| s.sign(id, timestamp, body))
            .unwrap_or_else(|e| panic!("{}: {e}", self.label))
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
            other => unreachable!("{other}"),
        }
    }
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
