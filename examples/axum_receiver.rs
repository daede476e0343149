//! A webhook receiver in axum: `POST /webhooks`, verified with the `hmac-sha256` scheme
//! (`X-Webhook-Signature: sha256=<hex>`), each event processed once: one stdout line
//! `processed <key> <event type>` per event, however often the sender delivers it.
//!
//! ```sh
//! WEBHOOK_SECRET=your-webhook-secret PORT=3000 cargo run --example axum_receiver
//! # Several receivers (this one, actix_receiver) sharing one Redis process each event once:
//! REDIS_URL=redis://127.0.0.1:6379/ PORT=3000 cargo run --example axum_receiver
//! # Every delivery kept in a database (the migrations run at start), which deduplicates:
//! # several receivers sharing one PostgreSQL process each event once.
//! DATABASE_URL=postgres://postgres@127.0.0.1/test PORT=3000 cargo run --example axum_receiver
//! DATABASE_URL=sqlite:deliveries.db PORT=3000 cargo run --example axum_receiver
//! ```
//!
//! Refused deliveries are answered by the layers before `receive` runs, and logged on stderr:
//! `401`/`413`/`400` by `VerifyWebhookLayer`; by `IdempotencyLayer`, `200` for a duplicate of a
//! processed event, `409` while it is being processed, `422` for the same id with another body,
//! `503` with `Retry-After` when Redis (or the database) is down.

use std::future::ready;

use axum::{Extension, Router, body::Bytes, routing::get, routing::post};
use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer, WebhookRejection};
use webhook_idempotency::IdempotencyKey;
use webhook_toolkit::example_env::{self, ExampleEnv};
use webhook_verify::{Rejection, envelope::Envelope};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    example_env::init_logging(); // stderr; colour only on a terminal
    let metrics = example_env::install_metrics()?; // GET /metrics, for Prometheus

    // WEBHOOK_SECRET, PORT, REDIS_URL, DATABASE_URL and DASHBOARD_TOKEN (set: events are remembered
    // in Redis or in the database, shared by receivers; unset: in this process's memory).
    let env = ExampleEnv::from_env_or_exit(); // exit 2: empty WEBHOOK_SECRET, bad PORT
    let guard = env.guard().await?;
    let verifier = env.verifier().await?;
    let mut app = Router::new()
        .route("/webhooks", post(receive))
        .route_layer(IdempotencyLayer::new(guard)) // runs second: once per event
        .route_layer(VerifyWebhookLayer::new(verifier)) // runs first: authentic only
        .route("/metrics", get(move || ready(metrics.render())));
    if let Some(dashboard) = env.dashboard(None).await? {
        // DASHBOARD_TOKEN set: the deliveries, in a browser (the token as the password).
        app = app.nest_service("/_webhooks", webhook_axum::dashboard::router(dashboard));
    }

    let listener = webhook_axum::bind((env.host, env.port)).await?;
    eprintln!("listening on http://{}/webhooks", listener.local_addr()?);
    webhook_axum::serve(listener, app).await?; // timeouts and a connection cap
    Ok(())
}

/// Runs once per authentic event: `body` is verified, `key` identifies the event (its `id`,
/// else `sha256:<hex of the body>`).
async fn receive(
    Extension(key): Extension<IdempotencyKey>,
    body: Bytes,
) -> Result<&'static str, WebhookRejection> {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        return Err(Rejection::new(422, "body is not a known event envelope").into());
    };
    println!("processed {key} {}", envelope.event_type());
    Ok("ok")
}
