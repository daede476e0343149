//! Answer in milliseconds, process in the background: [`EnqueueWebhook`] hands each verified
//! delivery to a [`webhook_queue::Acceptor`] instead of running a handler inline.
//!
//! ```
//! use std::time::Duration;
//! use actix_web::{App, test, web};
//! use webhook_actix::{EnqueueWebhook, VerifyWebhook};
//! use webhook_idempotency::IdempotencyGuard;
//! use webhook_queue::{Acceptor, CancellationToken, HandlerError, Job, MemoryQueue, Queue, QueueConfig};
//! use webhook_verify::{Scheme, Signer, Verifier};
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let queue = MemoryQueue::new("orders", QueueConfig::default()); // or RedisQueue::connect(..)
//! let acceptor = Acceptor::new(queue.clone(), IdempotencyGuard::default());
//! let app = test::init_service(
//!     App::new().service(
//!         web::resource("/webhooks")
//!             .wrap(VerifyWebhook::new(verifier))
//!             .route(web::post().to(EnqueueWebhook::new(acceptor))),
//!     ),
//! )
//! .await;
//!
//! // A worker, here in the same process.
//! let shutdown = CancellationToken::new();
//! let worker = actix_web::rt::spawn({
//!     let (queue, shutdown) = (queue.clone(), shutdown.clone());
//!     async move {
//!         let handle = |job: Job| async move {
//!             println!("processed {:?}", job.delivery().key());
//!             Ok::<_, HandlerError>(())
//!         };
//!         queue.run(handle, shutdown).await
//!     }
//! });
//!
//! let body = br#"{"id":"evt_1","type":"order.completed","data":{}}"#;
//! let signed = Signer::new(Scheme::hmac_sha256(), "your-webhook-secret")?.sign("", 0, body)?;
//! let delivery = || {
//!     signed.iter().cloned().fold(
//!         test::TestRequest::post().uri("/webhooks").set_payload(&body[..]),
//!         |req, header| req.insert_header(header),
//!     )
//! };
//! let res = test::call_service(&app, delivery().to_request()).await;
//! assert_eq!(res.status(), 202); // {"id":"<entry id>","status":"accepted"}
//! let res = test::call_service(&app, delivery().to_request()).await;
//! assert_eq!(res.status(), 200); // a duplicate: not queued again
//!
//! while !queue.counts().await?.is_drained() {
//!     actix_web::rt::time::sleep(Duration::from_millis(5)).await;
//! }
//! shutdown.cancel();
//! worker.await??;
//! # Ok(())
//! # }
//! ```
//!
//! # Responses
//!
//! What [`Acceptor::accept`](webhook_queue::Acceptor::accept) returns, sent as
//! `application/json` (refusals are [`webhook_verify::Rejection`]s, as everywhere):
//!
//! | situation                                          | status | JSON body / headers |
//! |----------------------------------------------------|--------|---------------------|
//! | first delivery, appended                           | `202` (the acceptor's `accepted_status`) | `{"id":"<entry id>","status":"accepted"}`; the key is marked done |
//! | first delivery, append failed (Redis down, full)   | `503`  | `{"error":"the delivery could not be queued; retry later"}`, `Retry-After: 5`; the key is released |
//! | duplicate of an accepted event                     | `200`  | `{"status":"duplicate"}`; nothing appended |
//! | duplicate while another delivery is being accepted | `409`  | `{"error":"this event is being processed by another delivery; retry later"}`, `Retry-After: 5` |
//! | same key, different body                           | `422`  | `{"error":"this event id was already received with a different body"}` |
//! | idempotency store unavailable (fail-closed)        | `503`  | `{"error":"idempotency store unavailable; retry later"}`, `Retry-After: 5` |
//! | no `VerifyWebhook` in front (misconfigured)        | `500`  | `{"error":"webhook receiver is misconfigured"}`, logged at `ERROR` |
//!
//! So the sender retries exactly when its event is not safely queued.

mod enqueue;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{Error, Resource, web};
use webhook_queue::Acceptor;
use webhook_verify::Verifier;

use crate::VerifyWebhook;

pub use enqueue::EnqueueWebhook;

/// A resource at `path` whose `POST` queues each authentic delivery with `acceptor`.
///
/// The same as `web::resource(path).wrap(VerifyWebhook::new(verifier)).route(web::post().to(EnqueueWebhook::new(acceptor)))`.
///
/// ```
/// use actix_web::App;
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_queue::{Acceptor, MemoryQueue, QueueConfig};
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let queue = MemoryQueue::new("orders", QueueConfig::default());
/// let acceptor = Acceptor::new(queue, IdempotencyGuard::default());
/// let app = App::new().service(webhook_actix::queue::resource("/webhooks", verifier, acceptor));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
pub fn resource(
    path: &str,
    verifier: Verifier,
    acceptor: Acceptor,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    web::resource(path)
        .wrap(VerifyWebhook::new(verifier))
        .route(web::post().to(EnqueueWebhook::new(acceptor)))
}
