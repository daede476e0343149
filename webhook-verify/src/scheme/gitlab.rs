//! `gitlab`: GitLab's `X-Gitlab-Token`.
//!
//! Rule: GitLab signs nothing; it sends the webhook's secret token as is in `X-Gitlab-Token`.
//! The token is compared in constant time (as SHA-256 digests, so that not even its length leaks
//! through timing). Since only GitLab knows the token, the `X-Gitlab-Event-UUID` it sends is
//! reported as the webhook id and `X-Gitlab-Event` as the event type. Use TLS: the token crosses
//! the wire in clear.


use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use super::{Input, Ops, Provider, SignInput, SignKey, Signed, VerifyKey};
use crate::headers::HeaderKey;
use crate::mac::sha256;
use crate::secret::KeyBytes;
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, Verified, VerifyError};

static TOKEN: HeaderKey = HeaderKey::new("X-Gitlab-Token", "x-gitlab-token");
static EVENT: HeaderKey = HeaderKey::new("X-Gitlab-Event", "x-gitlab-event");
static UUID: HeaderKey = HeaderKey::new("X-Gitlab-Event-UUID", "x-gitlab-event-uuid");

pub(super) const PROVIDER: Provider = Provider {
    name: "gitlab",
    aliases: &[],
    secret_is: "the secret token",
    signature_headers: &["X-Gitlab-Token"],
    id_header: Some("X-Gitlab-Event-UUID"),
    timestamp_header: None,
    event_type_header: Some("X-Gitlab-Event"),
    kept_headers: &[
        "x-gitlab-event",
        "x-gitlab-event-uuid",
        "x-gitlab-webhook-uuid",
        "x-gitlab-instance",
        "idempotency-key",
    ],
    requires_url: false,
    timestamped: false,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: None,
    certificates: None,
    ops: Ops {
        verify,
        sign,
        verify_key: |secret: &Secret| {
            Ok(VerifyKey::TokenDigest(sha256(&[secret.expose().as_bytes()])))
        },
        sign_key: |secret: &Secret| {
            Ok(SignKey::Token(KeyBytes::new(
                secret.expose().as_bytes().to_vec(),
            )))
        },
    },
};

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let token = TOKEN.required(input.headers)?;
    let digest = sha256(&[token]);
    let mut found = Choice::from(0);
    let mut index = 0u32;
    for (i, key) in input.keys.iter().enumerate() {
        if let VerifyKey::TokenDigest(expected) = key {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let matched = expected.ct_eq(&digest);
            index.conditional_assign(&i, matched & !found);
            found |= matched;
        }
    }
    if !bool::from(found) {
        return Err(VerifyError::NoMatchingSignature);
    }
    let mut verified = Verified::new("gitlab", index as usize);
    verified.webhook_id = UUID.text(input.headers);
    verified.event_type = EVENT.text(input.headers);
    Ok(verified)
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let Some(SignKey::Token(token)) = input.keys.first() else {
        return Ok(Signed::headers(Vec::new()));
    };
    let token = String::from_utf8_lossy(token).into_owned();
    let mut headers = vec![(TOKEN.text.to_string(), token)];
    if !input.id.is_empty() {
        headers.push((UUID.text.to_string(), input.id.to_owned()));
    }
    Ok(Signed::headers(headers))
}

#[cfg(test)]
mod tests {
    use crate::{Scheme, Signer, Verifier, VerifyError};

    #[test]
    fn the_token_must_equal_one_of_the_secrets() {
        let v = Verifier::builder(Scheme::gitlab())
            .secrets(["old-token", "glwt-token"])
            .build()
            .unwrap();
        let h = [
            ("X-Gitlab-Token", "glwt-token"),
            ("X-Gitlab-Event", "Push Hook"),
            ("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e"),
        ];
        let verified = v.verify(&h, b"{}").unwrap();
        assert_eq!(verified.secret_index, 1);
        assert_eq!(verified.event_type.as_deref(), Some("Push Hook"));
        assert_eq!(
            verified.webhook_id.as_deref(),
            Some("13792a34-cac6-4fda-95a8-c58e00a3954e")
        );
        for wrong in ["glwt-toke", "glwt-tokenx", "GLWT-TOKEN", ""] {
            assert_eq!(
                v.verify(&[("X-Gitlab-Token", wrong)], b"{}").map(|_| ()),
                Err(VerifyError::NoMatchingSignature),
                "{wrong}"
            );
        }
        assert!(matches!(
            v.verify(&[("X-Other", "glwt-token")], b"{}"),
            Err(VerifyError::MissingHeader { .. })
        ));
    }

    #[test]
    fn signing_sends_the_token() {
        let h = Signer::new(Scheme::gitlab(), "glwt-token")
            .unwrap()
            .sign("id-1", 0, b"{}")
            .unwrap();
        assert_eq!(h[0], ("X-Gitlab-Token".to_owned(), "glwt-token".to_owned()));
        let shown = format!("{:?}", Signer::new(Scheme::gitlab(), "glwt-token").unwrap());
        assert!(!shown.contains("glwt"), "{shown}");
    }
}
