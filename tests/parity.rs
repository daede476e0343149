//! Both adapters answer alike: one table of raw HTTP requests, each sent over a socket to an
//! axum receiver and to an actix-web receiver built the same way (verify, then once per event,
//! then the same handler), and every answer's status, body and chosen headers compared with the
//! table's. A difference between the adapters fails here, whichever side it is on.
mod support;

use std::time::Duration;

use actix_web::web;
use axum::{Extension, Router, body::Bytes, routing::post};
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use webhook_idempotency::{IdempotencyGuard, IdempotencyKey, MemoryStore};
use webhook_verify::{Scheme, Verifier};

/// The receivers' body limit, small enough to pass in a test.
const LIMIT: usize = 1024;

fn limited_verifier() -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(LIMIT)
        .build()
        .unwrap()
}

/// The handler of both receivers: `ok` for an event envelope, `422` otherwise.
fn handle(body: &[u8]) -> Result<&'static str, webhook_verify::Rejection> {
    serde_json::from_slice::<webhook_verify::envelope::Envelope>(body)
        .map(|_| "ok")
        .map_err(|_| webhook_verify::Rejection::new(422, "body is not a known event envelope"))
}

async fn axum_url() -> String {
    axum_url_with(limited_verifier()).await
}

async fn axum_url_with(verifier: Verifier) -> String {
    async fn receive(
        Extension(_key): Extension<IdempotencyKey>,
        body: Bytes,
    ) -> Result<&'static str, webhook_axum::WebhookRejection> {
        handle(&body).map_err(Into::into)
    }
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let app = Router::new()
        .route("/webhooks", post(receive))
        .route_layer(webhook_axum::IdempotencyLayer::new(guard))
        .route_layer(webhook_axum::VerifyWebhookLayer::new(verifier));
    axum_receiver(app).await
}

fn actix() -> ActixReceiver {
    actix_with(limited_verifier())
}

fn actix_with(verifier: Verifier) -> ActixReceiver {
    async fn receive(body: web::Bytes) -> Result<&'static str, webhook_actix::WebhookRejection> {
        handle(&body).map_err(Into::into)
    }
    let guard = IdempotencyGuard::new(MemoryStore::new());
    ActixReceiver::start(move |config| {
        config.service(
            web::resource("/webhooks")
                .wrap(webhook_actix::Idempotency::new(guard.clone()))
                .wrap(webhook_actix::VerifyWebhook::new(verifier.clone()))
                .route(web::post().to(receive)),
        );
    })
}

/// One row: a request, and the answer both receivers must give.
struct Case {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    body: &'static str,
    /// Headers the answer must carry, lower-case name and exact value.
    headers: &'static [(&'static str, &'static str)],
}

/// `POST /webhooks` with `headers` (name, value) and `body`, `Connection: close`.
fn request(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut head =
        String::from("POST /webhooks HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n");
    head.push_str("Content-Type: application/json\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    [head.into_bytes(), body.to_vec()].concat()
}

fn table() -> Vec<Case> {
    let event_body = event("evt_parity", "resource.created");
    let signed = sign(&event_body);
    let other_body = event("evt_parity_other", "resource.created");
    let same_id_other_body = {
        let mut value: serde_json::Value = serde_json::from_slice(&event_body).unwrap();
        value["data"]["object"]["name"] = "changed".into();
        serde_json::to_vec(&value).unwrap()
    };
    let not_an_envelope = br#"{"hello":"world"}"#;
    let big = vec![b' '; LIMIT + 1];
    let over_limit_head = format!(
        "POST /webhooks HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n\
         X-Webhook-Signature: sha256=00\r\nContent-Length: {}\r\n\r\n",
        10 * LIMIT
    );
    vec![
        Case {
            name: "valid",
            request: request(&signed, &event_body),
            status: 200,
            body: "ok",
            headers: &[],
        },
        Case {
            name: "duplicate of a processed event",
            request: request(&signed, &event_body),
            status: 200,
            body: r#"{"status":"duplicate"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "same id, another body",
            request: request(&sign(&same_id_other_body), &same_id_other_body),
            status: 422,
            body: r#"{"error":"this event id was already received with a different body"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "tampered body",
            request: request(&signed, &other_body),
            status: 401,
            body: r#"{"error":"no signature matches the body"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "wrong secret",
            request: request(&sign_with("not-the-secret", &other_body), &other_body),
            status: 401,
            body: r#"{"error":"no signature matches the body"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "missing signature",
            request: request(&[], &other_body),
            status: 401,
            body: r#"{"error":"missing header X-Webhook-Signature"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "signature not hex",
            request: request(
                &[(
                    "X-Webhook-Signature".into(),
                    format!("sha256={}", "z".repeat(64)),
                )],
                &other_body,
            ),
            status: 401,
            body: r#"{"error":"header X-Webhook-Signature holds a signature that is not valid hex"}"#,
            headers: &[("content-type", "application/json")],
        },
        Case {
            name: "Content-Length over the limit, no body sent",
            request: over_limit_head.into_bytes(),
            status: 413,
            body: r#"{"error":"body exceeds the 1024-byte limit"}"#,
            headers: &[
                ("content-type", "application/json"),
                ("connection", "close"),
            ],
        },
        Case {
            name: "body over the limit",
            request: request(&sign(&big), &big),
            status: 413,
            body: r#"{"error":"body exceeds the 1024-byte limit"}"#,
            headers: &[
                ("content-type", "application/json"),
                ("connection", "close"),
            ],
        },
        Case {
            name: "authentic, but not an event",
            request: request(&sign(not_an_envelope), not_an_envelope),
            status: 422,
            body: r#"{"error":"body is not a known event envelope"}"#,
            headers: &[("content-type", "application/json")],
        },
    ]
}

/// What a receiver answered a raw request: status, lower-cased headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

async fn exchange(url: &str, request: &[u8]) -> Answer {
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("no complete answer within 10 s")
        .ok(); // a reset after a refusal ends the read; the answer is already in `raw`
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.get(9..12))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

#[tokio::test]
async fn axum_and_actix_answer_every_request_of_the_table_alike() {
    let axum = axum_url().await;
    let actix = actix();
    let mut differences = Vec::new();
    for case in table() {
        for (adapter, url) in [("axum", axum.as_str()), ("actix-web", actix.url().as_str())] {
            let answer = exchange(url, &case.request).await;
            if (answer.status, answer.body.as_str()) != (case.status, case.body) {
                differences.push(format!(
                    "{adapter}, {}: {} {:?}, expected {} {:?}",
                    case.name, answer.status, answer.body, case.status, case.body
                ));
            }
            for (name, value) in case.headers {
                let got = answer
                    .headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v);
                if got.map(String::as_str) != Some(*value) {
                    differences.push(format!(
                        "{adapter}, {}: header {name} is {got:?}, expected {value:?}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(differences.is_empty(), "\n{}", differences.join("\n"));
}

/// What the adapters hand a verifier's recorder (a dashboard's delivery log), kept as a list.
#[derive(Default, Clone)]
struct Recorded(std::sync::Arc<std::sync::Mutex<Vec<webhook_verify::delivery::Delivery>>>);

impl webhook_verify::delivery::DeliveryRecorder for Recorded {
    fn record(&self, delivery: webhook_verify::delivery::Delivery) {
        self.0.lock().unwrap().push(delivery);
    }
}

impl Recorded {
    /// Each delivery as the fields both adapters must agree on.
    fn rows(&self) -> Vec<String> {
        let rows = self.0.lock().unwrap();
        rows.iter()
            .map(|d| {
                format!(
                    "{} {} {:?} {} {:?} {:?} {} {:?} {:?}",
                    d.status,
                    d.outcome.as_str(),
                    d.reason,
                    d.path,
                    d.event_type,
                    d.webhook_id,
                    d.body_len,
                    d.headers,
                    d.source,
                )
            })
            .collect()
    }
}

#[tokio::test]
async fn axum_and_actix_hand_the_recorder_the_same_deliveries() {
    let verifier = |log: &Recorded| {
        Verifier::builder(Scheme::hmac_sha256())
            .secret(SECRET)
            .body_limit(LIMIT)
            .recorder(log.clone())
            .build()
            .unwrap()
    };
    let (axum_log, actix_log) = (Recorded::default(), Recorded::default());
    let axum = axum_url_with(verifier(&axum_log)).await;
    let actix = actix_with(verifier(&actix_log));
    let table = table();
    for case in &table {
        exchange(&axum, &case.request).await;
        exchange(actix.url().as_str(), &case.request).await;
    }
    let (axum_rows, actix_rows) = (axum_log.rows(), actix_log.rows());
    assert_eq!(axum_rows.len(), table.len(), "{axum_rows:#?}");
    assert_eq!(axum_rows, actix_rows);
    // Every delivery, refused ones too, carries the sender's address.
    let loopback = Some(std::net::IpAddr::from([127, 0, 0, 1]));
    assert!(
        axum_log
            .0
            .lock()
            .unwrap()
            .iter()
            .all(|d| d.source == loopback)
    );
    // The table's outcomes, in order, as the recorder saw them.
    let outcomes: Vec<&str> = axum_log
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.outcome.as_str())
        .collect();
    assert!(
        outcomes.contains(&"accepted") && outcomes.contains(&"duplicate"),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&"refused") && outcomes.contains(&"conflict"),
        "{outcomes:?}"
    );
}

/// The URL-signed schemes behind a proxy: the adapters rebuild the URL the sender signed from
/// the verifier's `PublicUrl`, not from the address the application listens on.
mod url_signed {
    use super::*;
    use webhook_verify::{PublicUrl, Request, Signer};

    const KEY: &str = "square-signature-key";
    const PUBLIC: &str = "https://hooks.example.com";

    fn verifier(public_url: PublicUrl) -> Verifier {
        Verifier::builder(Scheme::square())
            .secret(KEY)
            .public_url(public_url)
            .build()
            .unwrap()
    }

    async fn axum_url(public_url: PublicUrl) -> String {
        let app = Router::new()
            .route("/webhooks", post(|| async { "ok" }))
            .route_layer(webhook_axum::VerifyWebhookLayer::new(verifier(public_url)));
        axum_receiver(app).await
    }

    fn actix(public_url: PublicUrl) -> ActixReceiver {
        ActixReceiver::start(move |config| {
            config.service(
                web::resource("/webhooks")
                    .wrap(webhook_actix::VerifyWebhook::new(verifier(
                        public_url.clone(),
                    )))
                    .route(web::post().to(|| async { "ok" })),
            );
        })
    }

    /// Square's headers for `body` sent to `url`, plus `extra` headers.
    fn signed(url: &str, body: &[u8], extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let request = Request::post(url);
        let signer = Signer::new(Scheme::square(), KEY).unwrap();
        let mut headers = signer
            .sign_delivery(Some(&request), "", 0, body)
            .unwrap()
            .headers;
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        headers
    }

    async fn answers(url: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
        // `request` targets /webhooks; this test's deliveries carry a query too.
        let raw = String::from_utf8_lossy(&request(headers, body)).replacen(
            "POST /webhooks HTTP/1.1",
            "POST /webhooks?shop=1 HTTP/1.1",
            1,
        );
        exchange(url, raw.as_bytes()).await.status
    }

    #[tokio::test]
    async fn both_adapters_verify_against_the_configured_public_url() {
        let body = br#"{"type":"payment.updated"}"#;
        let genuine = signed(&format!("{PUBLIC}/webhooks?shop=1"), body, &[]);
        let internal = signed("http://127.0.0.1/webhooks?shop=1", body, &[]);
        let actix = actix(PublicUrl::base(PUBLIC));
        for url in [axum_url(PublicUrl::base(PUBLIC)).await, actix.url()] {
            assert_eq!(answers(&url, &genuine, body).await, 200, "{url}");
            // Signed for the address the app sees: not what the sender signs.
            assert_eq!(answers(&url, &internal, body).await, 401, "{url}");
        }
    }

    #[tokio::test]
    async fn both_adapters_can_trust_the_proxy_s_forwarded_headers() {
        let body = br#"{"type":"payment.created"}"#;
        let forwarded = [
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "hooks.example.com"),
        ];
        let genuine = signed(&format!("{PUBLIC}/webhooks?shop=1"), body, &forwarded);
        let elsewhere = [
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "elsewhere.example"),
        ];
        let moved = signed(&format!("{PUBLIC}/webhooks?shop=1"), body, &elsewhere);
        let actix = actix(PublicUrl::Forwarded);
        for url in [axum_url(PublicUrl::Forwarded).await, actix.url()] {
            assert_eq!(answers(&url, &genuine, body).await, 200, "{url}");
            assert_eq!(answers(&url, &moved, body).await, 401, "{url}");
        }
    }
}

/// The providers' endpoint checks: both adapters answer them alike, without calling the
/// handler (whose `handler ran` would show in the answer).
mod handshakes {
    use super::*;
    use webhook_verify::Signer;

    const SLACK: &str = "slack-signing-secret";
    /// RFC 8032 test key 1: Discord's key pair (seed then public key), and its public key.
    const DISCORD_PRIVATE: &str = concat!(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn verifier(scheme: Scheme) -> Verifier {
        let secret = if scheme.name() == "discord" {
            DISCORD_PUBLIC
        } else {
            SLACK
        };
        Verifier::builder(scheme)
            .secret(secret)
            .verify_token("my-verify-token")
            .build()
            .unwrap()
    }

    async fn axum_url(scheme: Scheme) -> String {
        let handler = || async { "handler ran" };
        let app = Router::new()
            .route("/webhooks", post(handler).get(handler))
            .route_layer(webhook_axum::VerifyWebhookLayer::new(verifier(scheme)));
        axum_receiver(app).await
    }

    fn actix(scheme: Scheme) -> ActixReceiver {
        ActixReceiver::start(move |config| {
            config.service(
                web::resource("/webhooks")
                    .wrap(webhook_actix::VerifyWebhook::new(verifier(scheme.clone())))
                    .route(web::post().to(|| async { "handler ran" })),
            );
        })
    }

    fn get(path_and_query: &str) -> Vec<u8> {
        format!("GET {path_and_query} HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n\r\n")
            .into_bytes()
    }

    async fn both_answer(scheme: Scheme, raw: &[u8], status: u16, body: &str, content_type: &str) {
        let actix = actix(scheme.clone());
        for (adapter, url) in [("axum", axum_url(scheme).await), ("actix-web", actix.url())] {
            let answer = exchange(&url, raw).await;
            assert_eq!(
                (answer.status, answer.body.as_str()),
                (status, body),
                "{adapter}"
            );
            let header = |name: &str| {
                answer
                    .headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(
                header("content-type").as_deref(),
                Some(content_type),
                "{adapter}"
            );
            if status == 200 && body != "handler ran" {
                assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
            }
        }
    }

    #[tokio::test]
    async fn slack_url_verification_gets_its_challenge_back() {
        let body =
            br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595","type":"url_verification"}"#;
        let signer = Signer::new(Scheme::slack(), SLACK).unwrap();
        let headers = signer.sign("", webhook_testkit::now(), body).unwrap();
        let raw = request(&headers, body);
        both_answer(
            Scheme::slack(),
            &raw,
            200,
            "3eZbrw1aBm2rZgRNFdxV2595",
            "text/plain",
        )
        .await;
        // Forged: refused like any forgery, and the challenge is not echoed.
        let forged = request(&signer.sign("", 1, body).unwrap(), body);
        let stale = r#"{"error":"timestamp is older than the 300 s tolerance"}"#;
        both_answer(Scheme::slack(), &forged, 401, stale, "application/json").await;
    }

    #[tokio::test]
    async fn discord_ping_gets_a_pong() {
        let body = br#"{"application_id":"11","id":"22","token":"t","type":1,"version":1}"#;
        let signer = Signer::new(Scheme::discord(), DISCORD_PRIVATE).unwrap();
        let headers = signer.sign("", webhook_testkit::now(), body).unwrap();
        let raw = request(&headers, body);
        both_answer(
            Scheme::discord(),
            &raw,
            200,
            r#"{"type":1}"#,
            "application/json",
        )
        .await;
        // Another interaction type is a delivery: the handler answers it.
        let command = br#"{"type":2,"data":{"name":"hello"}}"#;
        let headers = signer.sign("", webhook_testkit::now(), command).unwrap();
        let raw = request(&headers, command);
        both_answer(
            Scheme::discord(),
            &raw,
            200,
            "handler ran",
            "text/plain; charset=utf-8",
        )
        .await;
        // Forged: refused, no PONG.
        let forged = request(&signer.sign("", 1, body).unwrap(), body);
        let stale = r#"{"error":"timestamp is older than the 300 s tolerance"}"#;
        both_answer(Scheme::discord(), &forged, 401, stale, "application/json").await;
    }

    #[tokio::test]
    async fn dropbox_and_meta_get_challenges_are_answered() {
        let dropbox = get("/webhooks?challenge=dbx-Challenge-1");
        both_answer(
            Scheme::dropbox(),
            &dropbox,
            200,
            "dbx-Challenge-1",
            "text/plain",
        )
        .await;
        let meta = "/webhooks?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=";
        let good = get(&format!("{meta}my-verify-token"));
        both_answer(Scheme::meta(), &good, 200, "1158201444", "text/plain").await;
        let wrong = get(&format!("{meta}guess"));
        let refused = r#"{"error":"hub.verify_token does not match this endpoint's verify token"}"#;
        both_answer(Scheme::meta(), &wrong, 403, refused, "application/json").await;
    }
}
