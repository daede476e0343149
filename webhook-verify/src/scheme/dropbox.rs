//! `dropbox`: Dropbox's `X-Dropbox-Signature`.
//!
//! Signing rule: `X-Dropbox-Signature: <hex(HMAC-SHA256(app secret, body))>`, the key being the
//! app secret's bytes. No timestamp or id is signed.
//!
//! Handshake: `GET ?challenge=C` (unsigned) is answered with `C` (see
//! [`handshake`](crate::handshake)).

use super::shared::{BodyHmac, sign_with};
use crate::headers::HeaderKey;
use super::{Encoding, HmacSha256, Provider};
use crate::handshake::Rule;

static CONFIG: HmacSha256 = HmacSha256::preset(
    "dropbox",
    HeaderKey::new("X-Dropbox-Signature", "x-dropbox-signature"),
    None,
    Encoding::Hex,
);

pub(super) const PROVIDER: Provider = BodyHmac {
    name: "dropbox",
    secret_is: "the app secret",
    signature_headers: &["X-Dropbox-Signature"],
    id: None,
    event_type: None,
    kept: &["x-dropbox-signature"],
    verify: |input| CONFIG.verify(input),
    sign: |input| sign_with(&CONFIG, input),
}
.provider()
.with_handshake(Rule::Unsigned(|query| query.echo("challenge", |_| Ok(()))));

#[cfg(test)]
mod tests {
    use crate::{Scheme, Verifier, VerifyError};

    // Computed with Python's hmac module, independently of this crate.
    const SECRET: &str = "dropbox-app-secret";
    const BODY: &[u8] = br#"{"list_folder":{"accounts":["dbid:1"]}}"#;
    const SIGNATURE: &str = "3f6f0f8154ef3e54dcc9981e1bae437320227e01c5685693a2df5263027ef854";

    #[test]
    fn accepts_the_independent_vector_and_refuses_tampering() {
        let v = Verifier::builder(Scheme::dropbox())
            .secrets(["old", SECRET])
            .build()
            .unwrap();
        let h = [("X-Dropbox-Signature", SIGNATURE)];
        assert_eq!(v.verify(&h, BODY).map(|v| v.secret_index), Ok(1));
        assert_eq!(
            v.verify(&h, b"{}").map(|_| ()),
            Err(VerifyError::NoMatchingSignature)
        );
        let prefixed = [("X-Dropbox-Signature", format!("sha256={SIGNATURE}"))];
        assert!(v.verify(&prefixed, BODY).is_err());
    }
}
