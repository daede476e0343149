//! `discord`: Discord's interactions endpoint, ed25519.
//!
//! Signing rule: `X-Signature-Ed25519: <hex>`, the ed25519 signature (64 bytes, 128 hex digits)
//! made with the application's private key over `{X-Signature-Timestamp}{body}`, the timestamp
//! (Unix seconds) exactly as sent. The verifying secret is the application's public key as the
//! developer portal shows it (64 hex digits); several keys may be configured. Discord documents
//! no tolerance: 300 s.
//!
//! [`Signer`](crate::Signer) takes the private key as 128 hex digits: the 32-byte seed followed
//! by its public key (libsodium's and PyNaCl's secret key), so that a public key given by mistake
//! is refused instead of signing garbage. The RFC 8032 test key 1 is such a key:
//! `9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60`
//! `d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a`.
//!
//! Handshake: an authentic PING (`{"type":1}`) is answered `{"type":1}` (PONG), as Discord
//! requires before it saves the endpoint (see [`handshake`](crate::handshake)).

use std::borrow::Cow;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use super::shared::TimestampThenBody;
use super::{Alg, Encoding, Ops, Provider, SignInput, SignKey, Signed, VerifyKey};
use crate::handshake::{Handshake, Rule, SignedCheck};
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, VerifyError};

const SIGNATURE: Cow<'static, str> = Cow::Borrowed("X-Signature-Ed25519");
const TIMESTAMP: Cow<'static, str> = Cow::Borrowed("X-Signature-Timestamp");

pub(super) const PROVIDER: Provider = Provider {
    name: "discord",
    aliases: &[],
    secret_is: "the application's public key (64 hex digits)",
    signature_headers: &["X-Signature-Ed25519"],
    id_header: None,
    timestamp_header: Some("X-Signature-Timestamp"),
    event_type_header: None,
    kept_headers: &["x-signature-ed25519", "x-signature-timestamp"],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: Some(Rule::Signed(ping)),
    certificates: None,
    ops: Ops {
        verify: |input| RULE.verify(input),
        sign,
        verify_key,
        sign_key,
    },
};

const RULE: TimestampThenBody = TimestampThenBody {
    scheme: "discord",
    signature: SIGNATURE,
    timestamp: TIMESTAMP,
    alg: Alg::Ed25519,
    encoding: Encoding::Hex,
};

/// Discord's PING, `{"type":1}` (any other fields aside): answer `{"type":1}` (PONG).
fn ping(request: &SignedCheck<'_, '_>) -> Option<Handshake> {
    #[derive(serde::Deserialize)]
    struct Interaction {
        #[serde(rename = "type")]
        kind: u64,
    }
    let ping: Interaction = request.json()?;
    (ping.kind == 1).then(|| request.answer_json(serde_json::json!({ "type": 1 })))
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let Some(key) = input.keys.iter().find_map(|k| match k {
        SignKey::Ed25519(key) => Some(key),
        _ => None,
    }) else {
        return Ok(Signed::headers(Vec::new()));
    };
    let ts = input.timestamp.to_string();
    let message = TimestampThenBody::message(&ts, input.body);
    let signature = key.sign(&message);
    Ok(Signed::headers(vec![
        (TIMESTAMP.to_string(), ts),
        (
            SIGNATURE.to_string(),
            const_hex::encode(signature.to_bytes()),
        ),
    ]))
}

fn invalid(reason: &'static str) -> VerifyError {
    VerifyError::InvalidSecret {
        scheme: PROVIDER.name,
        reason,
    }
}

fn hex_bytes<const N: usize>(secret: &str, reason: &'static str) -> Result<[u8; N], VerifyError> {
    let mut bytes = [0u8; N];
    const_hex::decode_to_slice(secret.trim(), &mut bytes).map_err(|_| invalid(reason))?;
    Ok(bytes)
}

fn verify_key(secret: &Secret) -> Result<VerifyKey, VerifyError> {
    const REASON: &str = "the public key must be 64 hex digits";
    let bytes = hex_bytes::<32>(secret.expose(), REASON)?;
    VerifyingKey::from_bytes(&bytes)
        .map(VerifyKey::Ed25519)
        .map_err(|_| invalid("not a valid ed25519 public key"))
}

fn sign_key(secret: &Secret) -> Result<SignKey, VerifyError> {
    const REASON: &str =
        "the private key must be 128 hex digits: the seed followed by its public key";
    let bytes = zeroize::Zeroizing::new(hex_bytes::<64>(secret.expose(), REASON)?);
    let key = SigningKey::from_keypair_bytes(&bytes)
        .map_err(|_| invalid("the public half does not belong to the seed"))?;
    Ok(SignKey::Ed25519(Box::new(key)))
}

#[cfg(test)]
mod tests {
    use crate::{FixedClock, Scheme, Signer, Verifier, VerifyError};

    // RFC 8032 test key 1; the signature over `1700000000{"type":1}` made with OpenSSL
    // (`openssl pkeyutl -sign -rawin`), independently of this crate.
    const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const PRIVATE: &str = concat!(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    // RFC 8032 test key 2's public key.
    const OTHER: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIG: &str = concat!(
        "1695961a47c91a1ec033b819b7e87e3dbc583dd0cee6d1fd0216f58ac87b6228",
        "ae531ddbf91fb7bc28d7edf7f08604da16f54624f38a6bc0614e4dc13cd47f0f"
    );
    const NOW: i64 = 1_700_000_000;

    fn check(ts: &str, sig: &str, body: &[u8]) -> Result<usize, VerifyError> {
        Verifier::builder(Scheme::discord())
            .secrets([OTHER, PUBLIC])
            .clock(FixedClock(NOW))
            .build()?
            .verify(
                &[("X-Signature-Timestamp", ts), ("X-Signature-Ed25519", sig)],
                body,
            )
            .map(|v| v.secret_index)
    }

    #[test]
    fn accepts_the_independent_vector_with_the_second_key() {
        assert_eq!(check("1700000000", SIG, br#"{"type":1}"#), Ok(1));
    }

    #[test]
    fn tampering_is_refused() {
        let no = Err(VerifyError::NoMatchingSignature);
        assert_eq!(check("1700000000", SIG, br#"{"type":2}"#), no);
        assert_eq!(check("1700000001", SIG, br#"{"type":1}"#), no);
        let flipped = SIG.replacen('f', "e", 1);
        assert_eq!(check("1700000000", &flipped, br#"{"type":1}"#), no);
        assert!(matches!(
            check("1700000000", &SIG[..126], br#"{"type":1}"#),
            Err(VerifyError::BadEncoding { .. })
        ));
    }

    #[test]
    fn signer_reproduces_the_vector_and_refuses_a_public_key() {
        let headers = Signer::new(Scheme::discord(), PRIVATE)
            .unwrap()
            .sign("", NOW, br#"{"type":1}"#)
            .unwrap();
        assert_eq!(headers[1].1, SIG);
        assert!(matches!(
            Signer::new(Scheme::discord(), PUBLIC),
            Err(VerifyError::InvalidSecret { .. })
        ));
        assert!(matches!(
            Verifier::new(Scheme::discord(), "zz"),
            Err(VerifyError::InvalidSecret { .. })
        ));
    }
}
