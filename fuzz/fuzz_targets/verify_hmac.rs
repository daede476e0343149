//! The HMAC and token schemes: arbitrary header names, values and bodies through `verify` of
//! every built-in scheme but the key-pair and certificate ones (those are `verify_keys`), and of
//! a custom body-HMAC scheme with a fuzzed header name, prefix and encoding, via each
//! `HeaderSource` implementation. Nothing may panic; the implementations must agree; an error
//! never shows a secret.
//!
//! Besides raw bytes, the inputs are built to reach the parsers behind the signatures: JSON
//! bodies (Mailgun's `signature` object, Linear's `webhookTimestamp`), form-encoded bodies and
//! URLs with ports, queries and `bodySHA256` (Twilio), percent-encoded URLs (HubSpot), and
//! Standard Webhooks signature lists of any versions and encodings. A signed delivery is
//! verified with the body its signer returned (Mailgun and Linear write into it), then maybe
//! tampered with; `receive` runs the handshake rules (Slack, Zoom, Twitch, Dropbox, Meta).
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run verify_hmac -- -max_total_time=60`
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use webhook_verify::{Encoding, HmacSha256, Scheme};

/// The schemes `verify_keys` fuzzes instead.
const KEY_SCHEMES: [&str; 4] = ["discord", "sendgrid", "paypal", "sns"];

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    scheme: u8,
    /// A body-HMAC scheme with a fuzzed header name and prefix, instead of a built-in one.
    custom: Option<(&'a str, Option<&'a str>, bool, bool)>,
    delivery: common::Delivery<'a>,
}

fn scheme(input: &Input<'_>) -> Scheme {
    if let Some((header, prefix, optional, base64)) = input.custom {
        let mut config = HmacSha256::new().header(header.to_owned());
        config = match (prefix, optional) {
            (None, _) => config.no_prefix(),
            (Some(p), false) => config.prefix(p.to_owned()),
            (Some(p), true) => config.optional_prefix(p.to_owned()),
        };
        if base64 {
            config = config.encoding(Encoding::Base64);
        }
        return Scheme::custom(config);
    }
    let names: Vec<&str> = Scheme::NAMES
        .iter()
        .copied()
        .filter(|name| !KEY_SCHEMES.contains(name))
        .collect();
    let name = names[usize::from(input.scheme) % names.len()];
    name.parse().unwrap_or_else(|_| Scheme::hmac_sha256())
}

fuzz_target!(|input: Input<'_>| {
    let scheme = scheme(&input);
    common::run(scheme, common::SECRET, common::SECRET, &input.delivery);
});
