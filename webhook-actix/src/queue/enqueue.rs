//! [`EnqueueWebhook`]: a route handler that answers a verified delivery by queueing it.

use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::{
    Payload, Service, ServiceFactory, ServiceRequest, ServiceResponse, always_ready,
};
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{
    Error, Handler, HttpMessage as _, HttpRequest, HttpResponse, ResponseError as _, web,
};
use futures_util::future::LocalBoxFuture;
use webhook_queue::Acceptor;
use webhook_verify::{Rejection, Verified};

use crate::{ActixHeaders, WebhookRejection, behind_verify};

/// A route handler that hands each verified delivery to a [`webhook_queue::Acceptor`] (claim
/// the event's key, append the delivery durably, mark the key done) and answers what the accept
/// step returns, instead of processing the event inline.
///
/// Mount it with `web::post().to(EnqueueWebhook::new(acceptor))` (a [`Handler`]) or
/// `web::post().service(EnqueueWebhook::new(acceptor))` (a [`ServiceFactory`]) on a resource or
/// scope wrapped in [`VerifyWebhook`](crate::VerifyWebhook), or use [`resource`](super::resource); workers ([`webhook_queue::Queue::work`]) process
/// the queued events, in this process or in others. See the [module docs](crate::queue) for
/// every answer.
///
/// The acceptor deduplicates with its own guard: do not also wrap the route in
/// [`Idempotency`](crate::Idempotency) with the same store, or every delivery would find its
/// own claim in flight.
///
/// ```
/// use actix_web::{App, web};
/// use webhook_actix::{EnqueueWebhook, VerifyWebhook};
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_queue::{Acceptor, MemoryQueue, QueueConfig};
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let queue = MemoryQueue::new("orders", QueueConfig::default()); // RedisQueue to survive crashes
/// let acceptor = Acceptor::new(queue, IdempotencyGuard::default());
/// let app = App::new().service(
///     web::resource("/webhooks")
///         .wrap(VerifyWebhook::new(verifier))
///         .route(web::post().to(EnqueueWebhook::new(acceptor))),
/// );
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct EnqueueWebhook {
    acceptor: Arc<Acceptor>,
}

impl EnqueueWebhook {
    /// Answers each delivery with `acceptor`'s accept step.
    pub fn new(acceptor: Acceptor) -> Self {
        Self {
            acceptor: Arc::new(acceptor),
        }
    }

    /// The acceptor deliveries are handed to.
    ///
    /// ```
    /// use webhook_queue::{Acceptor, MemoryQueue};
    /// let enqueue = webhook_actix::EnqueueWebhook::new(Acceptor::unguarded(MemoryQueue::new("q", Default::default())));
    /// assert_eq!(enqueue.acceptor().queue().name(), "q");
    /// ```
    pub fn acceptor(&self) -> &Acceptor {
        &self.acceptor
    }

    async fn accept(&self, req: &HttpRequest, mut payload: Payload) -> HttpResponse {
        // Owned, so that no borrow of the extensions is held across an await.
        let verified = req.extensions().get::<Verified<'static>>().cloned();
        let Some(verified) = verified else {
            let rejection =
                behind_verify::not_verified("webhook_actix::EnqueueWebhook", req.path());
            return refusal(rejection);
        };
        let body = match behind_verify::read_body(&mut payload, req.headers()).await {
            Ok(body) => body,
            Err(rejection) => return refusal(rejection),
        };
        let headers = ActixHeaders::new(req.headers());
        // The acceptor and the guard log failures and outcomes.
        match self.acceptor.accept(&verified, &headers, body).await {
            Ok(accepted) => {
                tracing::debug!(entry_id = %accepted.entry_id, key = %accepted.key, "webhook delivery queued");
                let status = StatusCode::from_u16(accepted.status).unwrap_or(StatusCode::ACCEPTED);
                HttpResponse::build(status)
                    .insert_header(ContentType::json())
                    .body(accepted.json_body())
            }
            Err(rejection) => refusal(rejection),
        }
    }
}

fn refusal(rejection: Rejection) -> HttpResponse {
    WebhookRejection::from(rejection).error_response()
}

impl fmt::Debug for EnqueueWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnqueueWebhook")
            .field("acceptor", &self.acceptor)
            .finish()
    }
}

impl Handler<(HttpRequest, web::Payload)> for EnqueueWebhook {
    type Output = HttpResponse;
    type Future = LocalBoxFuture<'static, HttpResponse>;

    fn call(&self, (req, payload): (HttpRequest, web::Payload)) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.accept(&req, payload.into_inner()).await })
    }
}

/// `web::post().service(EnqueueWebhook::new(acceptor))` works too: it is its own service.
impl ServiceFactory<ServiceRequest> for EnqueueWebhook {
    type Response = ServiceResponse;
    type Error = Error;
    type Config = ();
    type Service = Self;
    type InitError = ();
    type Future = Ready<Result<Self, ()>>;

    fn new_service(&self, (): ()) -> Self::Future {
        ready(Ok(self.clone()))
    }
}

impl Service<ServiceRequest> for EnqueueWebhook {
    type Response = ServiceResponse;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<ServiceResponse, Error>>;

    always_ready!();

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (req, payload) = req.into_parts();
            let response = this.accept(&req, payload).await;
            Ok(ServiceResponse::new(req, response))
        })
    }
}
