//! A webhook receiver in actix-web: `POST /webhooks`, verified with the `hmac-sha256` scheme
//! (`X-Webhook-Signature: sha256=<hex>`), each event processed once: one stdout line
//! `processed <key> <event type>` per event, however often the sender delivers it.
//!
//! ```sh
//! WEBHOOK_SECRET=your-webhook-secret PORT=3000 cargo run --example actix_receiver
//! # Several receivers (this one, axum_receiver) sharing one Redis process each event once:
//! REDIS_URL=redis://127.0.0.1:6379/ PORT=3001 cargo run --example actix_receiver
//! # Every delivery kept in a database (the migrations run at start), which deduplicates:
//! # several receivers sharing one PostgreSQL process each event once.
//! DATABASE_URL=postgres://postgres@127.0.0.1/test PORT=3001 cargo run --example actix_receiver
//! DATABASE_URL=sqlite:deliveries.db PORT=3001 cargo run --example actix_receiver
//! ```
//!
//! Refused deliveries are answered by the middleware before `receive` runs, and logged on
//! stderr: `401`/`413`/`400` by `VerifyWebhook`; by `Idempotency`, `200` for a duplicate of a
//! processed event, `409` while it is being processed, `422` for the same id with another body,
//! `503` with `Retry-After` when Redis (or the database) is down.

use actix_web::{App, HttpServer, web};
use webhook_actix::{Idempotency, ReceiverServer as _, VerifyWebhook, WebhookRejection};
use webhook_idempotency::IdempotencyKey;
use webhook_toolkit::example_env::{self, ExampleEnv};
use webhook_verify::{Rejection, envelope::Envelope};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    example_env::init_logging(); // stderr; colour only on a terminal
    let metrics = example_env::install_metrics()?; // GET /metrics, for Prometheus

    // WEBHOOK_SECRET, PORT, REDIS_URL, DATABASE_URL and DASHBOARD_TOKEN (set: events are remembered
    // in Redis or in the database, shared by receivers; unset: in this process's memory).
    let env = ExampleEnv::from_env_or_exit(); // exit 2: empty WEBHOOK_SECRET, bad PORT
    let guard = env.guard().await?;
    let verifier = env.verifier().await?;
    let dashboard = env.dashboard(None).await?; // DASHBOARD_TOKEN set
    let server = HttpServer::new(move || {
        // The deliveries, in a browser (the token as the password).
        let dashboard = dashboard
            .clone()
            .map(|d| webhook_actix::dashboard::scope("/_webhooks", d));
        App::new()
            .service(
                web::resource("/webhooks")
                    .wrap(Idempotency::new(guard.clone())) // runs second: once per event
                    .wrap(VerifyWebhook::new(verifier.clone())) // runs first: authentic only
                    .route(web::post().to(receive)),
            )
            .route("/metrics", {
                let metrics = metrics.clone();
                web::get().to(move || std::future::ready(metrics.render()))
            })
            .configure(|config| {
                if let Some(dashboard) = dashboard {
                    config.service(dashboard);
                }
            })
    })
    .receiver_defaults() // head, idle and connection limits
    .bind((env.host, env.port))?;
    for addr in server.addrs() {
        eprintln!("listening on http://{addr}/webhooks");
    }
    server.run().await?;
    Ok(())
}

/// Runs once per authentic event: `body` is verified, `key` identifies the event (its `id`,
/// else `sha256:<hex of the body>`).
async fn receive(
    body: web::Bytes,
    key: web::ReqData<IdempotencyKey>,
) -> Result<&'static str, WebhookRejection> {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        return Err(Rejection::new(422, "body is not a known event envelope").into());
    };
    println!("processed {} {}", key.as_str(), envelope.event_type());
    Ok("ok")
}
