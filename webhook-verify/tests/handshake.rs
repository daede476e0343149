//! The providers' endpoint checks through `Verifier::receive`: each answered as its provider
//! asks, only when authentic where the provider signs it, never mistaken for a delivery.

use webhook_verify::{FixedClock, Handshake, Received, Scheme, Signer, Verifier, VerifyError};

const NOW: i64 = 1_700_000_000;
const HOST: [(&str, &str); 1] = [("host", "example.com")];

fn verifier(scheme: Scheme, secret: &str) -> Verifier {
    Verifier::builder(scheme)
        .secret("an-older-secret")
        .secret(secret)
        .verify_token("my-verify-token")
        .clock(FixedClock(NOW))
        .build()
        .unwrap()
}

/// Signs `body` as the provider would and hands it to `receive`.
fn receive_signed(
    scheme: Scheme,
    secret: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Result<Received<'static>, VerifyError> {
    let mut headers = Signer::new(scheme.clone(), secret)
        .unwrap()
        .sign("msg-1", NOW, body)
        .unwrap();
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    verifier(scheme, secret)
        .receive("POST", "/hooks", &headers, body)
        .map(|r| match r {
            Received::Delivery(v) => Received::Delivery(v.into_owned()),
            Received::Handshake(h) => Received::Handshake(h),
        })
}

fn answer(received: Result<Received<'_>, VerifyError>) -> Handshake {
    match received {
        Ok(Received::Handshake(h)) => h,
        other => panic!("expected a handshake, got {other:?}"),
    }
}

fn is_delivery(received: Result<Received<'_>, VerifyError>) -> bool {
    matches!(received, Ok(Received::Delivery(_)))
}

#[test]
fn slack_url_verification_is_answered_with_its_challenge() {
    let body = br#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let h = answer(receive_signed(Scheme::slack(), "slack-secret", &[], body));
    assert_eq!(h.scheme, "slack");
    assert_eq!((h.status, h.content_type), (200, "text/plain"));
    assert_eq!(
        h.body,
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[test]
fn an_event_that_mentions_url_verification_is_a_delivery() {
    let body = br#"{"type":"event_callback","event":{"text":"url_verification"}}"#;
    assert!(is_delivery(receive_signed(
        Scheme::slack(),
        "slack-secret",
        &[],
        body
    )));
}

#[test]
fn a_forged_signed_check_is_refused_like_any_forgery() {
    let body = br#"{"challenge":"abc","type":"url_verification"}"#;
    let forged = [
        ("X-Slack-Request-Timestamp", NOW.to_string()),
        ("X-Slack-Signature", format!("v0={}", "0".repeat(64))),
    ];
    let result = verifier(Scheme::slack(), "slack-secret").receive("POST", "/", &forged, body);
    assert_eq!(result.unwrap_err(), VerifyError::NoMatchingSignature);
}

#[test]
fn a_challenge_that_could_be_markup_is_not_echoed() {
    let body = br#"{"challenge":"<script>alert(1)</script>","type":"url_verification"}"#;
    assert!(is_delivery(receive_signed(
        Scheme::slack(),
        "slack-secret",
        &[],
        body
    )));
}

#[test]
fn zoom_url_validation_returns_the_hmac_of_the_plain_token() {
    let body = br#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let h = answer(receive_signed(
        Scheme::zoom(),
        "zoom-secret-token",
        &[],
        body,
    ));
    assert_eq!((h.status, h.content_type), (200, "application/json"));
    let json: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    // hex(HMAC-SHA256("zoom-secret-token", "qgg8vlvZRS6UYooatFL8Aw")), by Python's hmac module;
    // keyed with the secret that verified (the second of two).
    assert_eq!(
        json,
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "d9e0d764a78494688ba3f2d5c0ed4ca311394b4834d959759213424d2df961e3",
        })
    );
}

#[test]
fn twitch_callback_verification_is_answered_with_its_challenge() {
    let body = br#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"type":"channel.follow"}}"#;
    let kind = [(
        "Twitch-Eventsub-Message-Type",
        "webhook_callback_verification",
    )];
    let h = answer(receive_signed(
        Scheme::twitch(),
        "twitch-secret",
        &kind,
        body,
    ));
    assert_eq!((h.status, h.content_type), (200, "text/plain"));
    assert_eq!(h.body, "pogchamp-kappa-360noscope-vohiyo");

    let notification = [("Twitch-Eventsub-Message-Type", "notification")];
    assert!(is_delivery(receive_signed(
        Scheme::twitch(),
        "twitch-secret",
        &notification,
        body
    )));
}

#[test]
fn dropbox_get_challenge_is_echoed_without_a_signature() {
    let v = verifier(Scheme::dropbox(), "dropbox-secret");
    let h = answer(v.receive("GET", "/dropbox?challenge=AbC-123", &HOST, b""));
    assert_eq!(
        (h.status, h.content_type, h.body.as_str()),
        (200, "text/plain", "AbC-123")
    );
    // Not a GET, or no challenge: an ordinary request, verified as one.
    for (method, path) in [("POST", "/dropbox?challenge=x"), ("GET", "/dropbox")] {
        assert!(matches!(
            v.receive(method, path, &HOST, b"").unwrap_err(),
            VerifyError::MissingHeader { .. }
        ));
    }
}

#[test]
fn meta_subscribe_needs_the_configured_verify_token() {
    let v = verifier(Scheme::meta(), "app-secret");
    let check = |token: &str| {
        let path =
            format!("/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}");
        v.receive("GET", &path, &HOST, b"").map(|r| match r {
            Received::Handshake(h) => h.body,
            Received::Delivery(_) => panic!("not a delivery"),
        })
    };
    assert_eq!(check("my-verify-token").as_deref(), Ok("1158201444"));
    assert_eq!(
        check("my-verify-toke"),
        Err(VerifyError::VerifyTokenMismatch)
    );
    assert_eq!(check(""), Err(VerifyError::VerifyTokenMismatch));
    let refused = webhook_verify::Rejection::from(VerifyError::VerifyTokenMismatch);
    assert_eq!(refused.status(), 403);

    let unconfigured = Verifier::new(Scheme::meta(), "app-secret").unwrap();
    let path = "/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=";
    assert_eq!(
        unconfigured.receive("GET", path, &HOST, b"").unwrap_err(),
        VerifyError::VerifyTokenMismatch
    );
}

#[test]
fn schemes_without_a_handshake_only_verify() {
    let v = verifier(Scheme::github(), "gh-secret");
    let err = v
        .receive("GET", "/gh?challenge=abc&hub.challenge=1", &HOST, b"")
        .unwrap_err();
    assert!(matches!(err, VerifyError::MissingHeader { .. }));
    let body = br#"{"type":"url_verification","challenge":"abc"}"#;
    assert!(is_delivery(receive_signed(
        Scheme::github(),
        "gh-secret",
        &[],
        body
    )));
}

/// RFC 8032 test key 1: the seed and public key Discord's signer holds, and the public key
/// the endpoint is configured with (after another application's key: rotation).
const DISCORD_PRIVATE: &str = concat!(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
);
const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const DISCORD_OTHER: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";

fn discord_receive(
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Received<'static>, VerifyError> {
    Verifier::builder(Scheme::discord())
        .secrets([DISCORD_OTHER, DISCORD_PUBLIC])
        .clock(FixedClock(NOW))
        .build()
        .unwrap()
        .receive("POST", "/interactions", headers, body)
        .map(|r| match r {
            Received::Delivery(v) => Received::Delivery(v.into_owned()),
            Received::Handshake(h) => Received::Handshake(h),
        })
}

fn discord_signed(body: &[u8]) -> Vec<(String, String)> {
    Signer::new(Scheme::discord(), DISCORD_PRIVATE)
        .unwrap()
        .sign("", NOW, body)
        .unwrap()
}

#[test]
fn discord_ping_is_answered_with_a_pong() {
    // Discord's PING carries more than its type; only the type matters.
    let body = br#"{"application_id":"11","id":"22","token":"tok","type":1,"version":1}"#;
    let h = answer(discord_receive(&discord_signed(body), body));
    assert_eq!(h.scheme, "discord");
    assert_eq!((h.status, h.content_type), (200, "application/json"));
    assert_eq!(h.body, r#"{"type":1}"#);
}

#[test]
fn discord_interactions_other_than_ping_are_deliveries() {
    for body in [
        &br#"{"type":2,"data":{"name":"type1"}}"#[..],
        br#"{"type":"1"}"#,
        br#"{"kind":1}"#,
        b"not json",
    ] {
        let received = discord_receive(&discord_signed(body), body);
        assert!(is_delivery(received), "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn a_forged_discord_ping_is_refused() {
    let body = br#"{"type":1}"#;
    let mut headers = discord_signed(body);
    headers[1].1 = "00".repeat(64);
    assert_eq!(
        discord_receive(&headers, body).unwrap_err(),
        VerifyError::NoMatchingSignature
    );
    // Signed for another body: the PING's signature does not carry over.
    let other = discord_signed(br#"{"type":2}"#);
    assert_eq!(
        discord_receive(&other, body).unwrap_err(),
        VerifyError::NoMatchingSignature
    );
}
