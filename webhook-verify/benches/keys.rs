//! The key-pair and certificate schemes against their bare primitive, side by side in one
//! criterion group (`keys/1KiB`, throughput in bytes), a 1 KiB body. For each scheme `S`:
//! - `primitive-S`: the cryptographic verify alone, with the same crate the scheme uses, the key
//!   parsed once and the signed message and the decoded signature built once outside the timed
//!   loop: `discord` ed25519-dalek's `Verifier::verify` over `{timestamp}{body}`; `sendgrid`
//!   p256's ECDSA `Verifier::verify` of the DER signature over `{timestamp}{body}`; `paypal`
//!   rsa's PKCS#1 v1.5 SHA-256 `VerifyingKey::verify` over `{id}|{time}|{webhook id}|{crc32}`;
//!   `sns` the same over the canonical string of the message;
//! - `S`: this crate's `Verifier::verify` of a delivery signed by this crate's `Signer` (headers
//!   in an `http::HeaderMap`, system clock, `paypal` and `sns` with the test certificate as a
//!   `GivenCertificate`): header lookup, decoding, parsing (SNS's JSON body, RFC 3339 times),
//!   the signed content built per call, then the same verify.
//!
//! Every delivery is verified before and after it is measured.
//!
//! Run: `cargo bench -p webhook-verify --bench keys -- --warm-up-time 1 --measurement-time 3`
//! (the section "webhook-verify: key-pair and certificate schemes vs their primitive" of
//! BENCHMARKS.md reports the ratios).

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use p256::pkcs8::DecodePublicKey as _;
use webhook_verify::{GivenCertificate, Scheme, Signer, TEST_CERTIFICATE_PEM, Verifier};
use x509_cert::der::{DecodePem as _, Encode as _};

const LEN: usize = 1024;
const ID: &str = "8e0d1c90-8f32-11ee-b9d1-0242ac120002";

/// RFC 8032 test key 1: seed and public key, and the public key.
const DISCORD_PRIVATE: &str = concat!(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
);
const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// A P-256 test key pair (PKCS#8 and SubjectPublicKeyInfo, base64 DER), for tests only.
const SENDGRID_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5oYiYKfMYuHwzD0QW/TocNDaNQCzVz7W4hPH6UbFsXKhRANCAARnxu9SFS3Q3lSOzwOGM6TluRQehoNsMd47tsnU1Ocd/2cfoA8JxFhDQtEU5Mv2hr8S7R+BpReCZi80M/hAcsRZ";
const SENDGRID_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ8bvUhUt0N5Ujs8DhjOk5bkUHoaDbDHeO7bJ1NTnHf9nH6APCcRYQ0LRFOTL9oa/Eu0fgaUXgmYvNDP4QHLEWQ==";
const PAYPAL_WEBHOOK: &str = "1JE4291016473214C";
const SNS_TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";

/// A JSON-looking body of exactly `len` bytes.
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
    map
}

fn header<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("signed header {name}"))
}

/// The test certificate's key, as the primitive's PKCS#1 v1.5 SHA-256 verifying key.
fn rsa_key() -> rsa::pkcs1v15::VerifyingKey<sha2::Sha256> {
    let cert = x509_cert::Certificate::from_pem(TEST_CERTIFICATE_PEM).expect("test certificate");
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .expect("its public key encodes");
    rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::from_public_key_der(&spki).expect("an RSA key")
}

/// A signed delivery: its headers and body.
struct Delivery {
    pairs: Vec<(String, String)>,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

fn sign(scheme: &Scheme, secret: &str) -> Delivery {
    let signed = Signer::new(scheme.clone(), secret)
        .expect("signer")
        .sign_delivery(None, ID, now(), &body(LEN))
        .expect("signed delivery");
    Delivery {
        headers: header_map(&signed.headers),
        pairs: signed.headers,
        body: signed.body,
    }
}

/// This crate's verifier for `scheme`, a certificate given for `paypal` and `sns`.
fn verifier(scheme: Scheme, secret: &str) -> Verifier {
    let mut builder = Verifier::builder(scheme.clone())
        .secret(secret)
        .tolerance(Duration::from_secs(300));
    if scheme.uses_certificates() {
        builder = builder
            .certificates(GivenCertificate::from_pem(TEST_CERTIFICATE_PEM).expect("test cert"));
    }
    builder.build().expect("verifier")
}

/// The bare primitive's verify of `delivery`, its inputs built here, once.
fn primitive(name: &str, delivery: &Delivery) -> Box<dyn Fn() -> bool> {
    use rsa::signature::Verifier as _;
    let pairs = &delivery.pairs;
    let body = &delivery.body;
    match name {
        "discord" => {
            let mut public = [0u8; 32];
            hex::decode_to_slice(DISCORD_PUBLIC, &mut public).expect("hex key");
            let key = ed25519_dalek::VerifyingKey::from_bytes(&public).expect("ed25519 key");
            let signature = hex::decode(header(pairs, "X-Signature-Ed25519")).expect("hex");
            let signature = ed25519_dalek::Signature::from_slice(&signature).expect("64 bytes");
            let message = [header(pairs, "X-Signature-Timestamp").as_bytes(), body].concat();
            Box::new(move || {
                ed25519_dalek::Verifier::verify(&key, black_box(&message), black_box(&signature))
                    .is_ok()
            })
        }
        "sendgrid" => {
            let der = BASE64.decode(SENDGRID_PUBLIC).expect("base64 key");
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&der).expect("P-256 key");
            let signature = BASE64
                .decode(header(pairs, "X-Twilio-Email-Event-Webhook-Signature"))
                .expect("base64 signature");
            let signature = p256::ecdsa::Signature::from_der(&signature).expect("DER signature");
            let ts = header(pairs, "X-Twilio-Email-Event-Webhook-Timestamp");
            let message = [ts.as_bytes(), body].concat();
            Box::new(move || {
                p256::ecdsa::signature::Verifier::verify(
                    &key,
                    black_box(&message),
                    black_box(&signature),
                )
                .is_ok()
            })
        }
        "paypal" => {
            let key = rsa_key();
            let signature = BASE64
                .decode(header(pairs, "PAYPAL-TRANSMISSION-SIG"))
                .expect("base64 signature");
            let signature =
                rsa::pkcs1v15::Signature::try_from(signature.as_slice()).expect("RSA signature");
            let message = format!(
                "{}|{}|{PAYPAL_WEBHOOK}|{}",
                header(pairs, "PAYPAL-TRANSMISSION-ID"),
                header(pairs, "PAYPAL-TRANSMISSION-TIME"),
                crc32fast::hash(body)
            )
            .into_bytes();
            Box::new(move || {
                key.verify(black_box(&message), black_box(&signature))
                    .is_ok()
            })
        }
        "sns" => {
            let key = rsa_key();
            let json: serde_json::Value = serde_json::from_slice(body).expect("SNS message");
            let text = |k: &str| json[k].as_str().expect("a string").to_owned();
            let signature = BASE64.decode(text("Signature")).expect("base64 signature");
            let signature =
                rsa::pkcs1v15::Signature::try_from(signature.as_slice()).expect("RSA signature");
            // A Notification's signed keys, in order: Message, MessageId, Timestamp, TopicArn,
            // Type.
            let mut message = String::new();
            for key in ["Message", "MessageId", "Timestamp", "TopicArn", "Type"] {
                message.push_str(&format!("{key}\n{}\n", text(key)));
            }
            let message = message.into_bytes();
            Box::new(move || {
                key.verify(black_box(&message), black_box(&signature))
                    .is_ok()
            })
        }
        other => panic!("no primitive for {other}"),
    }
}

fn keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys/1KiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    let cases = [
        (Scheme::discord(), DISCORD_PRIVATE, DISCORD_PUBLIC),
        (Scheme::sendgrid(), SENDGRID_PRIVATE, SENDGRID_PUBLIC),
        (Scheme::paypal(), PAYPAL_WEBHOOK, PAYPAL_WEBHOOK),
        (Scheme::sns(), SNS_TOPIC, SNS_TOPIC),
    ];
    for (scheme, sign_secret, verify_secret) in cases {
        let name = scheme.name();
        let delivery = sign(&scheme, sign_secret);
        let bare = primitive(name, &delivery);
        assert!(bare(), "{name}: the primitive verifies the delivery");
        group.bench_function(format!("primitive-{name}"), |b| b.iter(&bare));

        let verifier = verifier(scheme, verify_secret);
        let (headers, body) = (&delivery.headers, delivery.body.as_slice());
        let ours = || {
            verifier
                .verify(black_box(headers), black_box(body))
                .map(|v| v.secret_index)
        };
        ours().expect("the delivery verifies");
        group.bench_function(name, |b| b.iter(ours));
        ours().expect("the delivery still verifies");
    }
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
