//! Any single-bit flip of what is signed or of the signature is refused, for every scheme.
//!
//! The only flips that may still verify are the ones the schemes define as equivalent: the ASCII
//! case of a hex digit (`a`-`f`), and of the letters of the case-insensitive `sha256=` prefix
//! (`hmac-sha256`, `github`). The tests name those positions and require them to verify, so the
//! exception cannot hide a real acceptance.

mod support;

use support::{CASES, Case, NOW, Rng};
use webhook_verify::{Verifier, VerifyError};

/// The delivery's headers with byte values, signed over `body`.
fn signed(case: &Case, id: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    support::raw(&case.sign(id, NOW, body))
}

/// A verifier that accepts any timestamp, so that only the signature decides.
fn any_time(case: &Case) -> Verifier {
    case.builder(NOW)
        .allow_any_timestamp()
        .secret(case.verify_secret)
        .build()
        .unwrap()
}

fn flipped(value: &[u8], byte: usize, bit: u8) -> Vec<u8> {
    let mut out = value.to_vec();
    out[byte] ^= 1 << bit;
    out
}

#[test]
fn any_single_bit_flip_of_the_body_is_refused() {
    let mut rng = Rng::new(0x7A3F_0001);
    // GitLab signs nothing: its token authenticates the sender, not the body.
    for case in CASES.iter().filter(|c| c.label != "gitlab") {
        let body = rng.bytes(48);
        let headers = signed(case, "msg_body", &body);
        let verifier = any_time(case);
        assert!(
            verifier
                .verify_request(&support::REQ, &headers, &body)
                .is_ok(),
            "{}",
            case.label
        );
        for byte in 0..body.len() {
            for bit in 0..8 {
                let err = verifier
                    .verify_request(&support::REQ, &headers, &flipped(&body, byte, bit))
                    .err();
                assert_eq!(
                    err,
                    Some(VerifyError::NoMatchingSignature),
                    "{}: body bit {bit} of byte {byte}",
                    case.label
                );
            }
        }
        // Longer or shorter by one byte, too.
        let mut longer = body.clone();
        longer.push(0);
        assert!(
            verifier
                .verify_request(&support::REQ, &headers, &longer)
                .is_err(),
            "{}",
            case.label
        );
        assert!(
            verifier
                .verify_request(&support::REQ, &headers, &body[1..])
                .is_err(),
            "{}",
            case.label
        );
    }
}

/// Flips every bit of the value of header `name` and checks the verdict.
fn flip_every_bit_of(case: &Case, name: &str, may_verify: impl Fn(&[u8], usize) -> bool) {
    let body = b"{\"amount\":4200}";
    let headers = signed(case, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", body);
    let verifier = any_time(case);
    assert!(
        verifier
            .verify_request(&support::REQ, &headers, body)
            .is_ok(),
        "{}",
        case.label
    );
    let at = headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("{}: no header {name}", case.label));
    let value = headers[at].1.clone();
    for byte in 0..value.len() {
        for bit in 0..8 {
            let mut tampered = headers.clone();
            tampered[at].1 = flipped(&value, byte, bit);
            let result = verifier.verify_request(&support::REQ, &tampered, body);
            let equivalent = bit == 5 && may_verify(&value, byte);
            assert_eq!(
                result.is_ok(),
                equivalent,
                "{}: {name} bit {bit} of byte {byte} ({:?} -> {:?}): {result:?}",
                case.label,
                char::from(value[byte]),
                char::from(tampered[at].1[byte]),
            );
            if let Err(err) = result {
                assert!(err.is_request_error(), "{}: {err}", case.label);
            }
        }
    }
}

fn never(_: &[u8], _: usize) -> bool {
    false
}

/// Positions of hex letters after `from`: their case does not matter.
fn hex_letter_after(from: usize) -> impl Fn(&[u8], usize) -> bool {
    move |value, i| i >= from && matches!(value[i], b'a'..=b'f' | b'A'..=b'F')
}

#[test]
fn any_single_bit_flip_of_the_signature_is_refused() {
    for case in &CASES {
        let header = case.signature_header();
        match case.label {
            // `sha256=` (case-insensitive) then hex.
            "hmac-sha256" | "github" | "meta" => {
                flip_every_bit_of(case, header, |v, i| i < 3 || hex_letter_after(7)(v, i))
            }
            // `v0=` (case-sensitive) then hex.
            "slack" | "zoom" => flip_every_bit_of(case, header, hex_letter_after(3)),
            // `sha256=` (case-sensitive) then hex.
            "twitch" => flip_every_bit_of(case, header, hex_letter_after(7)),
            // `ts=<10 digits>;h1=` then hex.
            "paddle" => flip_every_bit_of(case, header, hex_letter_after(17)),
            // Bare hex.
            "dropbox" | "discord" => flip_every_bit_of(case, header, hex_letter_after(0)),
            // `t=<10 digits>,v1=` then hex: no flip of the timestamp may verify.
            "stripe" => flip_every_bit_of(case, header, hex_letter_after(16)),
            // `v1,` / `v1a,` then base64, or base64 alone: case-sensitive throughout.
            _ => flip_every_bit_of(case, header, never),
        }
    }
}

#[test]
fn any_single_bit_flip_of_the_webhook_id_is_refused() {
    for case in CASES.iter() {
        if let Some(header) = case.signed_id_header {
            flip_every_bit_of(case, header, never);
        }
    }
}

#[test]
fn any_single_bit_flip_of_the_timestamp_is_refused() {
    // Stripe's `t=` is inside `Stripe-Signature`, whose every bit the signature test flips.
    for case in CASES.iter().filter(|c| c.timestamped) {
        match case.label {
            "standard v1" | "standard v1a" => flip_every_bit_of(case, "webhook-timestamp", never),
            "slack" => flip_every_bit_of(case, "X-Slack-Request-Timestamp", never),
            "zoom" => flip_every_bit_of(case, "x-zm-request-timestamp", never),
            "twitch" => flip_every_bit_of(case, "Twitch-Eventsub-Message-Timestamp", never),
            "hubspot" => flip_every_bit_of(case, "X-HubSpot-Request-Timestamp", never),
            "discord" => flip_every_bit_of(case, "X-Signature-Timestamp", never),
            "sendgrid" => flip_every_bit_of(case, "X-Twilio-Email-Event-Webhook-Timestamp", never),
            "paypal" => flip_every_bit_of(case, "PAYPAL-TRANSMISSION-TIME", never),
            "stripe" | "paddle" => {}
            other => unreachable!("{other}"),
        }
    }
}

#[test]
fn a_flipped_timestamp_that_is_still_a_number_fails_on_the_signature() {
    // With the tolerance off, only the MAC can tell 1700000000 from 1700000001 (Twitch and
    // PayPal write RFC 3339, whose flips the test above covers).
    for case in CASES
        .iter()
        .filter(|c| c.timestamped && !["twitch", "paypal"].contains(&c.label))
    {
        let body = b"{}";
        let headers = case.sign("msg_ts", NOW, body);
        let verifier = any_time(case);
        let later = (NOW + 1).to_string();
        let tampered: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.clone(), v.replace(&NOW.to_string(), &later)))
            .collect();
        assert_ne!(tampered, headers, "{}", case.label);
        assert_eq!(
            verifier.verify_request(&support::REQ, &tampered, body),
            Err(VerifyError::NoMatchingSignature),
            "{}",
            case.label
        );
    }
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    for case in &CASES {
        let body = b"payload";
        let headers = case.sign("msg_other", NOW, body);
        for decoy in case.decoys {
            let verifier = case.builder(NOW).secret(decoy).build().unwrap();
            assert_eq!(
                verifier.verify_request(&support::REQ, &headers, body),
                Err(VerifyError::NoMatchingSignature),
                "{} with {decoy}",
                case.label
            );
        }
    }
}

#[test]
fn any_change_of_the_url_or_method_is_refused_for_the_url_signed_schemes() {
    use webhook_verify::Request;
    let body = b"{\"amount\":4200}";
    for case in CASES.iter().filter(|c| (c.scheme)().requires_url()) {
        let headers = case.sign("msg_url", NOW, body);
        let verifier = any_time(case);
        assert!(
            verifier
                .verify_request(&support::REQ, &headers, body)
                .is_ok()
        );
        let url = support::REQ.url;
        for at in 0..url.len() {
            for bit in 0..8 {
                let Ok(changed) = String::from_utf8(flipped(url.as_bytes(), at, bit)) else {
                    continue;
                };
                let result = verifier.verify_request(&Request::post(&changed), &headers, body);
                // HubSpot decodes `%3A`-style escapes; none is in this URL, and a single flip
                // cannot make one that decodes to the original character.
                assert_eq!(
                    result.map(|_| ()),
                    Err(VerifyError::NoMatchingSignature),
                    "{}: {changed}",
                    case.label
                );
            }
        }
        let no_url = verifier.verify(&headers, body).unwrap_err();
        assert!(!no_url.is_request_error(), "{}: {no_url}", case.label);
        if case.label == "hubspot" {
            let put = verifier.verify_request(&Request::new("PUT", url), &headers, body);
            assert_eq!(put.map(|_| ()), Err(VerifyError::NoMatchingSignature));
        }
    }
}
