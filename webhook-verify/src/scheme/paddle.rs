//! `paddle`: Paddle Billing's `Paddle-Signature`.
//!
//! Signing rule: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>...]`, each `h1` being
//! `hex(HMAC-SHA256(endpoint secret key, "{ts}:{body}"))`, the key the secret key's own bytes
//! (`pdl_ntfset_...` included). Several `h1` appear while a secret is rotated; unknown keys are
//! ignored. Paddle's SDKs hold `ts` to five seconds, which is this scheme's default tolerance.

use std::borrow::Cow;

use super::shared::secs;
use super::{
    Alg, Candidates, Encoding, Input, Ops, Provider, SignInput, Signed, find_match, hmac_sign_key,
    hmac_verify_key,
};
use crate::headers::required;
use crate::timestamp;
use crate::{Verified, VerifyError};

const HEADER: &str = "Paddle-Signature";
const NAME: Cow<'static, str> = Cow::Borrowed(HEADER);

pub(super) const PROVIDER: Provider = Provider {
    name: "paddle",
    aliases: &[],
    secret_is: "the endpoint secret key",
    signature_headers: &[HEADER],
    id_header: None,
    timestamp_header: None,
    event_type_header: None,
    kept_headers: &["paddle-signature"],
    requires_url: false,
    timestamped: true,
    default_tolerance: secs(5),
    ops: Ops {
        verify,
        sign,
        verify_key: hmac_verify_key,
        sign_key: hmac_sign_key,
    },
};

fn malformed(reason: &'static str) -> VerifyError {
    VerifyError::MalformedHeader { name: NAME, reason }
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let value = required(input.headers, &NAME)?;
    let mut ts_raw: Option<&[u8]> = None;
    let mut candidates = Candidates::new();
    for item in value.split(|b| *b == b';') {
        let Some(eq) = item.iter().position(|b| *b == b'=') else {
            return Err(malformed("each item must be written key=value"));
        };
        match (&item[..eq], &item[eq + 1..]) {
            (b"ts", v) if ts_raw.is_none() => ts_raw = Some(v),
            (b"ts", _) => return Err(malformed("ts= appears more than once")),
            (b"h1", v) => candidates.push(&NAME, Alg::HmacSha256, Encoding::Hex, v)?,
            _ => {}
        }
    }
    let ts_raw = ts_raw.ok_or(malformed("missing ts="))?;
    let ts = timestamp::parse(&NAME, ts_raw)?;
    if candidates.is_empty() {
        return Err(malformed("no h1 signature"));
    }
    input.time.check(ts)?;
    let secret_index = find_match(input.keys, &[ts_raw, b":", input.body], &candidates)?;
    let mut verified = Verified::new("paddle", secret_index);
    verified.timestamp = Some(ts);
    Ok(verified)
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let ts = input.timestamp.to_string();
    let mut value = format!("ts={ts}");
    for mac in input.macs() {
        value.push_str(";h1=");
        value.push_str(&const_hex::encode(mac.tag(&[
            ts.as_bytes(),
            b":",
            input.body,
        ])));
    }
    Ok(Signed::headers(vec![(HEADER.to_owned(), value)]))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // Computed with Python's hmac module, independently of this crate.
    const SECRET: &str = "pdl_ntfset_secret";
    const NOW: i64 = 1_671_552_777;
    const BODY: &[u8] = br#"{"event_type":"transaction.paid","notification_id":"ntf_01"}"#;
    const H1: &str = "c9b48ae3b7072533f6316957d777a0f30f117a770c75884e60207b503605ec2a";

    fn check(secrets: &[&str], now: i64, value: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::paddle())
            .secrets(secrets.iter().copied())
            .clock(FixedClock(now))
            .build()?
            .verify(&[("Paddle-Signature", value)], body)
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_and_signs_the_independent_vector() {
        let value = format!("ts={NOW};h1={H1}");
        assert_eq!(check(&[SECRET], NOW, &value, BODY), Ok(0));
        let signed = Signer::new(Scheme::paddle(), SECRET)
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(signed[0].1, value);
    }

    #[test]
    fn any_of_several_h1_matches_during_rotation() {
        let zero = "0".repeat(64);
        let value = format!("ts={NOW};h1={zero};h1={H1}");
        assert_eq!(check(&[SECRET], NOW, &value, BODY), Ok(0));
        assert_eq!(check(&["old", SECRET], NOW, &value, BODY), Ok(1));
        let both = Signer::with_secrets(Scheme::paddle(), ["new", SECRET])
            .unwrap()
            .sign("", NOW, BODY)
            .unwrap();
        assert_eq!(check(&[SECRET], NOW, &both[0].1, BODY), Ok(0));
    }

    #[test]
    fn tampering_and_the_five_second_tolerance() {
        let value = format!("ts={NOW};h1={H1}");
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check(&[SECRET], NOW, &value, b"{}"), no);
        assert_eq!(check(&["other"], NOW, &value, BODY), no);
        let later = format!("ts={};h1={H1}", NOW + 1);
        assert_eq!(check(&[SECRET], NOW, &later, BODY), no);
        assert_eq!(check(&[SECRET], NOW + 5, &value, BODY), Ok(0));
        assert!(matches!(
            check(&[SECRET], NOW + 6, &value, BODY),
            Err(VerifyError::TimestampOutOfTolerance {
                tolerance_secs: 5,
                ..
            })
        ));
        assert!(matches!(
            check(&[SECRET], NOW, &format!("h1={H1}"), BODY),
            Err(VerifyError::MalformedHeader { .. })
        ));
    }
}
