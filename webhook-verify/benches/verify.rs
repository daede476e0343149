//! Every scheme's verify against its own floor, the `webhook-verify` 0.1.0 crate from crates.io
//! (the closest Rust rival) and `svix`, side by side in one run.
//!
//! For each body size one criterion group, throughput in bytes. At 1 KiB and 64 KiB every
//! scheme is measured; at 256 B and 1 MiB only `hmac-sha256`, `standard` and `stripe`. For each
//! scheme `S`, one after the other:
//! - `floor-S`: the keyed MAC of exactly what `S` signs, with RustCrypto `hmac` + `sha2` (`sha1`
//!   for Twilio), keyed once, the keyed state cloned per iteration, the signed parts prepared
//!   beforehand: no headers, no parsing, no decoding, no comparison. GitLab signs nothing: its
//!   floor is the SHA-256 of the token, which its verify compares;
//! - `S`: this crate's `Verifier::verify` (`verify_request` for the URL-signed schemes) on a
//!   delivery signed by this crate's `Signer`, headers in an `http::HeaderMap`, clock = the system
//!   clock, as in a server;
//! - `rival-S`, with the feature `rival` only: `webhook_verify::verify` of the crates.io
//!   `webhook-verify` 0.1.0 (renamed `rival`, as its name is ours) on the same delivery and
//!   `http::HeaderMap`, for the schemes it has; its `VerifyOptions` are built per call, Twilio's
//!   form parameters parsed per call (its API takes them parsed), as a server would;
//! - `svix`: `svix::webhooks::Webhook::verify` on a Standard Webhooks delivery.
//!
//! Bodies: JSON-looking bytes; a JSON object for Linear and Mailgun (whose signers write into
//! it); form-encoded parameters for Twilio. Each delivery is signed right before its scheme is
//! measured, so every timestamp is well inside the tolerance, and is verified once before and
//! once after it is measured, so only the success path is timed.
//!
//! Run `cargo bench -p webhook-verify --bench verify` (no rival), or, with the rival, this same
//! file through the bench-only crate outside the workspace (a package named `webhook-verify`
//! cannot be a dependency inside it without making `-p webhook-verify` ambiguous):
//! `cargo bench --manifest-path webhook-verify-peer-bench/Cargo.toml --target-dir target`.
//! Then `python3 webhook-verify/benches/ratios.py` turns the results into the ratios the
//! section "webhook-verify: every scheme vs its floor" of BENCHMARKS.md reports.

// `feature = "rival"` is a feature of webhook-verify-peer-bench, not of this package.
#![allow(unexpected_cfgs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use webhook_verify::{PublicUrl, Request, Scheme, Signer, Verifier};

/// Standard Webhooks' reference secret; the key is its base64-decoded part.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Every other scheme keys with the secret's own bytes.
const SECRET: &str = "whsec_bench_secret_0123456789abcdef";
const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const TWILIO_URL: &str = "https://example.com/twilio/sms";
const SQUARE_URL: &str = "https://example.com/square/webhook";
const HUBSPOT_URL: &str = "https://example.com/hubspot/webhook?portalId=62515";

const SIZES: [(usize, &str); 4] = [
    (256, "256B"),
    (1024, "1KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

/// The schemes measured at every size; the others only at 1 KiB and 64 KiB.
const EVERY_SIZE: [&str; 3] = ["hmac-sha256", "standard", "stripe"];

/// A JSON-looking body of exactly `len` bytes (UTF-8, because svix refuses anything else).
fn body(len: usize) -> Vec<u8> {
    let unit = br#"{"type":"invoice.paid","data":{"id":"in_1Nv0aZ2eZvKYlo2C","amount":4200}},"#;
    unit.iter().copied().cycle().take(len).collect()
}

/// A JSON object that, once `signer` has written into it, is `len` bytes long.
fn json_body(len: usize, signer: &Signer) -> Vec<u8> {
    let make =
        |pad: usize| format!(r#"{{"data":"{}","type":"Issue"}}"#, "x".repeat(pad)).into_bytes();
    let signed_len = |b: &[u8]| {
        signer
            .sign_delivery(None, ID, now(), b)
            .expect("a JSON body signs")
            .body
            .len()
    };
    let overhead = signed_len(&make(0));
    make(len.saturating_sub(overhead))
}

/// Form-encoded parameters (Twilio's SMS webhook), exactly `len` bytes.
fn form_body(len: usize) -> Vec<u8> {
    let head = "AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B14155550100&To=%2B14155550199\
                &MessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0&Body=";
    let mut body = head.as_bytes().to_vec();
    body.resize(len.max(head.len()), b'a');
    body
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

fn header<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("signed header {name}"))
}

/// The value of `key=` in a `k=v<sep>k=v` header (Stripe's `t`, Paddle's `ts`).
fn item<'a>(value: &'a str, sep: char, key: &str) -> &'a str {
    value
        .split(sep)
        .find_map(|i| i.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("{key}= in {value}"))
}

/// One scheme: what it signs with.
struct Case {
    name: &'static str,
    secret: &'static str,
    request: Option<&'static str>,
}

const CASES: [Case; 17] = {
    const fn case(name: &'static str) -> Case {
        Case {
            name,
            secret: SECRET,
            request: None,
        }
    }
    [
        case("hmac-sha256"),
        Case {
            secret: STANDARD_SECRET,
            ..case("standard")
        },
        case("stripe"),
        case("github"),
        case("slack"),
        case("shopify"),
        case("zoom"),
        case("paddle"),
        case("twitch"),
        case("dropbox"),
        case("meta"),
        case("gitlab"),
        Case {
            request: Some(SQUARE_URL),
            ..case("square")
        },
        Case {
            request: Some(HUBSPOT_URL),
            ..case("hubspot")
        },
        Case {
            request: Some(TWILIO_URL),
            ..case("twilio")
        },
        case("linear"),
        case("mailgun"),
    ]
};

/// A signed delivery and what its floor hashes.
struct Delivery {
    headers: http::HeaderMap,
    body: Vec<u8>,
    /// The signed content, in the parts the scheme signs.
    parts: Vec<Vec<u8>>,
}

fn sign(case: &Case, len: usize) -> Delivery {
    let scheme: Scheme = case.name.parse().expect("a built-in scheme");
    let signer = Signer::new(scheme, case.secret).expect("signer");
    let body = match case.name {
        "linear" | "mailgun" => json_body(len, &signer),
        "twilio" => form_body(len),
        _ => body(len),
    };
    let request = case.request.map(Request::post);
    let signed = signer
        .sign_delivery(request.as_ref(), ID, now(), &body)
        .expect("signed delivery");
    let (pairs, body) = (signed.headers, signed.body);
    let b = |s: &str| s.as_bytes().to_vec();
    let parts = match case.name {
        "standard" => vec![
            b(header(&pairs, "webhook-id")),
            b("."),
            b(header(&pairs, "webhook-timestamp")),
            b("."),
            body.clone(),
        ],
        "stripe" => vec![
            b(item(header(&pairs, "Stripe-Signature"), ',', "t")),
            b("."),
            body.clone(),
        ],
        "slack" | "zoom" => {
            let ts = if case.name == "slack" {
                "X-Slack-Request-Timestamp"
            } else {
                "x-zm-request-timestamp"
            };
            vec![b("v0:"), b(header(&pairs, ts)), b(":"), body.clone()]
        }
        "paddle" => vec![
            b(item(header(&pairs, "Paddle-Signature"), ';', "ts")),
            b(":"),
            body.clone(),
        ],
        "twitch" => vec![
            b(header(&pairs, "Twitch-Eventsub-Message-Id")),
            b(header(&pairs, "Twitch-Eventsub-Message-Timestamp")),
            body.clone(),
        ],
        "gitlab" => vec![b(header(&pairs, "X-Gitlab-Token"))],
        "square" => vec![b(SQUARE_URL), body.clone()],
        "hubspot" => vec![
            b("POST"),
            b(HUBSPOT_URL),
            body.clone(),
            b(header(&pairs, "X-HubSpot-Request-Timestamp")),
        ],
        "twilio" => {
            let mut params: Vec<_> = form_urlencoded::parse(&body).collect();
            params.sort();
            std::iter::once(b(TWILIO_URL))
                .chain(params.iter().flat_map(|(n, v)| [b(n), b(v)]))
                .collect()
        }
        "mailgun" => {
            let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
            let signature = &json["signature"];
            let ts = match &signature["timestamp"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            vec![
                b(&ts),
                b(signature["token"].as_str().expect("mailgun token")),
            ]
        }
        // The body alone: hmac-sha256, github, shopify, dropbox, meta, linear.
        _ => vec![body.clone()],
    };
    Delivery {
        headers: header_map(&pairs),
        body,
        parts,
    }
}

/// The keyed MAC of exactly the signed content: the cost no verify can avoid.
fn floor<'a>(case: &Case, delivery: &'a Delivery) -> Box<dyn Fn() + 'a> {
    let parts = &delivery.parts;
    match case.name {
        "twilio" => {
            let keyed = Hmac::<Sha1>::new_from_slice(case.secret.as_bytes()).expect("any key");
            Box::new(move || {
                let mut mac = keyed.clone();
                for part in black_box(parts) {
                    mac.update(part);
                }
                black_box(mac.finalize().into_bytes());
            })
        }
        "gitlab" => Box::new(move || {
            black_box(Sha256::digest(black_box(&parts[0])));
        }),
        _ => {
            let key = match case.name {
                "standard" => BASE64
                    .decode(case.secret.trim_start_matches("whsec_"))
                    .expect("base64 secret"),
                _ => case.secret.as_bytes().to_vec(),
            };
            let keyed = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
            Box::new(move || {
                let mut mac = keyed.clone();
                for part in black_box(parts) {
                    mac.update(part);
                }
                black_box(mac.finalize().into_bytes());
            })
        }
    }
}

/// This crate's verify of the delivery, checked once before it is returned.
fn ours<'a>(case: &Case, delivery: &'a Delivery) -> Box<dyn Fn() + 'a> {
    let scheme: Scheme = case.name.parse().expect("a built-in scheme");
    // An explicit tolerance: Paddle's default (5 s) is shorter than the three measurements of
    // one scheme; the check costs the same whatever the tolerance.
    // The URL-signed schemes get their URL with each request, as measured.
    let verifier = Verifier::builder(scheme)
        .public_url(PublicUrl::PerRequest)
        .secret(case.secret)
        .tolerance(Duration::from_secs(300))
        .build()
        .expect("verifier");
    let request = case.request.map(Request::post);
    let (headers, body) = (&delivery.headers, delivery.body.as_slice());
    let check = move || {
        let verified = match &request {
            Some(r) => verifier.verify_request(black_box(r), black_box(headers), black_box(body)),
            None => verifier.verify(black_box(headers), black_box(body)),
        };
        verified.map(|v| v.secret_index)
    };
    check().expect("the delivery verifies");
    Box::new(move || {
        black_box(check()).expect("the delivery still verifies");
    })
}

/// `floor-S` then `S`, the delivery verified once more afterwards.
fn floor_and_ours(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case, delivery: &Delivery) {
    let floor = floor(case, delivery);
    group.bench_function(format!("floor-{}", case.name), |b| b.iter(&floor));
    let ours = ours(case, delivery);
    group.bench_function(case.name, |b| b.iter(&ours));
    ours();
}

/// The crates.io `webhook-verify` 0.1.0 on the same delivery, for the schemes it has.
#[cfg(feature = "rival")]
fn peer(group: &mut BenchmarkGroup<'_, WallTime>, case: &Case, delivery: &Delivery) {
    use rival::Provider as R;
    let provider = match case.name {
        "standard" => R::StandardWebhooks,
        "stripe" => R::Stripe,
        "github" => R::GitHub,
        "slack" => R::Slack,
        "shopify" => R::Shopify,
        "zoom" => R::Zoom,
        "dropbox" => R::Dropbox,
        "square" => R::Square,
        "twilio" => R::Twilio,
        "linear" => R::Linear,
        // No hmac-sha256 preset, paddle, twitch, meta, gitlab, hubspot or mailgun.
        _ => return,
    };
    let secret = rival::Secret::new(case.secret);
    let (headers, body) = (&delivery.headers, delivery.body.as_slice());
    let check = || {
        let options = rival::VerifyOptions::default();
        let options = match case.name {
            "twilio" => options
                .with_request_url(TWILIO_URL)
                .with_form_params(form_urlencoded::parse(black_box(body)).into_owned()),
            "square" => options.with_request_url(SQUARE_URL),
            _ => options,
        };
        rival::verify(
            provider,
            black_box(headers),
            black_box(body),
            &secret,
            options,
        )
    };
    check().expect("the rival verifies our delivery");
    group.bench_function(format!("rival-{}", case.name), |b| b.iter(check));
    check().expect("the rival still verifies our delivery");
}

fn verify(c: &mut Criterion) {
    for (len, label) in SIZES {
        let every = label == "1KiB" || label == "64KiB";
        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.throughput(Throughput::Bytes(len as u64));
        // Short runs of equal-length samples, to measure ~110 functions in a few minutes; on a
        // shared machine some samples run undisturbed, and `ratios.py` reports the fastest one
        // next to criterion's median.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));

        for case in CASES
            .iter()
            .filter(|c| every || EVERY_SIZE.contains(&c.name))
        {
            let delivery = sign(case, len);
            floor_and_ours(&mut group, case, &delivery);
            #[cfg(feature = "rival")]
            peer(&mut group, case, &delivery);
        }

        let webhook = svix::webhooks::Webhook::new(STANDARD_SECRET).expect("svix secret");
        let body = body(len);
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

/// `count SCHEME ours|floor N`: N verifies of SCHEME's 1 KiB delivery (or N of its floor), for
/// instruction counts: run under `valgrind --tool=callgrind` at two N and take the difference,
/// so that start-up and signing cancel.
fn count(name: &str, what: &str, n: usize) {
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("unknown scheme {name}"));
    let delivery = sign(case, 1024);
    let run = match what {
        "ours" => ours(case, &delivery),
        "floor" => floor(case, &delivery),
        other => panic!("unknown variant {other}: ours or floor"),
    };
    for _ in 0..n {
        run();
    }
}

criterion_group! {
    name = benches;
    // Fewer bootstrap resamples than the default 100 000: the run is long enough as it is.
    config = Criterion::default().nresamples(10_000);
    targets = verify
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, scheme, what, n, ..] = args.as_slice()
        && mode == "count"
    {
        count(scheme, what, n.parse().expect("a number of verifies"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
