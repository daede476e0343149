//! `Verifier::verify` performs no heap allocation: proved under a counting global allocator.
//!
//! The allocator wraps `std::alloc::System` and counts every allocation and reallocation in
//! atomics (`stats_alloc`). Verifiers, headers and bodies are built before counting starts; only
//! the `verify` call itself is counted. The counter is process-wide, so the tests of this file
//! take turns (one lock) and a measurement that sees an allocation is repeated, a little later
//! each time: verification is deterministic, so an allocation made by `verify` shows up in every
//! attempt, while a stray one from another thread (the harness formatting a result or spawning the
//! next test's thread, which on a loaded machine can span several back-to-back attempts) does not
//! recur at the same moment twenty times over.

mod support;

use std::alloc::System;
use std::hint::black_box;
use std::sync::{Mutex, MutexGuard, PoisonError};

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use webhook_verify::{FixedClock, HeaderSource, Request, Scheme, Signer, Verifier, VerifyError};

/// The request the URL-signed schemes sign (the others ignore it).
const REQ: Request<'static> = Request {
    method: "POST",
    url: "https://hooks.example.com/in",
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Serializes the tests of this file so that they do not count each other's allocations.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

const NOW: i64 = 1_700_000_000;
const ATTEMPTS: u64 = 20;

/// Allocations plus reallocations made while `f` runs, the least over up to [`ATTEMPTS`]
/// attempts spread over a few hundred milliseconds; a count of zero ends the search at once.
fn allocations<T>(mut f: impl FnMut() -> T) -> usize {
    let mut least = usize::MAX;
    for attempt in 0..ATTEMPTS {
        let region = Region::new(GLOBAL);
        let out = f();
        let change = region.change();
        drop(black_box(out));
        least = least.min(change.allocations + change.reallocations);
        if least == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(attempt));
    }
    least
}

// RFC 8032 test key 1, as Standard Webhooks v1a keys.
const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// One scheme under test: its name, the secret that signs, the key that verifies it, and decoys
/// (other secrets configured before it, as during a rotation).
struct Case {
    label: &'static str,
    scheme: fn() -> Scheme,
    sign_secret: &'static str,
    verify_secret: &'static str,
    decoys: [&'static str; 2],
}

const CASES: [Case; 17] = [
    Case {
        label: "hmac-sha256",
        scheme: Scheme::hmac_sha256,
        sign_secret: "your-webhook-secret",
        verify_secret: "your-webhook-secret",
        decoys: ["old-secret", "older-secret"],
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
    },
    Case {
        label: "standard v1a",
        scheme: Scheme::standard,
        sign_secret: WHSK,
        verify_secret: WHPK,
        // One symmetric and one public decoy: both key kinds are tried.
        decoys: [
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "whpk_O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=",
        ],
    },
    Case {
        label: "stripe",
        scheme: Scheme::stripe,
        sign_secret: "whsec_test_secret",
        verify_secret: "whsec_test_secret",
        decoys: ["whsec_old", "whsec_older"],
    },
    Case {
        label: "github",
        scheme: Scheme::github,
        sign_secret: "It's a Secret to Everybody",
        verify_secret: "It's a Secret to Everybody",
        decoys: ["old", "older"],
    },
    Case {
        label: "slack",
        scheme: Scheme::slack,
        sign_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        verify_secret: "8f742231b10e8888abcd99yyyzzz85a5",
        decoys: ["old", "older"],
    },
    Case {
        label: "shopify",
        scheme: Scheme::shopify,
        sign_secret: "hush",
        verify_secret: "hush",
        decoys: ["old", "older"],
    },
    Case {
        label: "zoom",
        scheme: Scheme::zoom,
        sign_secret: "zoom-token",
        verify_secret: "zoom-token",
        decoys: ["old", "older"],
    },
    Case {
        label: "paddle",
        scheme: Scheme::paddle,
        sign_secret: "pdl_ntfset_1",
        verify_secret: "pdl_ntfset_1",
        decoys: ["old", "older"],
    },
    Case {
        label: "twitch",
        scheme: Scheme::twitch,
        sign_secret: "twitch-secret",
        verify_secret: "twitch-secret",
        decoys: ["old", "older"],
    },
    Case {
        label: "dropbox",
        scheme: Scheme::dropbox,
        sign_secret: "dropbox-secret",
        verify_secret: "dropbox-secret",
        decoys: ["old", "older"],
    },
    Case {
        label: "meta",
        scheme: Scheme::meta,
        sign_secret: "meta-secret",
        verify_secret: "meta-secret",
        decoys: ["old", "older"],
    },
    Case {
        label: "gitlab",
        scheme: Scheme::gitlab,
        sign_secret: "glwt-token",
        verify_secret: "glwt-token",
        decoys: ["old", "older"],
    },
    Case {
        label: "square",
        scheme: Scheme::square,
        sign_secret: "square-key",
        verify_secret: "square-key",
        decoys: ["old", "older"],
    },
    Case {
        label: "hubspot",
        scheme: Scheme::hubspot,
        sign_secret: "hubspot-secret",
        verify_secret: "hubspot-secret",
        decoys: ["old", "older"],
    },
    Case {
        label: "discord",
        scheme: Scheme::discord,
        sign_secret: support::DISCORD_PRIVATE,
        verify_secret: support::DISCORD_PUBLIC,
        decoys: support::DISCORD_DECOYS,
    },
    Case {
        label: "sendgrid",
        scheme: Scheme::sendgrid,
        sign_secret: support::SENDGRID_PRIVATE,
        verify_secret: support::SENDGRID_PUBLIC,
        decoys: support::SENDGRID_DECOYS,
    },
];

const BODY_SIZES: [usize; 5] = [0, 1, 300, 4096, 65_536];

fn body(len: usize) -> Vec<u8> {
    // Not UTF-8 from the first byte on: the MAC runs over raw bytes.
    (0..len)
        .map(|i| u8::try_from((i * 131 + 0xff) % 256).unwrap_or(0))
        .collect()
}

impl Case {
    /// Verifiers with one secret, and with two decoys configured before the real one.
    fn verifiers(&self) -> [Verifier; 2] {
        let build = |secrets: &[&str]| {
            Verifier::builder((self.scheme)())
                .public_url(webhook_verify::PublicUrl::PerRequest)
                .secrets(secrets.iter().copied())
                .clock(FixedClock(NOW))
                .build()
                .unwrap_or_else(|e| panic!("{}: {e}", self.label))
        };
        [
            build(&[self.verify_secret]),
            build(&[self.decoys[0], self.decoys[1], self.verify_secret]),
        ]
    }

    fn sign(&self, body: &[u8]) -> Vec<(String, String)> {
        Signer::new((self.scheme)(), self.sign_secret)
            .and_then(|s| s.sign_delivery(Some(&REQ), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", NOW, body))
            .map(|signed| signed.headers)
            .unwrap_or_else(|e| panic!("{}: {e}", self.label))
    }
}

fn header_map(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    map.append(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    map
}

/// The headers with one character of the signature changed: still well formed, now wrong.
fn forged(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let mut value = value.clone();
            let signature =
                lower.contains("signature") || lower.contains("hmac") || lower.contains("token");
            // Discord's and SendGrid's timestamp headers have "signature" in their names.
            if signature && !lower.contains("timestamp") {
                // Ten characters before the end (padding aside) lies inside the last signature of
                // every scheme, away from base64's final character and its unused bits.
                let at = value.trim_end_matches('=').len() - 10;
                let new = if value.as_bytes()[at] == b'0' {
                    "1"
                } else {
                    "0"
                };
                value.replace_range(at..=at, new);
            }
            (name.clone(), value)
        })
        .collect()
}

fn assert_no_alloc<H: HeaderSource + ?Sized>(
    what: &str,
    verifier: &Verifier,
    headers: &H,
    body: &[u8],
    expect: Result<usize, VerifyError>,
) {
    // Outside the counted region: the outcome is the one expected, so the path measured is the
    // success (or failure) path it claims to be.
    let outcome = verifier
        .verify_request(&REQ, headers, body)
        .map(|v| v.secret_index);
    assert_eq!(outcome, expect, "{what}");
    let count = allocations(|| verifier.verify_request(&REQ, black_box(headers), black_box(body)));
    assert_eq!(count, 0, "{what}: verify allocated {count} times");
}

fn check_scheme(case: &Case, tamper: bool) {
    for len in BODY_SIZES {
        let body = body(len);
        let mut pairs = case.sign(&body);
        pairs.push(("Content-Type".to_owned(), "application/json".to_owned()));
        if tamper {
            pairs = forged(&pairs);
        }
        let map = header_map(&pairs);
        let slice: &[(String, String)] = &pairs;
        let borrowed: Vec<(&str, &[u8])> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_bytes()))
            .collect();
        for (verifier, index) in case.verifiers().iter().zip([0, 2]) {
            let expect = if tamper {
                Err(VerifyError::NoMatchingSignature)
            } else {
                Ok(index)
            };
            let what = |source: &str| {
                format!(
                    "{} via {source}, {len}-byte body, secret #{index}",
                    case.label
                )
            };
            assert_no_alloc(&what("HeaderMap"), verifier, &map, &body, expect.clone());
            assert_no_alloc(
                &what("&[(String, String)]"),
                verifier,
                slice,
                &body,
                expect.clone(),
            );
            assert_no_alloc(
                &what("Vec<(&str, &[u8])>"),
                verifier,
                &borrowed,
                &body,
                expect,
            );
        }
    }
}

#[test]
fn the_counter_sees_allocations() {
    let _turn = turn();
    // Without this, a zero count could mean the allocator is not installed.
    assert!(allocations(|| Vec::<u8>::with_capacity(black_box(64))) >= 1);
    assert_eq!(allocations(|| black_box(3) + 4), 0);
}

#[test]
fn the_counter_sees_an_allocation_made_inside_verify() {
    let _turn = turn();
    // A custom scheme whose header name is an owned `String`: its missing-header error clones the
    // name, one allocation, which the measurement must see (built-in names are `&'static str`).
    let owned_name = String::from("X-Custom-Signature");
    let scheme = Scheme::custom(webhook_verify::HmacSha256::new().header(owned_name));
    let verifier = Verifier::new(scheme, "secret").unwrap();
    let none: [(&str, &str); 0] = [];
    assert!(matches!(
        verifier.verify_request(&REQ, &none, b"{}"),
        Err(VerifyError::MissingHeader { .. })
    ));
    assert_eq!(
        allocations(|| verifier.verify_request(&REQ, &none, b"{}")),
        1
    );
}

#[test]
fn verify_success_allocates_nothing_hmac_sha256() {
    let _turn = turn();
    check_scheme(&CASES[0], false);
}

#[test]
fn verify_success_allocates_nothing_standard_v1() {
    let _turn = turn();
    check_scheme(&CASES[1], false);
}

#[test]
fn verify_success_allocates_nothing_standard_v1a_ed25519() {
    let _turn = turn();
    check_scheme(&CASES[2], false);
}

#[test]
fn verify_success_allocates_nothing_stripe() {
    let _turn = turn();
    check_scheme(&CASES[3], false);
}

#[test]
fn verify_success_allocates_nothing_github() {
    let _turn = turn();
    check_scheme(&CASES[4], false);
}

#[test]
fn verify_success_allocates_nothing_slack() {
    let _turn = turn();
    check_scheme(&CASES[5], false);
}

#[test]
fn verify_success_allocates_nothing_shopify() {
    let _turn = turn();
    check_scheme(&CASES[6], false);
}

#[test]
fn verify_success_allocates_nothing_zoom() {
    let _turn = turn();
    check_scheme(&CASES[7], false);
}

#[test]
fn verify_success_allocates_nothing_paddle() {
    let _turn = turn();
    check_scheme(&CASES[8], false);
}

#[test]
fn verify_success_allocates_nothing_twitch() {
    let _turn = turn();
    check_scheme(&CASES[9], false);
}

#[test]
fn verify_success_allocates_nothing_dropbox() {
    let _turn = turn();
    check_scheme(&CASES[10], false);
}

#[test]
fn verify_success_allocates_nothing_meta() {
    let _turn = turn();
    check_scheme(&CASES[11], false);
}

#[test]
fn verify_success_allocates_nothing_gitlab() {
    let _turn = turn();
    check_scheme(&CASES[12], false);
}

#[test]
fn verify_success_allocates_nothing_square() {
    let _turn = turn();
    check_scheme(&CASES[13], false);
}

#[test]
fn verify_success_allocates_nothing_hubspot() {
    let _turn = turn();
    check_scheme(&CASES[14], false);
}

#[test]
fn verify_success_allocates_nothing_discord_ed25519() {
    let _turn = turn();
    check_scheme(&CASES[15], false);
}

#[test]
fn verify_success_allocates_nothing_sendgrid_p256() {
    let _turn = turn();
    check_scheme(&CASES[16], false);
}

#[test]
fn wrong_signature_allocates_nothing_for_every_scheme() {
    let _turn = turn();
    for case in &CASES {
        check_scheme(case, true);
    }
}

#[test]
fn other_refusals_allocate_nothing() {
    let _turn = turn();
    let body = body(512);
    for case in &CASES {
        let [verifier, _] = case.verifiers();
        let pairs = case.sign(&body);

        // No headers at all: a missing-header error naming a static header.
        let none: [(&str, &str); 0] = [];
        let count = allocations(|| verifier.verify_request(&REQ, &none, &body));
        assert_eq!(count, 0, "{}: missing header allocated", case.label);

        // Every header present twice with different values: ambiguous.
        let mut doubled = pairs.clone();
        doubled.extend(
            pairs
                .iter()
                .map(|(n, v)| (n.to_uppercase(), format!("{v}x"))),
        );
        assert!(
            verifier.verify_request(&REQ, &doubled, &body).is_err(),
            "{}",
            case.label
        );
        let count = allocations(|| verifier.verify_request(&REQ, &doubled, &body));
        assert_eq!(count, 0, "{}: ambiguous header allocated", case.label);

        // Garbage in every header: malformed or badly encoded.
        let garbage: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, _)| (n.clone(), "t=.,v1=zz,v1a,@@ sha256=".to_owned()))
            .collect();
        assert!(
            verifier.verify_request(&REQ, &garbage, &body).is_err(),
            "{}",
            case.label
        );
        let count = allocations(|| verifier.verify_request(&REQ, &garbage, &body));
        assert_eq!(count, 0, "{}: malformed header allocated", case.label);
    }
}

#[test]
fn stale_timestamp_allocates_nothing() {
    let _turn = turn();
    let body = body(64);
    let timestamped = [
        "standard v1",
        "standard v1a",
        "stripe",
        "slack",
        "zoom",
        "paddle",
        "twitch",
        "hubspot",
        "discord",
        "sendgrid",
    ];
    for case in CASES.iter().filter(|c| timestamped.contains(&c.label)) {
        let stale = Verifier::builder((case.scheme)())
            .public_url(webhook_verify::PublicUrl::PerRequest)
            .secret(case.verify_secret)
            .clock(FixedClock(NOW + 100_000))
            .build()
            .unwrap();
        let pairs = case.sign(&body);
        let map = header_map(&pairs);
        assert!(matches!(
            stale.verify_request(&REQ, &map, &body),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
        let count = allocations(|| stale.verify_request(&REQ, &map, &body));
        assert_eq!(count, 0, "{}: stale timestamp allocated", case.label);
    }
}

/// Allocations, reallocations and bytes allocated while `f` runs once (not retried: callers
/// compare the figures with generous bounds that a stray allocation cannot reach).
fn allocated<T>(f: impl FnOnce() -> T) -> (usize, usize) {
    let region = Region::new(GLOBAL);
    let out = f();
    let change = region.change();
    drop(black_box(out));
    (
        change.allocations + change.reallocations,
        change.bytes_allocated + change.bytes_reallocated.max(0).unsigned_abs(),
    )
}

/// The body a scheme whose signer writes into the body (Linear, Mailgun) signs: a JSON object of
/// about `len` bytes, and its signed headers.
fn signed_json(
    scheme: fn() -> Scheme,
    secret: &str,
    len: usize,
) -> (Vec<(String, String)>, Vec<u8>) {
    let body = format!(r#"{{"data":"{}","type":"Issue"}}"#, "x".repeat(len)).into_bytes();
    let signed = Signer::new(scheme(), secret)
        .and_then(|s| s.sign_delivery(Some(&REQ), "msg_1", NOW, &body))
        .unwrap();
    (signed.headers, signed.body)
}

#[test]
fn verify_success_allocates_nothing_linear() {
    let _turn = turn();
    // Linear signs in a header; its timestamp is read from the JSON body without allocating.
    for len in [0, 300, 4096, 65_536] {
        let (pairs, body) = signed_json(Scheme::linear, "lin_wh_secret", len);
        let verifier = Verifier::builder(Scheme::linear())
            .secrets(["old", "lin_wh_secret"])
            .clock(FixedClock(NOW))
            .build()
            .unwrap();
        let map = header_map(&pairs);
        assert_no_alloc(
            &format!("linear, {len}-byte body"),
            &verifier,
            &map,
            &body,
            Ok(1),
        );
        let slice: &[(String, String)] = &pairs;
        assert_no_alloc(
            &format!("linear, {len}-byte body, pairs"),
            &verifier,
            slice,
            &body,
            Ok(1),
        );
        let forged = forged(&pairs);
        assert_no_alloc(
            &format!("linear, {len}-byte body, forged"),
            &verifier,
            &header_map(&forged),
            &body,
            Err(VerifyError::NoMatchingSignature),
        );
    }
}

/// What a verify of a body-parsing scheme may allocate: bounded by the body, so by the limit.
fn assert_bounded(what: &str, verifier: &Verifier, map: &http::HeaderMap, body: &[u8]) {
    assert_eq!(
        verifier
            .verify_request(&REQ, map, body)
            .map(|v| v.secret_index),
        Ok(0),
        "{what}"
    );
    let (count, bytes) =
        allocated(|| verifier.verify_request(&REQ, black_box(map), black_box(body)));
    // Twilio: the parameters' list (48 bytes a pair, grown by doubling), their %-decoded copies
    // and the parts' list; Mailgun: the token, the signature and the event name. 64 bytes per
    // body byte and 4 KiB besides cover both with room.
    let bound = 64 * body.len() + 4096;
    assert!(
        bytes <= bound,
        "{what}: {bytes} bytes allocated, bound {bound}"
    );
    assert!(count <= body.len() + 16, "{what}: {count} allocations");
}

#[test]
fn twilio_and_mailgun_allocate_within_a_bound_of_the_body() {
    let _turn = turn();
    let limit = 64 * 1024;
    for len in [0, 300, 4096, 60_000] {
        // Twilio: form parameters, many short ones (the most allocations per byte).
        let form: String = (0..len / 10)
            .map(|i| format!("K{:03}=v%2B&", i % 1000))
            .collect();
        let twilio = Verifier::builder(Scheme::twilio())
            .public_url(webhook_verify::PublicUrl::PerRequest)
            .secret("twilio-auth-token")
            .body_limit(limit)
            .build()
            .unwrap();
        let signed = Signer::new(Scheme::twilio(), "twilio-auth-token")
            .and_then(|s| s.sign_delivery(Some(&REQ), "", NOW, form.as_bytes()))
            .unwrap();
        assert_bounded(
            &format!("twilio, {}-byte form", form.len()),
            &twilio,
            &header_map(&signed.headers),
            form.as_bytes(),
        );

        let (pairs, body) = signed_json(Scheme::mailgun, "mailgun-key", len);
        let mailgun = Verifier::builder(Scheme::mailgun())
            .secret("mailgun-key")
            .clock(FixedClock(NOW))
            .body_limit(limit)
            .build()
            .unwrap();
        assert_bounded(
            &format!("mailgun, {len}-byte body"),
            &mailgun,
            &header_map(&pairs),
            &body,
        );
    }
    // Past the limit both are refused before anything is parsed, without allocating.
    let big = vec![b'a'; limit + 1];
    for scheme in [Scheme::twilio(), Scheme::mailgun()] {
        let verifier = Verifier::builder(scheme)
            .public_url(webhook_verify::PublicUrl::PerRequest)
            .secret("key")
            .body_limit(limit)
            .build()
            .unwrap();
        let none: [(&str, &str); 0] = [];
        assert!(matches!(
            verifier.verify_request(&REQ, &none, &big),
            Err(VerifyError::BodyTooLarge { .. })
        ));
        assert_eq!(
            allocations(|| verifier.verify_request(&REQ, &none, &big)),
            0
        );
    }
}
