//! A verified body larger than axum's own 2 MiB extractor limit reaches `Bytes` and `Json`
//! behind the layer and the `Webhook` extractor, as it does with `webhook-actix`: what the
//! verifier accepted is never refused for its size afterwards.
mod common;

use axum::extract::FromRef;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use common::*;
use webhook_axum::{VerifyWebhookLayer, Webhook};
use webhook_verify::{Scheme, Verifier};

const LIMIT: usize = 4 * 1024 * 1024;

fn verifier() -> Verifier {
    Verifier::builder(Scheme::hmac_sha256())
        .secret(SECRET)
        .body_limit(LIMIT)
        .build()
        .unwrap()
}

#[derive(Clone)]
struct State(Verifier);

impl FromRef<State> for Verifier {
    fn from_ref(state: &State) -> Self {
        state.0.clone()
    }
}

async fn server() -> String {
    let app = Router::new()
        .route(
            "/layer-bytes",
            post(|body: Bytes| async move { body.len().to_string() })
                .route_layer(VerifyWebhookLayer::new(verifier())),
        )
        .route(
            "/layer-json",
            post(|Json(value): Json<serde_json::Value>| async move {
                value["pad"].as_str().map_or(0, str::len).to_string()
            })
            .route_layer(VerifyWebhookLayer::new(verifier())),
        )
        .route(
            "/extract",
            post(|webhook: Webhook<Bytes>| async move { webhook.payload.len().to_string() }),
        )
        .with_state(State(verifier()));
    spawn(app).await
}

/// A JSON body of about 3 MiB: over axum's default limit, under the verifier's.
fn big_body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "pad": "x".repeat(3 * 1024 * 1024) })).unwrap()
}

#[tokio::test]
async fn a_verified_body_over_axums_default_limit_reaches_the_handler() {
    let url = server().await;
    let body = big_body();
    let headers = sign(&body);
    for path in ["/layer-bytes", "/extract"] {
        let answer = send(&format!("{url}{path}"), &headers, body.clone()).await;
        assert_eq!(answer, (200, body.len().to_string()), "{path}");
    }
    let json = [
        headers,
        vec![("content-type".into(), "application/json".into())],
    ]
    .concat();
    let answer = send(&format!("{url}/layer-json"), &json, body.clone()).await;
    assert_eq!(answer, (200, (3 * 1024 * 1024).to_string()));
}

#[tokio::test]
async fn a_body_over_the_verifiers_limit_is_still_413() {
    let url = server().await;
    let body = vec![b' '; LIMIT + 1];
    let answer = send(&format!("{url}/layer-bytes"), &sign(&body), body).await;
    assert_eq!(answer.0, 413);
}
