//! [`Idempotency`]: the `Transform` that `App::wrap`, `Scope::wrap` and `Resource::wrap` take.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use webhook_idempotency::IdempotencyGuard;

use super::IdempotencyMiddleware;

/// Runs the wrapped handlers once per event: duplicates of a processed event are answered `200`
/// without running them, concurrent duplicates `409`.
///
/// Goes *inside* [`VerifyWebhook`](crate::VerifyWebhook), so that only authentic deliveries
/// claim keys. actix-web runs the last `.wrap` first: wrap `Idempotency` first, then
/// `VerifyWebhook`. See the [module docs](crate::idempotency) for every answer.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// use webhook_actix::{Idempotency, VerifyWebhook};
/// use webhook_idempotency::{IdempotencyGuard, MemoryStore};
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let guard = IdempotencyGuard::builder().store(MemoryStore::new()).endpoint("orders").build();
/// let app = App::new().service(
///     web::resource("/webhooks")
///         .wrap(Idempotency::new(guard))     // runs second: once per event
///         .wrap(VerifyWebhook::new(verifier)) // runs first: authentic deliveries only
///         .route(web::post().to(|| async { HttpResponse::Ok() })),
/// );
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Idempotency {
    guard: IdempotencyGuard,
}

impl Idempotency {
    /// Deduplicates with `guard`: its store (a [`MemoryStore`] for one process, a [`RedisStore`]
    /// shared by several receivers), key strategy, lease, retention and fail mode.
    ///
    /// [`MemoryStore`]: webhook_idempotency::MemoryStore
    /// [`RedisStore`]: webhook_idempotency::RedisStore
    ///
    /// ```
    /// use webhook_idempotency::{FailMode, IdempotencyGuard};
    /// let guard = IdempotencyGuard::builder().fail_mode(FailMode::Open).build();
    /// let middleware = webhook_actix::Idempotency::new(guard);
    /// ```
    pub fn new(guard: IdempotencyGuard) -> Self {
        Self { guard }
    }

    /// The guard this middleware deduplicates with.
    ///
    /// ```
    /// let middleware = webhook_actix::Idempotency::new(Default::default());
    /// assert_eq!(middleware.guard().storage_key("evt_1"), "webhook:default:evt_1");
    /// ```
    pub fn guard(&self) -> &IdempotencyGuard {
        &self.guard
    }
}

impl<S, B> Transform<S, ServiceRequest> for Idempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = IdempotencyMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(IdempotencyMiddleware::new(service, self.guard.clone())))
    }
}
