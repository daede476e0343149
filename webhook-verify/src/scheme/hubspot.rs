//! `hubspot`: HubSpot's v3 request signature.
//!
//! Signing rule: `X-HubSpot-Signature-v3: <base64(HMAC-SHA256(client secret,
//! "{METHOD}{URI}{body}{X-HubSpot-Request-Timestamp}"))>`, the URI being the full URL HubSpot
//! requested with these percent-encodings decoded, as HubSpot specifies: `%3A` `%2F` `%3F` `%40`
//! `%21` `%24` `%27` `%28` `%29` `%2A` `%2C` `%3B`. The timestamp is in milliseconds; HubSpot
//! tells receivers to refuse requests older than 5 minutes (the default tolerance, 300 s).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::shared::millis_to_secs;
use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key,
};
use crate::headers::HeaderKey;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Verified, VerifyError};

static SIGNATURE: HeaderKey = HeaderKey::new("X-HubSpot-Signature-v3", "x-hubspot-signature-v3");
static TIMESTAMP: HeaderKey =
    HeaderKey::new("X-HubSpot-Request-Timestamp", "x-hubspot-request-timestamp");

pub(super) const PROVIDER: Provider = Provider {
    name: "hubspot",
    aliases: &[],
    secret_is: "the app's client secret",
    signature_headers: &["X-HubSpot-Signature-v3", "X-HubSpot-Signature"],
    id_header: None,
    timestamp_header: Some("X-HubSpot-Request-Timestamp"),
    event_type_header: None,
    kept_headers: &[
        "x-hubspot-signature-v3",
        "x-hubspot-request-timestamp",
        "x-hubspot-signature-version",
    ],
    requires_url: true,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

/// The encodings HubSpot decodes before signing.
const DECODED: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The URI as HubSpot signs it; borrowed (no allocation) when there is nothing to decode.
fn signed_uri(url: &str) -> Cow<'_, str> {
    if !url.contains('%') {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at..at + 3);
        match code.and_then(|c| DECODED.iter().find(|(e, _)| e.eq_ignore_ascii_case(c))) {
            Some((_, ch)) => {
                out.push(*ch);
                rest = &rest[at + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let request = input.request("hubspot")?;
    let ts_raw = TIMESTAMP.required(input.headers)?;
    let ts = millis_to_secs(&TIMESTAMP.text, ts_raw)?;
    input.time.check(ts)?;
    let value = SIGNATURE.required(input.headers)?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE.text, Alg::HmacSha256, Encoding::Base64, value)?;
    let uri = signed_uri(request.url);
    let secret_index = find_match(
        input.keys,
        &[
            request.method.as_bytes(),
            uri.as_bytes(),
            input.body,
            ts_raw,
        ],
        &candidates,
    )?;
    let mut verified = Verified::new("hubspot", secret_index);
    verified.timestamp = Some(ts);
    Ok(verified)
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let request = input.request("hubspot")?;
    let ts = input.timestamp.saturating_mul(1000).to_string();
    let Some(mac) = input.first_mac() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let uri = signed_uri(request.url);
    let tag = mac.tag(&[
        request.method.as_bytes(),
        uri.as_bytes(),
        input.body,
        ts.as_bytes(),
    ]);
    Ok(Signed::headers(vec![
        (TIMESTAMP.text.to_string(), ts),
        (SIGNATURE.text.to_string(), BASE64.encode(tag)),
    ]))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Request, Scheme, Verifier, VerifyError};

    // Computed with Python's hmac and base64 modules, independently of this crate.
    const SECRET: &str = "hubspot-client-secret";
    const URL: &str = "https://example.com/hubspot?x=1";
    const BODY: &[u8] = br#"[{"eventId":1}]"#;
    const TS: &str = "1700000000000";
    const NOW: i64 = 1_700_000_000;
    const SIG: &str = "bStdV9k80xy5I48TJZesJygn1z28GkdG3a/0ddKbTfg=";

    fn check(now: i64, method: &str, url: &str, ts: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::hubspot()).public_url(crate::PublicUrl::PerRequest)
            .secrets(["old", SECRET])
            .clock(FixedClock(now))
            .build()?
            .verify_request(
                &Request::new(method, url),
                &[
                    ("X-HubSpot-Signature-v3", SIG),
                    ("X-HubSpot-Request-Timestamp", ts),
                ],
                body,
            )
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_the_independent_vector() {
        assert_eq!(check(NOW, "POST", URL, TS, BODY), Ok(1));
        // HubSpot decodes these encodings before signing.
        assert_eq!(check(NOW, "POST", "https%3A%2F%2Fexample.com%2Fhubspot%3Fx=1", TS, BODY), Ok(1));
    }

    #[test]
    fn tampering_and_the_five_minute_window() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(NOW, "PUT", URL, TS, BODY), no);
        assert_eq!(check(NOW, "POST", "https://example.com/hubspot?x=2", TS, BODY), no);
        assert_eq!(check(NOW, "POST", URL, "1700000000001", BODY), no);
        assert_eq!(check(NOW, "POST", URL, TS, b"[]"), no);
        assert_eq!(check(NOW + 300, "POST", URL, TS, BODY), Ok(1));
        assert!(matches!(
            check(NOW + 301, "POST", URL, TS, BODY),
            Err(VerifyError::TimestampOutOfTolerance { .. })
        ));
    }
}
