//! What both fuzz targets share: the structured inputs (header edits, JSON, form and URL
//! builders, Standard Webhooks signature lists, certificate inputs) and [`run`], which signs or
//! builds a delivery, verifies it through every `HeaderSource` implementation and `receive`, and
//! checks that they agree and that no error shows a secret. Included by `verify_hmac.rs` and
//! `verify_keys.rs` with `#[path = "common.rs"] mod common;`.

// Each target uses part of it.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use webhook_verify::{
    Certificate, FixedClock, GivenCertificate, HeaderSource, PublicUrl, Rejection, Request,
    Scheme, Signer, TEST_CERTIFICATE_PEM, Verifier,
};

/// Every header name a built-in scheme reads, plus near misses.
pub const NAMES: [&str; 45] = [
    "X-Signature-Ed25519",
    "X-Signature-Timestamp",
    "X-Twilio-Email-Event-Webhook-Signature",
    "X-Twilio-Email-Event-Webhook-Timestamp",
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
    "x-amz-sns-message-type",
    "x-amz-sns-message-id",
    "x-zm-signature",
    "x-zm-request-timestamp",
    "Paddle-Signature",
    "Twitch-Eventsub-Message-Signature",
    "Twitch-Eventsub-Message-Id",
    "Twitch-Eventsub-Message-Timestamp",
    "Linear-Signature",
    "X-Dropbox-Signature",
    "X-Gitlab-Token",
    "X-Gitlab-Event",
    "X-Twilio-Signature",
    "x-square-hmacsha256-signature",
    "X-HubSpot-Signature-v3",
    "X-HubSpot-Request-Timestamp",
    "X-GitHub-Event",
    "X-Shopify-Topic",
    "Linear-Event",
    "Twitch-Eventsub-Subscription-Type",
    "X-Webhook-Signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "Stripe-Signature",
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "X-Shopify-Hmac-Sha256",
    "WEBHOOK-SIGNATURE",
    "content-type",
    "x-signature",
];

/// The secret that signs in "signed" mode; no error message may contain it.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
pub const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
/// Discord: RFC 8032 test key 1 (seed and public key), and its public key.
pub const DISCORD_PRIVATE: &str = concat!(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
);
pub const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// SendGrid: a P-256 key pair (PKCS#8 and SubjectPublicKeyInfo, base64 DER).
pub const SENDGRID_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5oYiYKfMYuHwzD0QW/TocNDaNQCzVz7W4hPH6UbFsXKhRANCAARnxu9SFS3Q3lSOzwOGM6TluRQehoNsMd47tsnU1Ocd/2cfoA8JxFhDQtEU5Mv2hr8S7R+BpReCZi80M/hAcsRZ";
pub const SENDGRID_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ8bvUhUt0N5Ujs8DhjOk5bkUHoaDbDHeO7bJ1NTnHf9nH6APCcRYQ0LRFOTL9oa/Eu0fgaUXgmYvNDP4QHLEWQ==";

#[derive(Arbitrary, Debug)]
pub enum Name<'a> {
    Known(u8),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
pub enum Edit<'a> {
    /// Adds a header.
    Add(Name<'a>, &'a [u8]),
    /// Replaces the value of the n-th header.
    Replace(u8, &'a [u8]),
    /// Flips one bit of the n-th header's value.
    Flip(u8, u16, u8),
    /// Removes the n-th header.
    Remove(u8),
    /// Changes the case of the n-th header's name.
    Upper(u8),
    /// Writes a Standard Webhooks signature list into the first `webhook-signature` (or
    /// `svix-signature`) header, before or instead of its entries, or adds one.
    Signatures {
        svix: bool,
        keep: Option<bool>,
        entries: Vec<(Version<'a>, Payload<'a>)>,
        separator: Separator,
    },
}

#[derive(Arbitrary, Debug)]
pub enum Version<'a> {
    V1,
    V1a,
    V2,
    Empty,
    Raw(&'a str),
    /// No `version,` at all.
    Missing,
}

#[derive(Arbitrary, Debug)]
pub enum Payload<'a> {
    /// Base64 of these bytes (32 for v1 and 64 for v1a have the right length).
    Base64(&'a [u8]),
    /// Base64 of 32 or 64 given bytes.
    Sized(bool, [u8; 32], [u8; 32]),
    /// Base64 without its padding.
    Unpadded(&'a [u8]),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
pub enum Separator {
    Space,
    Spaces,
    Comma,
    Tab,
}

/// A JSON key: one a scheme reads, or any.
#[derive(Arbitrary, Debug)]
pub enum Key<'a> {
    Known(u8),
    Raw(&'a str),
}

pub const JSON_KEYS: [&str; 19] = [
    "signature",
    "timestamp",
    "token",
    "event-data",
    "event",
    "webhookTimestamp",
    "type",
    "data",
    // SNS: the signed keys and how a message is signed.
    "Type",
    "Message",
    "MessageId",
    "Subject",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "SignatureVersion",
    "Signature",
    "SigningCertURL",
];

/// String values the schemes give meaning to (SNS's types, versions, URLs and times).
pub const JSON_VALUES: [&str; 12] = [
    "Notification",
    "SubscriptionConfirmation",
    "UnsubscribeConfirmation",
    "1",
    "2",
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.pem",
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
    "http://sns.us-east-1.amazonaws.com/x.pem",
    "2023-11-14T22:13:20Z",
    "2023-11-14T22:13:20.000+01:00",
    "arn:aws:sns:us-east-1:123456789012:orders",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
];

impl Key<'_> {
    fn text(&self) -> String {
        match self {
            Key::Known(i) => JSON_KEYS[usize::from(*i) % JSON_KEYS.len()].to_owned(),
            Key::Raw(s) => (*s).to_owned(),
        }
    }
}

/// A JSON scalar.
#[derive(Arbitrary, Debug)]
pub enum Leaf<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Key<'a>),
    /// Digits, as Mailgun's timestamp and Linear's `webhookTimestamp` are.
    Digits(u64),
    /// A value a scheme gives meaning to.
    Known(u8),
}

impl Leaf<'_> {
    fn value(&self) -> Value {
        match self {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => Value::Bool(*b),
            Leaf::Int(n) => Value::from(*n),
            Leaf::Uint(n) => Value::from(*n),
            Leaf::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Leaf::Str(k) => Value::String(k.text()),
            Leaf::Digits(n) => Value::String(n.to_string()),
            Leaf::Known(i) => Value::String(JSON_VALUES[usize::from(*i) % JSON_VALUES.len()].into()),
        }
    }
}

/// A JSON value two levels deep: enough for `{"signature": {...}, "event-data": {...}}`
/// (and bounded, so that neither building nor dropping it recurses).
#[derive(Arbitrary, Debug)]
pub enum Inner<'a> {
    Leaf(Leaf<'a>),
    Array(Vec<Leaf<'a>>),
    Object(Vec<(Key<'a>, Leaf<'a>)>),
}

impl Inner<'_> {
    fn value(&self) -> Value {
        match self {
            Inner::Leaf(l) => l.value(),
            Inner::Array(items) => Value::Array(items.iter().map(Leaf::value).collect()),
            Inner::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.text(), v.value())).collect())
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Body<'a> {
    Raw(&'a [u8]),
    /// A JSON value (Mailgun's and Linear's bodies are JSON objects).
    Json(Leaf<'a>),
    JsonObject(Vec<(Key<'a>, Inner<'a>)>),
    /// A form-encoded body of these parameters (Twilio signs them sorted).
    Form(Vec<(&'a str, &'a str)>),
}

impl Body<'_> {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Raw(b) => b.to_vec(),
            Body::Json(leaf) => leaf.value().to_string().into_bytes(),
            Body::JsonObject(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.text(), v.value())).collect())
                    .to_string()
                    .into_bytes()
            }
            Body::Form(params) => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish()
                .into_bytes(),
        }
    }
}

/// The request's URL: any text, or one built of parts.
#[derive(Arbitrary, Debug)]
pub enum Url<'a> {
    Raw(&'a str),
    Built {
        https: bool,
        userinfo: Option<&'a str>,
        host: &'a str,
        port: Option<u16>,
        path: &'a str,
        query: Vec<(&'a str, &'a str)>,
        /// `bodySHA256=` in the query: the body's hash (`true`) or these bytes' hex.
        body_sha256: Option<Result<bool, &'a [u8]>>,
        fragment: Option<&'a str>,
        /// Percent-encode the path's reserved characters (HubSpot decodes some).
        encode_path: bool,
    },
}

impl Url<'_> {
    fn text(&self, body: &[u8]) -> String {
        match self {
            Url::Raw(s) => (*s).to_owned(),
            Url::Built {
                https,
                userinfo,
                host,
                port,
                path,
                query,
                body_sha256,
                fragment,
                encode_path,
            } => {
                let mut url = String::from(if *https { "https://" } else { "http://" });
                if let Some(user) = userinfo {
                    url.push_str(user);
                    url.push('@');
                }
                url.push_str(host);
                if let Some(port) = port {
                    url.push_str(&format!(":{port}"));
                }
                url.push('/');
                if *encode_path {
                    url.extend(form_urlencoded::byte_serialize(path.as_bytes()));
                } else {
                    url.push_str(path);
                }
                let mut q = form_urlencoded::Serializer::new(String::new());
                q.extend_pairs(query.iter());
                match body_sha256 {
                    Some(Ok(true)) => {
                        q.append_pair("bodySHA256", &hex(&Sha256::digest(body)));
                    }
                    Some(Ok(false)) => {
                        q.append_pair("bodySHA256", &hex(&Sha256::digest(body)).to_uppercase());
                    }
                    Some(Err(bytes)) => {
                        q.append_pair("bodySHA256", &hex(bytes));
                    }
                    None => {}
                }
                let q = q.finish();
                if !q.is_empty() {
                    url.push('?');
                    url.push_str(&q);
                }
                if let Some(f) = fragment {
                    url.push('#');
                    url.push_str(f);
                }
                url
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Standard Webhooks signature list.
pub fn signature_list(entries: &[(Version<'_>, Payload<'_>)], separator: &Separator) -> Vec<u8> {
    let sep = match separator {
        Separator::Space => " ",
        Separator::Spaces => "   ",
        Separator::Comma => ",",
        Separator::Tab => "\t",
    };
    let mut out = String::new();
    for (i, (version, payload)) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        let version = match version {
            Version::V1 => Some("v1"),
            Version::V1a => Some("v1a"),
            Version::V2 => Some("v2"),
            Version::Empty => Some(""),
            Version::Raw(s) => Some(*s),
            Version::Missing => None,
        };
        if let Some(v) = version {
            out.push_str(v);
            out.push(',');
        }
        match payload {
            Payload::Base64(b) => out.push_str(&BASE64.encode(b)),
            Payload::Sized(long, a, b) => {
                let bytes = if *long {
                    [&a[..], &b[..]].concat()
                } else {
                    a.to_vec()
                };
                out.push_str(&BASE64.encode(bytes));
            }
            Payload::Unpadded(b) => out.push_str(BASE64.encode(b).trim_end_matches('=')),
            Payload::Raw(s) => out.push_str(s),
        }
    }
    out.into_bytes()
}

/// Input for certificate parsing.
#[derive(Arbitrary, Debug)]
pub enum CertInput<'a> {
    Pem(&'a str),
    Der(&'a [u8]),
    /// These bytes base64-encoded inside PEM armour.
    Armoured(&'a [u8]),
    /// The test certificate's DER with one bit flipped, or cut short.
    Flipped(u16, u8),
    Truncated(u16),
}

pub fn parse_certificate(input: &CertInput<'_>) {
    let test_der = || {
        let text: String = TEST_CERTIFICATE_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        BASE64.decode(text).unwrap_or_default()
    };
    match input {
        CertInput::Pem(pem) => {
            let _ = Certificate::from_pem(pem);
            let _ = GivenCertificate::from_pem(pem);
        }
        CertInput::Der(der) => {
            let _ = Certificate::from_der(der);
        }
        CertInput::Armoured(der) => {
            let pem = format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                BASE64.encode(der)
            );
            let _ = Certificate::from_pem(&pem);
        }
        CertInput::Flipped(at, bit) => {
            let mut der = test_der();
            let i = usize::from(*at) % der.len().max(1);
            if let Some(b) = der.get_mut(i) {
                *b ^= 1 << (bit % 8);
            }
            let _ = Certificate::from_der(&der);
        }
        CertInput::Truncated(len) => {
            let der = test_der();
            let _ = Certificate::from_der(&der[..usize::from(*len).min(der.len())]);
        }
    }
}

/// One delivery to build and verify, whatever the scheme.
#[derive(Arbitrary, Debug)]
pub struct Delivery<'a> {
    pub extra_secrets: Vec<&'a str>,
    /// Start from a correctly signed delivery (then edit it), or from nothing.
    pub signed: Option<(&'a str, i64)>,
    pub edits: Vec<Edit<'a>>,
    pub body: Body<'a>,
    /// Flips one bit of the body after signing.
    pub body_flip: Option<(u16, u8)>,
    pub now: i64,
    pub tolerance: Option<u32>,
    pub scheme_name: &'a str,
    /// The request's method and URL, for the URL-signed schemes (absent: plain `verify`).
    pub request: Option<(&'a str, Url<'a>)>,
}

/// Builds `input` for `scheme` (signed with `sign_secret` when asked), verifies it with
/// `verify_secret` (and the test certificate, for the schemes that name one) through every
/// `HeaderSource` implementation and `receive`: nothing may panic, the implementations must
/// agree, a handshake is answered only for what verifies, and no error shows [`SECRET`].
pub fn run(scheme: Scheme, sign_secret: &str, verify_secret: &str, input: &Delivery<'_>) {

    let _ = input.scheme_name.parse::<Scheme>();
    let mut body = input.body.bytes();
    let url = input.request.as_ref().map(|(_, url)| url.text(&body));
    let request = input
        .request
        .as_ref()
        .zip(url.as_deref())
        .map(|((method, _), url)| Request::new(method, url));
    // Parsed once per process: an X.509 and RSA key parse per input would dominate the run.
    static GIVEN: std::sync::OnceLock<GivenCertificate> = std::sync::OnceLock::new();
    let given = GIVEN.get_or_init(|| {
        GivenCertificate::from_pem(TEST_CERTIFICATE_PEM)
            .unwrap_or_else(|_| panic!("the test certificate must parse"))
    });

    // Arbitrary secrets may be refused, never panic.
    let mut builder = Verifier::builder(scheme.clone())
        .public_url(PublicUrl::PerRequest)
        .certificates(given.clone())
        .clock(FixedClock(input.now));
    builder = match input.tolerance {
        Some(secs) => builder.tolerance(std::time::Duration::from_secs(u64::from(secs))),
        None => builder.allow_any_timestamp(),
    };
    for secret in &input.extra_secrets {
        let _ = Verifier::new(scheme.clone(), *secret);
        let _ = Signer::new(scheme.clone(), *secret);
    }
    let Ok(verifier) = builder
        .secrets(input.extra_secrets.iter().copied())
        .secret(verify_secret)
        .build()
        .or_else(|_| {
            Verifier::builder(scheme.clone())
                .public_url(PublicUrl::PerRequest)
                .certificates(given.clone())
                .clock(FixedClock(input.now))
                .secret(verify_secret)
                .build()
        })
    else {
        panic!("the fixed secret must be accepted");
    };

    let mut headers: Vec<(String, Vec<u8>)> = match input.signed {
        Some((id, ts)) => Signer::new(scheme.clone(), sign_secret)
            .and_then(|s| s.sign_delivery(request.as_ref(), id, ts, &body))
            .map(|signed| {
                // Mailgun and Linear write into the body: verify what was signed.
                body = signed.body;
                signed
                    .headers
                    .into_iter()
                    .map(|(n, v)| (n, v.into_bytes()))
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if let Some((byte, bit)) = input.body_flip
        && !body.is_empty()
    {
        let j = usize::from(byte) % body.len();
        body[j] ^= 1 << (bit % 8);
    }
    let body = body.as_slice();
    for edit in &input.edits {
        let at = |n: u8| usize::from(n) % headers.len().max(1);
        match edit {
            Edit::Add(Name::Known(i), v) => {
                headers.push((NAMES[usize::from(*i) % NAMES.len()].to_owned(), v.to_vec()))
            }
            Edit::Add(Name::Raw(n), v) => headers.push(((*n).to_owned(), v.to_vec())),
            Edit::Replace(n, v) if !headers.is_empty() => {
                let i = at(*n);
                headers[i].1 = v.to_vec();
            }
            Edit::Flip(n, byte, bit) if !headers.is_empty() => {
                let i = at(*n);
                let value = &mut headers[i].1;
                if !value.is_empty() {
                    let j = usize::from(*byte) % value.len();
                    value[j] ^= 1 << (bit % 8);
                }
            }
            Edit::Remove(n) if !headers.is_empty() => {
                headers.remove(at(*n));
            }
            Edit::Upper(n) if !headers.is_empty() => {
                let i = at(*n);
                headers[i].0 = headers[i].0.to_ascii_uppercase();
            }
            Edit::Signatures {
                svix,
                keep,
                entries,
                separator,
            } => {
                let name = if *svix {
                    "svix-signature"
                } else {
                    "webhook-signature"
                };
                let list = signature_list(entries, separator);
                match headers
                    .iter_mut()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    Some((_, value)) => match keep {
                        // Before the signer's entries, or after them.
                        Some(before) => {
                            let old = std::mem::take(value);
                            let (first, second) = if *before { (list, old) } else { (old, list) };
                            *value = [first, second].join(&b' ');
                        }
                        None => *value = list,
                    },
                    None => headers.push((name.to_owned(), list)),
                }
            }
            _ => {}
        }
    }

    // The same delivery through every HeaderSource implementation.
    let owned = match &request {
        Some(r) => verifier.verify_request(r, &headers, body),
        None => verifier.verify(&headers, body),
    };
    let borrowed: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let via_slice = match &request {
        Some(r) => verifier.verify_request(r, borrowed.as_slice(), body),
        None => verifier.verify(borrowed.as_slice(), body),
    };
    assert_eq!(owned, via_slice, "Vec and slice disagree");

    let mut map = http::HeaderMap::new();
    let mut complete = true;
    for (name, value) in &headers {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(value),
        ) {
            (Ok(n), Ok(v)) => {
                map.append(n, v);
            }
            _ => complete = false,
        }
    }
    let via_map = match &request {
        Some(r) => verifier.verify_request(r, &map, body),
        None => verifier.verify(&map, body),
    };
    if complete {
        assert_eq!(owned, via_map, "HeaderMap and pairs disagree");
    }

    for name in NAMES {
        let _ = headers.as_slice().unique(name);
        let _ = map.unique(name);
        if complete {
            assert_eq!(
                HeaderSource::values(&headers, name).count(),
                HeaderSource::values(&map, name).count(),
                "value counts disagree for {name}"
            );
        }
    }
    if let Some(Edit::Add(Name::Raw(name), _)) = input.edits.first() {
        let _ = headers.as_slice().unique(name);
        let _ = map.unique(name);
    }

    // The endpoint checks: a handshake is answered only for what verifies (or is unsigned).
    let (method, path) = match &input.request {
        Some((method, _)) => (*method, url.as_deref().unwrap_or("/")),
        None => ("POST", "/"),
    };
    let path = path.find("://").map_or(path, |i| {
        let rest = &path[i + 3..];
        rest.find('/').map_or("/", |j| &rest[j..])
    });
    match verifier.receive(method, path, &headers, body) {
        Ok(webhook_verify::Received::Handshake(answer)) => {
            let unsigned = matches!(answer.scheme, "dropbox" | "meta");
            assert!(
                unsigned || owned.is_ok() || request.is_some(),
                "a signed check answered without verifying"
            );
        }
        Ok(webhook_verify::Received::Delivery(_)) => {
            assert!(owned.is_ok() || request.is_some(), "receive accepted what verify refused");
        }
        Err(_) => {}
    }

    match owned {
        // GitLab signs nothing: a token header added by an edit is enough there.
        Ok(verified) if verified.scheme == "gitlab" => {
            let _ = verified.into_owned();
        }
        Ok(verified) => {
            assert!(input.signed.is_some(), "verified without a signature");
            let _ = verified.into_owned();
        }
        Err(err) => {
            let shown = format!("{err} {err:?} {:?}", Rejection::from(err.clone()));
            assert!(!shown.contains(&SECRET[6..]), "secret in error: {shown}");
        }
    }
    let shown = format!("{verifier:?}");
    assert!(!shown.contains(&SECRET[6..]), "secret in Debug: {shown}");
}
