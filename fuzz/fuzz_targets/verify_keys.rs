//! The key-pair and certificate schemes: arbitrary header names, values and bodies through
//! `verify` of `discord` (ed25519) and `sendgrid` (P-256) with their own key pairs, `paypal` and
//! `sns` with the test certificate given, and `standard` with `whpk_` (v1a, ed25519) keys, via
//! each `HeaderSource` implementation. Nothing may panic; the implementations must agree; an
//! error never shows a secret.
//!
//! JSON bodies built of SNS's keys and values reach its canonical string (every signed key,
//! `SignatureVersion`, `SigningCertURL`, RFC 3339 times), and `receive` runs the handshake rules
//! (Discord's PING, SNS's confirmations). Certificate parsing (`Certificate::from_pem`,
//! `from_der`) takes arbitrary text, arbitrary DER, and the test certificate with a bit flipped
//! or cut short.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run verify_keys -- -max_total_time=60`
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use webhook_verify::Scheme;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Parsed as a certificate first.
    cert: Option<common::CertInput<'a>>,
    scheme: u8,
    delivery: common::Delivery<'a>,
}

fuzz_target!(|input: Input<'_>| {
    if let Some(cert) = &input.cert {
        common::parse_certificate(cert);
    }
    let (scheme, sign_secret, verify_secret) = match input.scheme % 5 {
        0 => (
            Scheme::discord(),
            common::DISCORD_PRIVATE,
            common::DISCORD_PUBLIC,
        ),
        1 => (
            Scheme::sendgrid(),
            common::SENDGRID_PRIVATE,
            common::SENDGRID_PUBLIC,
        ),
        2 => (Scheme::paypal(), common::SECRET, common::SECRET),
        3 => (Scheme::sns(), common::SECRET, common::SECRET),
        _ => (Scheme::standard(), common::WHSK, common::WHPK),
    };
    common::run(scheme, sign_secret, verify_secret, &input.delivery);
});
