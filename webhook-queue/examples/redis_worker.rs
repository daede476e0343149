//! A worker process: typed handlers per event type on a Redis queue, stopped gracefully by
//! Ctrl-C (in-flight handlers finish, or go back to the queue after the grace period).
//!
//! ```sh
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run -p webhook-queue --example redis_worker
//! ```
//!
//! Run several: they share the entries. Kill one with `kill -9`: another takes its entries over
//! after the claim-idle time.

use serde::Deserialize;
use webhook_queue::{CancellationToken, HandlerError, Job, Queue, QueueConfig, RedisQueue, Router};
use webhook_verify::envelope::Envelope;

#[derive(Debug, Deserialize)]
struct Payment {
    id: String,
    amount: u64,
}

async fn payment_succeeded(event: Envelope<Payment>, job: Job) -> Result<(), HandlerError> {
    let payment = match event {
        Envelope::Event(event) => event.data.object,
        Envelope::Notification(notification) => notification.data,
    };
    println!(
        "payment {} of {} (attempt {}/{}, key {:?})",
        payment.id,
        payment.amount,
        job.attempt(),
        job.max_attempts(),
        job.delivery().key()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    let queue = RedisQueue::connect(&url, "payments", QueueConfig::default()).await?;
    println!("{:?}", queue.counts().await?);

    let router = Router::new()
        .on("payment.succeeded", payment_succeeded)
        .fallback(|job: Job| async move {
            println!(
                "no handler for this event; {} bytes kept as received",
                job.body().len()
            );
            Ok::<_, HandlerError>(())
        });

    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
        }
    });
    queue.run(router, shutdown).await?;
    Ok(())
}
