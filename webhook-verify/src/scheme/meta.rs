//! `meta`: Meta's (WhatsApp Cloud API, Messenger, Instagram) `X-Hub-Signature-256`.
//!
//! Signing rule: `X-Hub-Signature-256: sha256=<hex(HMAC-SHA256(app secret, body))>`, the key
//! being the app secret's bytes — GitHub's rule, with Meta's app secret. The legacy SHA-1
//! `X-Hub-Signature` is never enough.
//!
//! Handshake: `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` (unsigned) is
//! answered with `C` when `T` is the configured
//! [`verify_token`](crate::VerifierBuilder::verify_token) (compared in constant time), else
//! `403` (see [`handshake`](crate::handshake)).

use super::shared::{BodyHmac, sign_with};
use crate::headers::HeaderKey;
use super::{Encoding, HmacSha256, Provider};
use crate::handshake::{Handshake, Refused, Rule, UnsignedCheck};
use crate::mac::bytes_equal;

static CONFIG: HmacSha256 = HmacSha256::preset(
    "meta",
    HeaderKey::new("X-Hub-Signature-256", "x-hub-signature-256"),
    Some("sha256="),
    Encoding::Hex,
);

pub(super) const PROVIDER: Provider = BodyHmac {
    name: "meta",
    secret_is: "the app secret",
    signature_headers: &["X-Hub-Signature-256"],
    id: None,
    event_type: None,
    kept: &["x-hub-signature-256"],
    verify: |input| CONFIG.verify(input),
    sign: |input| sign_with(&CONFIG, input),
}
.provider()
.with_handshake(Rule::Unsigned(subscribe));

/// `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`: `C` when `T` is ours.
fn subscribe(query: &UnsignedCheck<'_>) -> Option<Result<Handshake, Refused>> {
    if query.param("hub.mode").as_deref() != Some("subscribe") {
        return None;
    }
    query.echo("hub.challenge", |query| {
        let given = query.param("hub.verify_token").unwrap_or_default();
        let ours = query.verify_token.map(|token| token.expose().as_bytes());
        match ours {
            Some(ours) if bool::from(bytes_equal(ours, given.as_bytes())) => Ok(()),
            _ => Err(Refused),
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::{Scheme, Verifier, VerifyError};

    // GitHub's published example holds for Meta's identical rule.
    const SECRET: &str = "It's a Secret to Everybody";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn accepts_the_rule_s_published_vector_and_refuses_tampering() {
        let v = Verifier::new(Scheme::meta(), SECRET).unwrap();
        let h = [("X-Hub-Signature-256", SIGNATURE)];
        assert_eq!(v.verify(&h, b"Hello, World!").unwrap().scheme, "meta");
        assert_eq!(
            v.verify(&h, b"Hello, World?").map(|_| ()),
            Err(VerifyError::NoMatchingSignature)
        );
    }
}
