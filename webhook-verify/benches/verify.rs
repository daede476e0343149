//! Verification cost against its floor and against the `svix` crate, side by side in one run.
//!
//! For each body size (256 B, 1 KiB, 64 KiB, 1 MiB) one criterion group, throughput in bytes:
//! - `floor`: HMAC-SHA256 of the body alone with RustCrypto `hmac` + `sha2`, keyed once (the
//!   keyed state is cloned per iteration), nothing else: no headers, no decoding, no comparison;
//! - `hmac-sha256`, `standard`, `stripe`: this crate's `Verifier::verify` on a signed delivery,
//!   headers in an `http::HeaderMap`, clock = the system clock, as in a server;
//! - `svix`: `svix::webhooks::Webhook::verify` on the same Standard Webhooks delivery.
//!
//! Deliveries are signed at the start of each group with the current time, so every timestamp is
//! well inside the 5-minute tolerance while the group runs; each one is verified once before it is
//! measured, so only the success path is timed.
//!
//! Run `cargo bench -p webhook-verify --bench verify`, then
//! `python3 webhook-verify/benches/ratios.py` turns the results into the ratios the
//! section "webhook-verify: verify vs the HMAC floor and svix" of BENCHMARKS.md reports.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use webhook_verify::{Scheme, Signer, Verifier};

/// Standard Webhooks' reference secret; the key is its base64-decoded part.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Stripe and plain HMAC key with the secret's own bytes.
const SECRET: &str = "whsec_bench_secret_0123456789abcdef";
const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";

const SIZES: [(usize, &str); 4] = [
    (256, "256B"),
    (1024, "1KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

/// A JSON-looking body of exactly `len` bytes (UTF-8, because svix refuses anything else).
fn body(len: usize) -> Vec<u8> {
    let unit = br#"{"type":"invoice.paid","data":{"id":"in_1Nv0aZ2eZvKYlo2C","amount":4200}},"#;
    unit.iter().copied().cycle().take(len).collect()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn header_map(pairs: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    map.append(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    map
}

/// This crate's verify of a delivery signed now, checked once, then measured.
fn ours(group: &mut BenchmarkGroup<'_, WallTime>, scheme: Scheme, secret: &str, body: &[u8]) {
    let name = scheme.name();
    let verifier = Verifier::new(scheme.clone(), secret).expect("verifier");
    let signed = Signer::new(scheme, secret)
        .and_then(|s| s.sign(ID, now(), body))
        .expect("signed delivery");
    let headers = header_map(&signed);
    verifier
        .verify(&headers, body)
        .expect("the delivery verifies");
    group.bench_function(name, |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(body)))
    });
}

fn verify(c: &mut Criterion) {
    for (len, label) in SIZES {
        let body = body(len);
        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.throughput(Throughput::Bytes(len as u64));
        // Many short samples of equal length: on a shared machine some of them run undisturbed,
        // and `ratios.py` reports the fastest sample next to criterion's median.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(if len >= 1024 * 1024 { 200 } else { 500 })
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(if len >= 64 * 1024 { 5 } else { 3 }));

        let keyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
        group.bench_function("floor", |b| {
            b.iter(|| {
                let mut mac = keyed.clone();
                mac.update(black_box(&body));
                mac.finalize().into_bytes()
            })
        });

        ours(&mut group, Scheme::hmac_sha256(), SECRET, &body);
        ours(&mut group, Scheme::standard(), STANDARD_SECRET, &body);
        ours(&mut group, Scheme::stripe(), SECRET, &body);

        let webhook = svix::webhooks::Webhook::new(STANDARD_SECRET).expect("svix secret");
        let signed = Signer::new(Scheme::standard(), STANDARD_SECRET)
            .and_then(|s| s.sign(ID, now(), &body))
            .expect("signed delivery");
        let headers = header_map(&signed);
        webhook
            .verify(&body, &headers)
            .expect("svix verifies our delivery");
        group.bench_function("svix", |b| {
            b.iter(|| webhook.verify(black_box(&body), black_box(&headers)))
        });

        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Fewer bootstrap resamples than the default 100 000: the samples are many.
    config = Criterion::default().nresamples(20_000);
    targets = verify
}
criterion_main!(benches);
