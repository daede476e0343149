//! `twilio`: Twilio's `X-Twilio-Signature`.
//!
//! Signing rule: `X-Twilio-Signature: <base64(HMAC-SHA1(auth token, data))>`, where `data` is
//! the full URL Twilio requested (scheme, host, path, query) followed, for a form-encoded body,
//! by every POST parameter sorted by name, each written name then value with no separator.
//! When the URL's query carries `bodySHA256` (Twilio's JSON bodies), the signature covers the
//! URL alone and `bodySHA256` must be the hex SHA-256 of the body. As Twilio's SDKs do, the URL
//! is accepted with or without its default port (`:443` for https, `:80` for http).
//!
//! The form parameters are parsed and sorted, which allocates.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, SignKey, Signed, VerifyKey,
    find_match,
};
use crate::headers::HeaderKey;
use crate::mac::{KeyedSha1, bytes_equal, sha256};
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, Verified, VerifyError};

static SIGNATURE: HeaderKey = HeaderKey::new("X-Twilio-Signature", "x-twilio-signature");

pub(super) const PROVIDER: Provider = Provider {
    name: "twilio",
    aliases: &[],
    secret_is: "the auth token",
    signature_headers: &["X-Twilio-Signature"],
    id_header: Some("I-Twilio-Idempotency-Token"),
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &["x-twilio-signature", "i-twilio-idempotency-token"],
    requires_url: true,
    timestamped: false,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: |secret: &Secret| {
            Ok(VerifyKey::HmacSha1(KeyedSha1::new(
                secret.expose().as_bytes(),
            )))
        },
        sign_key: |secret: &Secret| {
            Ok(SignKey::HmacSha1(KeyedSha1::new(
                secret.expose().as_bytes(),
            )))
        },
    },
};

/// The value of `bodySHA256` in the URL's query, if any.
fn body_sha256(url: &str) -> Option<Cow<'_, str>> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "bodySHA256")
        .map(|(_, value)| value)
}

/// The URL with its default port removed if present, or added if absent (`None` when the URL
/// has no recognizable `http(s)://host` or a non-default port).
fn other_port_form(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host = &authority[host_start..];
    let port_at = match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => Some(colon),
        _ => None,
    };
    let userinfo = &authority[..host_start];
    match port_at {
        Some(colon) if &host[colon + 1..] == default => Some(format!(
            "{scheme}://{userinfo}{}{tail}",
            &host[..colon]
        )),
        Some(_) => None,
        None => Some(format!("{scheme}://{userinfo}{host}:{default}{tail}")),
    }
}

/// The form parameters of `body`, sorted by name (then value), as Twilio signs them.
fn sorted_params(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let mut params: Vec<_> = form_urlencoded::parse(body).collect();
    params.sort();
    params
}

/// The parts after the URL: the sorted form parameters, or nothing with `bodySHA256`.
fn tail_parts<'b>(
    params: &'b [(Cow<'b, str>, Cow<'b, str>)],
) -> impl Iterator<Item = &'b [u8]> {
    params
        .iter()
        .flat_map(|(name, value)| [name.as_bytes(), value.as_bytes()])
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let request = input.request("twilio")?;
    let value = SIGNATURE.required(input.headers)?;
    let mut candidates = Candidates::new();
    candidates.push(&SIGNATURE.text, Alg::HmacSha1, Encoding::Base64, value)?;

    let params = match body_sha256(request.url) {
        Some(expected) => {
            let actual = const_hex::encode(sha256(&[input.body]));
            let expected = expected.to_ascii_lowercase();
            if !bool::from(bytes_equal(actual.as_bytes(), expected.as_bytes())) {
                return Err(VerifyError::NoMatchingSignature);
            }
            Vec::new()
        }
        None => sorted_params(input.body),
    };
    let other = other_port_form(request.url);
    let mut last = Err(VerifyError::NoMatchingSignature);
    for url in std::iter::once(request.url).chain(other.as_deref()) {
        let parts: Vec<&[u8]> = std::iter::once(url.as_bytes())
            .chain(tail_parts(&params))
            .collect();
        last = find_match(input.keys, &parts, &candidates);
        if last.is_ok() {
            break;
        }
    }
    Ok(Verified::new("twilio", last?))
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let request = input.request("twilio")?;
    let params = match body_sha256(request.url) {
        Some(_) => Vec::new(),
        None => sorted_params(input.body),
    };
    let Some(SignKey::HmacSha1(mac)) = input.keys.first() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let parts: Vec<&[u8]> = std::iter::once(request.url.as_bytes())
        .chain(tail_parts(&params))
        .collect();
    Ok(Signed::headers(vec![(
        SIGNATURE.text.to_string(),
        BASE64.encode(mac.tag(&parts)),
    )]))
}

#[cfg(test)]
mod tests {
    use super::other_port_form;
    use crate::{Request, Scheme, Signer, Verifier, VerifyError};

    // Twilio's published example ("Webhooks security": auth token 12345), recomputed with
    // Python's hmac module.
    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const FORM: &[u8] =
        b"To=%2B18005551212&From=%2B12349013030&Digits=1234&CallSid=CA1234567890ABCDE&Caller=%2B12349013030";
    const SIG: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    fn check(url: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::twilio()).public_url(crate::PublicUrl::PerRequest)
            .secrets(["old-token", TOKEN])
            .build()?
            .verify_request(&Request::post(url), &[("X-Twilio-Signature", sig)], body)
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_and_signs_twilios_published_example() {
        assert_eq!(check(URL, SIG, FORM), Ok(1));
        let signed = Signer::new(Scheme::twilio(), TOKEN)
            .unwrap()
            .sign_delivery(Some(&Request::post(URL)), "", 0, FORM)
            .unwrap();
        assert_eq!(signed.headers[0].1, SIG);
    }

    #[test]
    fn the_url_is_accepted_with_or_without_its_default_port() {
        assert_eq!(
            check("https://mycompany.com:443/myapp.php?foo=1&bar=2", SIG, FORM),
            Ok(1)
        );
        assert_eq!(
            check("https://mycompany.com:8443/myapp.php?foo=1&bar=2", SIG, FORM),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            other_port_form("http://a.example/x").as_deref(),
            Some("http://a.example:80/x")
        );
        assert_eq!(
            other_port_form("https://u@a.example:443?q").as_deref(),
            Some("https://u@a.example?q")
        );
        assert_eq!(other_port_form("https://[::1]:8443/").as_deref(), None);
    }

    #[test]
    fn tampered_url_params_or_secret_are_refused() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check("https://mycompany.com/myapp.php?foo=1&bar=3", SIG, FORM), no);
        assert_eq!(check("http://mycompany.com/myapp.php?foo=1&bar=2", SIG, FORM), no);
        let changed = [FORM, b"&Extra=1"].concat();
        assert_eq!(check(URL, SIG, &changed), no);
        assert_eq!(check(URL, SIG, &FORM[..FORM.len() - 1]), no);
        let v = Verifier::builder(Scheme::twilio()).public_url(crate::PublicUrl::PerRequest).secret("54321").build().unwrap();
        assert_eq!(
            v.verify_request(&Request::post(URL), &[("X-Twilio-Signature", SIG)], FORM)
                .map(|_| 0),
            no
        );
    }

    #[test]
    fn json_bodies_are_covered_by_body_sha256() {
        let body = br#"{"event":"message.delivered"}"#;
        let digest = const_hex::encode(crate::mac::sha256(&[body]));
        let url = format!("https://example.com/hook?bodySHA256={digest}");
        let signed = Signer::new(Scheme::twilio(), TOKEN)
            .unwrap()
            .sign_delivery(Some(&Request::post(&url)), "", 0, body)
            .unwrap();
        let sig = &signed.headers[0].1;
        assert_eq!(check(&url, sig, body), Ok(1));
        assert_eq!(
            check(&url, sig, br#"{"event":"message.failed"}"#),
            Err(VerifyError::NoMatchingSignature)
        );
    }
}
