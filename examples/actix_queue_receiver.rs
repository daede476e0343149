//! A webhook receiver in actix-web that answers at once and processes in the background:
//! `POST /webhooks`, verified with the `hmac-sha256` scheme, each authentic event queued once
//! (`202`; a duplicate gets `200` and is not queued again), and a worker in the same process
//! printing `processed <key> <event type>` per event.
//!
//! ```sh
//! WEBHOOK_SECRET=your-webhook-secret PORT=3000 cargo run --example actix_queue_receiver
//! # Durable: the queue and the idempotency keys in Redis; more workers may run elsewhere
//! # (WORKER=off to only accept here).
//! REDIS_URL=redis://127.0.0.1:6379/ PORT=3000 cargo run --example actix_queue_receiver
//! # Every delivery kept in a database (the migrations run at start): the queue is its table,
//! # shared by the workers of every process on one PostgreSQL, or one SQLite file that a
//! # restarted receiver finishes.
//! DATABASE_URL=postgres://postgres@127.0.0.1/test PORT=3000 cargo run --example actix_queue_receiver
//! DATABASE_URL=sqlite:deliveries.db PORT=3000 cargo run --example actix_queue_receiver
//! ```
//!
//! `WORKER=off` makes a process a receiver only (it accepts and queues, others process); by
//! default it is both, receiver and worker. Without `REDIS_URL` or `DATABASE_URL` the queue
//! lives in memory and is lost when the process stops.

use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use webhook_actix::{EnqueueWebhook, ReceiverServer as _, VerifyWebhook};
use webhook_queue::{Acceptor, CancellationToken, HandlerError, Job};
use webhook_toolkit::example_env::{self, ExampleEnv};
use webhook_verify::envelope::Envelope;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    example_env::init_logging(); // stderr; colour only on a terminal
    let metrics = example_env::install_metrics()?; // GET /metrics, for Prometheus

    // WEBHOOK_SECRET, PORT, REDIS_URL, DATABASE_URL and DASHBOARD_TOKEN (set: a durable queue and
    // idempotency keys in Redis or the database; unset: both in this process's memory, lost when it
    // stops).
    let env = ExampleEnv::from_env_or_exit(); // exit 2: empty WEBHOOK_SECRET, bad PORT
    let (queue, guard) = (env.queue().await?, env.guard().await?);

    // The worker: here in the same process (any number may run elsewhere on Redis or the database).
    let shutdown = CancellationToken::new();
    let worker = (std::env::var("WORKER").as_deref() != Ok("off")).then(|| {
        let (queue, shutdown) = (queue.clone(), shutdown.clone());
        actix_web::rt::spawn(async move { queue.work(Arc::new(process), shutdown).await })
    });

    let dashboard = env.dashboard(Some(queue.clone())).await?; // DASHBOARD_TOKEN set
    let acceptor = Acceptor::from_shared(queue, Some(guard));
    let verifier = env.verifier().await?;
    let server = HttpServer::new(move || {
        // The deliveries, the queue's depth and its dead letters, in a browser.
        let dashboard = dashboard
            .clone()
            .map(|d| webhook_actix::dashboard::scope("/_webhooks", d));
        App::new()
            .service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier.clone()))
                    .route(web::post().to(EnqueueWebhook::new(acceptor.clone()))),
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
    server.run().await?; // until Ctrl-C
    shutdown.cancel(); // running handlers finish, or go back to the queue
    if let Some(worker) = worker {
        worker.await??;
    }
    Ok(())
}

/// Runs for each queued event (again, with backoff, if it fails). The body is the verified one,
/// byte for byte; the key is the one the receiver accepted the event under.
async fn process(job: Job) -> Result<(), HandlerError> {
    let envelope: Envelope = serde_json::from_slice(job.body())
        .map_err(|err| HandlerError::msg(format!("not a known event envelope: {err}")))?;
    let key = job.delivery().key().unwrap_or("-");
    println!("processed {key} {}", envelope.event_type());
    Ok(())
}
