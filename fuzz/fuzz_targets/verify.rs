//! Arbitrary header names, values and bodies through every scheme's `verify`, via each
//! `HeaderSource` implementation. Nothing may panic; the implementations must agree; an error
//! never shows a secret.
//!
//! Run: `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run verify -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use webhook_verify::{
    Encoding, FixedClock, HeaderSource, HmacSha256, PublicUrl, Rejection, Request, Scheme, Signer,
    Verifier,
};

/// Every header name a built-in scheme reads, plus near misses.
const NAMES: [&str; 34] = [
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
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

#[derive(Arbitrary, Debug)]
enum Name<'a> {
    Known(u8),
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Edit<'a> {
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
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    scheme: u8,
    /// A body-HMAC scheme with a fuzzed header name and prefix, instead of a built-in one.
    custom: Option<(&'a str, Option<&'a str>, bool, bool)>,
    extra_secrets: Vec<&'a str>,
    /// Start from a correctly signed delivery (then edit it), or from nothing.
    signed: Option<(&'a str, i64)>,
    edits: Vec<Edit<'a>>,
    body: &'a [u8],
    now: i64,
    tolerance: Option<u32>,
    scheme_name: &'a str,
    /// The request's URL and method, for the URL-signed schemes (absent: plain `verify`).
    request: Option<(&'a str, &'a str)>,
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
    // Every built-in scheme, and `standard` a second time for its v1a (ed25519) keys.
    let names = Scheme::NAMES;
    let i = usize::from(input.scheme) % (names.len() + 1);
    match names.get(i) {
        Some(name) => name.parse().unwrap_or_else(|_| Scheme::hmac_sha256()),
        None => Scheme::standard(),
    }
}

fn is_v1a(input: &Input<'_>) -> bool {
    input.custom.is_none()
        && usize::from(input.scheme) % (Scheme::NAMES.len() + 1) == Scheme::NAMES.len()
}

fuzz_target!(|input: Input<'_>| {
    let _ = input.scheme_name.parse::<Scheme>();
    let scheme = scheme(&input);
    let v1a = is_v1a(&input);
    let request = input.request.map(|(method, url)| Request::new(method, url));
    let (sign_secret, verify_secret) = if v1a { (WHSK, WHPK) } else { (SECRET, SECRET) };

    // Arbitrary secrets may be refused, never panic.
    let mut builder = Verifier::builder(scheme.clone())
        .public_url(PublicUrl::PerRequest)
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
                .clock(FixedClock(input.now))
                .secret(verify_secret)
                .build()
        })
    else {
        panic!("the fixed secret must be accepted");
    };

    let mut headers: Vec<(String, Vec<u8>)> = match input.signed {
        Some((id, ts)) => Signer::new(scheme.clone(), sign_secret)
            .and_then(|s| s.sign_delivery(request.as_ref(), id, ts, input.body))
            .map(|signed| {
                signed
                    .headers
                    .into_iter()
                    .map(|(n, v)| (n, v.into_bytes()))
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    };
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
            _ => {}
        }
    }

    // The same delivery through every HeaderSource implementation.
    let owned = match &request {
        Some(r) => verifier.verify_request(r, &headers, input.body),
        None => verifier.verify(&headers, input.body),
    };
    let borrowed: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let via_slice = match &request {
        Some(r) => verifier.verify_request(r, borrowed.as_slice(), input.body),
        None => verifier.verify(borrowed.as_slice(), input.body),
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
        Some(r) => verifier.verify_request(r, &map, input.body),
        None => verifier.verify(&map, input.body),
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
});
