//! `square`: Square's `x-square-hmacsha256-signature`.
//!
//! Signing rule: `x-square-hmacsha256-signature: <base64(HMAC-SHA256(signature key,
//! "{notification URL}{body}"))>`, the URL being the subscription's notification URL exactly as
//! configured in Square (so the receiver must know it: [`Scheme::requires_url`]), the key the
//! signature key's bytes. No timestamp is signed; the body's `event_id` identifies the event.
//!
//! [`Scheme::requires_url`]: crate::Scheme::requires_url


use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key,
};
use crate::headers::HeaderKey;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Verified, VerifyError};

static SIGNATURE: HeaderKey = HeaderKey::new(
    "x-square-hmacsha256-signature",
    "x-square-hmacsha256-signature",
);

pub(super) const PROVIDER: Provider = Provider {
    name: "square",
    aliases: &[],
    secret_is: "the signature key",
    signature_headers: &["x-square-hmacsha256-signature"],
    id_header: None,
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &["x-square-hmacsha256-signature", "square-version"],
    requires_url: true,
    timestamped: false,
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

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let request = input.request("square")?;
    let value = SIGNATURE.required(input.headers)?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE.text, Alg::HmacSha256, Encoding::Base64, value)?;
    let secret_index = find_match(
        input.keys,
        &[request.url.as_bytes(), input.body],
        &candidates,
    )?;
    Ok(Verified::new("square", secret_index))
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let request = input.request("square")?;
    let Some(mac) = input.first_mac() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let tag = mac.tag(&[request.url.as_bytes(), input.body]);
    Ok(Signed::headers(vec![(
        SIGNATURE.text.to_string(),
        BASE64.encode(tag),
    )]))
}

#[cfg(test)]
mod tests {
    use crate::{Request, Scheme, Signer, Verifier, VerifyError};

    // Square's documented example ("Verify and validate an event notification"), recomputed
    // with Python's hmac module.
    const KEY: &str = "asdf1234";
    const URL: &str = "https://example.com/webhook";
    const BODY: &[u8] = br#"{"hello":"world"}"#;
    const SIG: &str = "2kRE5qRU2tR+tBGlDwMEw2avJ7QM4ikPYD/PJ3bd9Og=";

    fn check(url: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::square()).public_url(crate::PublicUrl::PerRequest)
            .secrets(["old", KEY])
            .build()?
            .verify_request(
                &Request::post(url),
                &[("x-square-hmacsha256-signature", sig)],
                body,
            )
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_and_signs_the_documented_example() {
        assert_eq!(check(URL, SIG, BODY), Ok(1));
        let signed = Signer::new(Scheme::square(), KEY)
            .unwrap()
            .sign_delivery(Some(&Request::post(URL)), "", 0, BODY)
            .unwrap();
        assert_eq!(signed.headers[0].1, SIG);
    }

    #[test]
    fn tampered_url_or_body_is_refused_and_no_url_is_a_configuration_error() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check("https://example.com/webhooks", SIG, BODY), no);
        assert_eq!(check(URL, SIG, b"{}"), no);
        let v = Verifier::builder(Scheme::square()).public_url(crate::PublicUrl::PerRequest).secret(KEY).build().unwrap();
        let err = v
            .verify(&[("x-square-hmacsha256-signature", SIG)], BODY)
            .unwrap_err();
        assert_eq!(err, VerifyError::MissingRequestUrl { scheme: "square" });
        assert!(!err.is_request_error());
        assert_eq!(crate::Rejection::from(err).status(), 500);
    }
}
