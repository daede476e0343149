//! `sns`: Amazon SNS's HTTP(S) deliveries, RSA with the certificate the message names.
//!
//! Signing rule, as AWS's own message validators build it: the JSON body's `Signature` (base64)
//! is an RSA PKCS#1 v1.5 signature — `SignatureVersion` `1`: SHA1withRSA, `2`: SHA256withRSA —
//! made with the key of the certificate at `SigningCertURL`, over the canonical string
//! `Key\nValue\n` of these keys in this order, each when present: `Message`, `MessageId`,
//! `Subject`, `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type`. A `Notification` must hold
//! `Message`, `MessageId`, `Timestamp`, `TopicArn` and `Type`; a `SubscriptionConfirmation` or
//! `UnsubscribeConfirmation` also `SubscribeURL` and `Token`. Values are the decoded JSON strings.
//!
//! The certificate URL must be `https` on `sns.<region>.amazonaws.com` (or `.amazonaws.com.cn`)
//! and end in `.pem`; the certificate comes from the verifier's
//! [`CertificateSource`](crate::CertificateSource). SNS needs no secret: secrets, when given,
//! are the topic ARNs accepted (any other topic is refused). `Timestamp` is RFC 3339; AWS
//! documents no tolerance: 300 s (SNS retries keep the original timestamp: raise the tolerance
//! to your topic's retry policy). `MessageId` is reported as the webhook id, `Type` as the event
//! type.
//!
//! [`Signer`](crate::Signer) wraps a UTF-8 body as the `Message` of a `Notification` (version 2)
//! signed with the crate's test key, the secret being the topic ARN; a body that is itself a JSON
//! `{"Type":"SubscriptionConfirmation"|"UnsubscribeConfirmation","Token":..,"SubscribeURL":..}`
//! (`Message` optional) is signed as that confirmation instead. Verify such deliveries with
//! [`TEST_CERTIFICATE_PEM`](crate::TEST_CERTIFICATE_PEM) as a
//! [`GivenCertificate`](crate::GivenCertificate).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{CertificateRule, Input, Ops, Provider, SignInput, SignKey, Signed, VerifyKey};
use crate::certificate::{RsaDigest, https_url_on, test_sign};
use crate::handshake::{Handshake, Rule, SignedCheck};
use crate::timestamp::DEFAULT_TOLERANCE;
use crate::{Secret, Verified, VerifyError};

/// Where [`Signer`](crate::Signer)'s deliveries say their certificate is.
const TEST_CERT_URL: &str =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-webhook-verify-test.pem";

const RULE: CertificateRule = CertificateRule {
    url_allowed: |url| url.ends_with(".pem") && https_url_on(url, sns_host),
    secret_optional: true,
    subjects: &["sns.amazonaws.com"],
    url_in: |_, body| {
        #[derive(serde::Deserialize)]
        struct Named {
            #[serde(rename = "SigningCertURL")]
            url: String,
        }
        serde_json::from_slice::<Named>(body).ok().map(|n| n.url)
    },
    confirm_url_in: subscribe_url,
    confirm_url_allowed: subscribe_url_allowed,
};

/// `true` for a URL SNS may be asked to confirm a subscription at: `https` on
/// `sns.<region>.amazonaws.com`, as the certificate URLs.
fn subscribe_url_allowed(url: &str) -> bool {
    https_url_on(url, sns_host)
}

/// The `SubscribeURL` of a `SubscriptionConfirmation`.
fn subscribe_url(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Confirmation<'a> {
        #[serde(rename = "Type", borrow)]
        kind: Cow<'a, str>,
        #[serde(rename = "SubscribeURL")]
        url: String,
    }
    memchr::memmem::find(body, b"SubscriptionConfirmation")?;
    let message: Confirmation<'_> = serde_json::from_slice(body).ok()?;
    (message.kind == "SubscriptionConfirmation").then_some(message.url)
}

/// An authentic `SubscriptionConfirmation` or `UnsubscribeConfirmation`: answered `200`
/// without calling the handler. Confirming is [`Verifier::preparation`](crate::Verifier::preparation)'s
/// job (when enabled); otherwise the wait is logged, without the token.
fn confirmation(request: &SignedCheck<'_, '_>) -> Option<Handshake> {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "Type", borrow)]
        kind: Cow<'a, str>,
        #[serde(rename = "TopicArn", borrow)]
        topic: Option<Cow<'a, str>>,
    }
    if !request.mentions("Confirmation") {
        return None;
    }
    let message: Typed<'_> = request.json()?;
    let topic = message.topic.as_deref().unwrap_or_default();
    match &*message.kind {
        "SubscriptionConfirmation" if !request.confirm_subscriptions => tracing::info!(
            scheme = PROVIDER.name,
            topic,
            "SNS subscription awaits confirmation: enable confirm_subscriptions, or visit the \
             SubscribeURL of the message"
        ),
        "SubscriptionConfirmation" => {}
        "UnsubscribeConfirmation" => tracing::info!(
            scheme = PROVIDER.name,
            topic,
            "SNS unsubscribe confirmation received: not followed"
        ),
        _ => return None,
    }
    Some(request.answer_json(serde_json::json!({ "received": message.kind })))
}

/// `sns.<region>.amazonaws.com` or `sns.<region>.amazonaws.com.cn`, the region three or more of
/// `[a-z0-9-]`.
fn sns_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("sns.") else {
        return false;
    };
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"));
    region.is_some_and(|r| {
        r.len() >= 3
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

pub(super) const PROVIDER: Provider = Provider {
    name: "sns",
    aliases: &["amazon-sns", "aws-sns"],
    secret_is: "none (or the topic ARNs to accept)",
    signature_headers: &[],
    id_header: Some("x-amz-sns-message-id"),
    timestamp_header: None,
    event_type_header: Some("x-amz-sns-message-type"),
    kept_headers: &[
        "x-amz-sns-message-type",
        "x-amz-sns-message-id",
        "x-amz-sns-topic-arn",
        "x-amz-sns-subscription-arn",
    ],
    requires_url: false,
    timestamped: true,
    default_tolerance: DEFAULT_TOLERANCE,
    handshake: Some(Rule::Signed(confirmation)),
    certificates: Some(RULE),
    ops: Ops {
        verify,
        sign,
        verify_key: |secret: &Secret| Ok(VerifyKey::Name(secret.expose().trim().to_owned())),
        sign_key: |secret: &Secret| Ok(SignKey::Name(secret.expose().trim().to_owned())),
    },
};

/// An SNS message as delivered: the signed keys, and how it is signed.
#[derive(serde::Deserialize)]
struct Message<'a> {
    #[serde(rename = "Type", borrow)]
    kind: Cow<'a, str>,
    #[serde(rename = "Message", borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "MessageId", borrow)]
    message_id: Option<Cow<'a, str>>,
    #[serde(rename = "Subject", borrow)]
    subject: Option<Cow<'a, str>>,
    #[serde(rename = "SubscribeURL", borrow)]
    subscribe_url: Option<Cow<'a, str>>,
    #[serde(rename = "Timestamp", borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "Token", borrow)]
    token: Option<Cow<'a, str>>,
    #[serde(rename = "TopicArn", borrow)]
    topic_arn: Option<Cow<'a, str>>,
    #[serde(rename = "SignatureVersion", borrow)]
    signature_version: Cow<'a, str>,
    #[serde(rename = "Signature", borrow)]
    signature: Cow<'a, str>,
    #[serde(rename = "SigningCertURL", borrow)]
    signing_cert_url: Cow<'a, str>,
}

fn malformed(reason: &'static str) -> VerifyError {
    VerifyError::MalformedBody { reason }
}

impl Message<'_> {
    /// The canonical string AWS signs, or which required key is missing.
    fn canonical(&self) -> Result<String, VerifyError> {
        let confirmation = match &*self.kind {
            "Notification" => false,
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => true,
            _ => return Err(malformed("Type is not an SNS message type")),
        };
        let fields: [(&str, &Option<Cow<'_, str>>, bool); 7] = [
            ("Message", &self.message, true),
            ("MessageId", &self.message_id, true),
            ("Subject", &self.subject, false),
            ("SubscribeURL", &self.subscribe_url, confirmation),
            ("Timestamp", &self.timestamp, true),
            ("Token", &self.token, confirmation),
            ("TopicArn", &self.topic_arn, true),
        ];
        let mut out = String::new();
        for (key, value, required) in fields {
            match value {
                Some(value) => push_field(&mut out, key, value),
                None if required => return Err(malformed(MISSING)),
                None => {}
            }
        }
        push_field(&mut out, "Type", &self.kind);
        Ok(out)
    }
}

const MISSING: &str =
    "a key this SNS message type signs (Message, MessageId, Timestamp, TopicArn, ...) is missing";

fn push_field(out: &mut String, key: &str, value: &str) {
    for part in [key, "\n", value, "\n"] {
        out.push_str(part);
    }
}

fn parse_time(text: Option<&Cow<'_, str>>) -> Result<i64, VerifyError> {
    let text = text.ok_or(malformed(MISSING))?;
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| malformed("Timestamp is not an RFC 3339 timestamp"))
}

fn verify<'h>(input: &Input<'_, 'h>) -> Result<Verified<'h>, VerifyError> {
    let message: Message<'_> = serde_json::from_slice(input.body)
        .map_err(|_| malformed("not an SNS message (JSON with Type, Signature, SigningCertURL)"))?;
    let digest = match &*message.signature_version {
        "1" => RsaDigest::Sha1,
        "2" => RsaDigest::Sha256,
        _ => return Err(malformed("SignatureVersion must be 1 or 2")),
    };
    let canonical = message.canonical()?;
    let signature = BASE64
        .decode(message.signature.as_bytes())
        .map_err(|_| malformed("Signature is not base64"))?;
    let ts = parse_time(message.timestamp.as_ref())?;
    input.time.check(ts)?;
    let cert = input
        .certificate(&RULE, PROVIDER.name, &message.signing_cert_url)?
        .ok_or(malformed(
            "SigningCertURL is not an https .pem URL on sns.<region>.amazonaws.com",
        ))?;
    if !cert.verifies(digest, canonical.as_bytes(), &signature) {
        return Err(VerifyError::NoMatchingSignature);
    }
    let topic = message.topic_arn.as_deref().unwrap_or_default();
    let secret_index = if input.keys.is_empty() {
        0
    } else {
        input
            .keys
            .iter()
            .position(|key| matches!(key, VerifyKey::Name(arn) if arn == topic))
            .ok_or(malformed("TopicArn is not one of the topics this receiver accepts"))?
    };
    let mut verified = Verified::new(PROVIDER.name, secret_index);
    verified.webhook_id = message.message_id.map(|id| Cow::Owned(id.into_owned()));
    verified.timestamp = Some(ts);
    verified.event_type = Some(Cow::Owned(message.kind.into_owned()));
    Ok(verified)
}

/// A confirmation for [`Signer`](crate::Signer) to sign.
#[derive(serde::Deserialize)]
struct Confirmation<'a> {
    #[serde(rename = "Type", borrow)]
    kind: Cow<'a, str>,
    #[serde(rename = "Token", borrow)]
    token: Cow<'a, str>,
    #[serde(rename = "SubscribeURL", borrow)]
    subscribe_url: Cow<'a, str>,
    #[serde(rename = "Message", borrow)]
    message: Option<Cow<'a, str>>,
}

fn sign(input: &SignInput<'_>) -> Result<Signed, VerifyError> {
    let bad = |what| VerifyError::MissingSignInput {
        scheme: PROVIDER.name,
        what,
    };
    if input.id.is_empty() {
        return Err(bad("a non-empty message id"));
    }
    let body = std::str::from_utf8(input.body).map_err(|_| bad("a UTF-8 body (the Message)"))?;
    let timestamp = OffsetDateTime::from_unix_timestamp(input.timestamp)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or(bad("a timestamp between the years 0 and 9999"))?;
    let Some(topic) = input.keys.iter().find_map(|k| match k {
        SignKey::Name(name) => Some(name),
        _ => None,
    }) else {
        return Ok(Signed::headers(Vec::new()));
    };
    let confirmation = serde_json::from_str::<Confirmation<'_>>(body)
        .ok()
        .filter(|c| matches!(&*c.kind, "SubscriptionConfirmation" | "UnsubscribeConfirmation"));
    let (kind, body, token, subscribe_url) = match &confirmation {
        Some(c) => (
            &*c.kind,
            c.message.as_deref().unwrap_or("You have chosen to subscribe to the topic."),
            Some(&*c.token),
            Some(&*c.subscribe_url),
        ),
        None => ("Notification", body, None, None),
    };
    let message = Message {
        kind: Cow::Borrowed(kind),
        message: Some(Cow::Borrowed(body)),
        message_id: Some(Cow::Borrowed(input.id)),
        subject: None,
        subscribe_url: subscribe_url.map(Cow::Borrowed),
        timestamp: Some(Cow::Borrowed(&timestamp)),
        token: token.map(Cow::Borrowed),
        topic_arn: Some(Cow::Borrowed(topic)),
        signature_version: Cow::Borrowed("2"),
        signature: Cow::Borrowed(""),
        signing_cert_url: Cow::Borrowed(TEST_CERT_URL),
    };
    let signature = BASE64.encode(test_sign(RsaDigest::Sha256, message.canonical()?.as_bytes())?);
    let mut envelope = serde_json::json!({
        "Type": kind,
        "MessageId": input.id,
        "TopicArn": topic,
        "Message": body,
        "Timestamp": timestamp,
        "SignatureVersion": "2",
        "Signature": signature,
        "SigningCertURL": TEST_CERT_URL,
    });
    if let (Some(token), Some(url)) = (token, subscribe_url) {
        envelope["Token"] = token.into();
        envelope["SubscribeURL"] = url.into();
    }
    Ok(Signed {
        headers: vec![
            ("x-amz-sns-message-type".to_owned(), kind.to_owned()),
            ("x-amz-sns-message-id".to_owned(), input.id.to_owned()),
            ("x-amz-sns-topic-arn".to_owned(), topic.clone()),
            (
                "Content-Type".to_owned(),
                "text/plain; charset=UTF-8".to_owned(),
            ),
        ],
        body: Some(envelope.to_string().into_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::certificate::{RsaDigest, test_sign};
    use crate::{
        FixedClock, GivenCertificate, Rejection, Scheme, Signer, TEST_CERTIFICATE_PEM, Verifier,
        VerifyError,
    };

    const TOPIC: &str = "arn:aws:sns:us-west-2:123456789012:MyTopic";
    const NOW: i64 = 1_335_473_104;

    fn verifier(pem: &str, topics: &[&str]) -> Verifier {
        Verifier::builder(Scheme::sns())
            .secrets(topics.iter().copied())
            .certificates(GivenCertificate::from_pem(pem).unwrap())
            .clock(FixedClock(NOW))
            .build()
            .unwrap()
    }

    fn check(message: &Value) -> Result<usize, VerifyError> {
        verifier(TEST_CERTIFICATE_PEM, &[])
            .verify(&[("x-amz-sns-message-type", "Notification")], &message.to_string().into_bytes())
            .map(|v| v.secret_index)
    }

    /// AWS's documented SubscriptionConfirmation, signed here with the test key over the
    /// canonical string written out by hand.
    fn confirmation(version: &str) -> Value {
        let canonical = concat!(
            "Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\n",
            "To confirm the subscription, visit the SubscribeURL included in this message.\n",
            "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n",
            "SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37\n",
            "Timestamp\n2012-04-26T20:45:04.751Z\n",
            "Token\n2336412f37\n",
            "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n",
            "Type\nSubscriptionConfirmation\n",
        );
        let digest = if version == "1" { RsaDigest::Sha1 } else { RsaDigest::Sha256 };
        let signature = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            test_sign(digest, canonical.as_bytes()).unwrap(),
        );
        json!({
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
            "Timestamp": "2012-04-26T20:45:04.751Z",
            "SignatureVersion": version,
            "Signature": signature,
            "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
        })
    }

    #[test]
    fn both_signature_versions_verify_the_canonical_string() {
        assert_eq!(check(&confirmation("1")), Ok(0));
        assert_eq!(check(&confirmation("2")), Ok(0));
    }

    #[test]
    fn every_signed_key_is_covered() {
        for key in ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"] {
            let mut message = confirmation("2");
            let old = message[key].as_str().unwrap();
            // The timestamp's milliseconds, so that only the signature can tell.
            let value = if key == "Timestamp" {
                old.replace(".751Z", ".752Z")
            } else {
                old.replacen('2', "3", 1)
            };
            message[key] = Value::String(value);
            assert_eq!(check(&message), Err(VerifyError::NoMatchingSignature), "{key}");
        }
        let mut typed = confirmation("2");
        typed["Type"] = json!("UnsubscribeConfirmation");
        assert_eq!(check(&typed), Err(VerifyError::NoMatchingSignature));
        let mut subject = confirmation("2");
        subject["Subject"] = json!("added");
        assert_eq!(check(&subject), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn the_wrong_algorithm_or_certificate_is_refused() {
        let mut swapped = confirmation("1");
        swapped["SignatureVersion"] = json!("2");
        assert_eq!(check(&swapped), Err(VerifyError::NoMatchingSignature));
        let mut unknown = confirmation("2");
        unknown["SignatureVersion"] = json!("3");
        assert!(matches!(check(&unknown), Err(VerifyError::MalformedBody { .. })));
        let other = verifier(include_str!("../../tests/data/other-cert.pem"), &[]);
        let body = confirmation("2").to_string().into_bytes();
        let none: [(&str, &str); 0] = [];
        assert_eq!(other.verify(&none, &body).map(|_| ()), Err(VerifyError::NoMatchingSignature));
    }

    #[test]
    fn a_certificate_url_off_the_sns_hosts_is_refused() {
        for url in [
            "http://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.pem",
            "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-1.txt",
            "https://s3.amazonaws.com/evil/SimpleNotificationService-1.pem",
            "https://sns.us-west-2.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-west-2.amazonaws.com/x.pem",
            "https://sns.x.amazonaws.com/x.pem",
        ] {
            let mut message = confirmation("2");
            message["SigningCertURL"] = json!(url);
            let err = check(&message).unwrap_err();
            assert!(matches!(err, VerifyError::MalformedBody { .. }), "{url}: {err}");
            assert_eq!(Rejection::from(err).status(), 401);
        }
        let mut china = confirmation("2");
        china["SigningCertURL"] = json!("https://sns.cn-north-1.amazonaws.com.cn/c.pem");
        assert_eq!(check(&china), Ok(0));
    }

    #[test]
    fn configured_topics_restrict_what_is_accepted() {
        let body = confirmation("2").to_string().into_bytes();
        let none: [(&str, &str); 0] = [];
        let topics = verifier(TEST_CERTIFICATE_PEM, &["arn:aws:sns:us-east-1:1:Other", TOPIC]);
        assert_eq!(topics.verify(&none, &body).map(|v| v.secret_index), Ok(1));
        let other = verifier(TEST_CERTIFICATE_PEM, &["arn:aws:sns:us-east-1:1:Other"]);
        assert!(matches!(
            other.verify(&none, &body),
            Err(VerifyError::MalformedBody { .. })
        ));
    }

    #[test]
    fn a_signed_notification_round_trips() {
        let signed = Signer::new(Scheme::sns(), TOPIC)
            .unwrap()
            .sign_delivery(None, "msg-1", NOW, b"{\"order\":42}")
            .unwrap();
        let verified = verifier(TEST_CERTIFICATE_PEM, &[TOPIC])
            .verify(&signed.headers, &signed.body)
            .unwrap();
        assert_eq!(verified.webhook_id.as_deref(), Some("msg-1"));
        assert_eq!(verified.event_type.as_deref(), Some("Notification"));
        assert_eq!(verified.timestamp, Some(NOW));
        let mut message: Value = serde_json::from_slice(&signed.body).unwrap();
        message["Message"] = json!("{\"order\":43}");
        assert_eq!(check(&message), Err(VerifyError::NoMatchingSignature));
    }
}
