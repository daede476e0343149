use tower_layer::Layer;
use webhook_idempotency::IdempotencyGuard;

use super::Idempotency;

/// Layer that runs a handler once per event, deduplicating with an [`IdempotencyGuard`]; see
/// the [module docs](super).
///
/// Put it **inside** [`VerifyWebhookLayer`](crate::VerifyWebhookLayer) (with axum, apply it
/// first), so only authentic deliveries claim keys. `Clone` is cheap (one `Arc`).
///
/// ```
/// use axum::{Router, routing::post};
/// use webhook_axum::{IdempotencyLayer, VerifyWebhookLayer};
/// use webhook_idempotency::IdempotencyGuard;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
/// let app: Router = Router::new()
///     .route("/webhooks", post(|| async { "processed" }))
///     .route_layer(IdempotencyLayer::new(IdempotencyGuard::default())) // runs second
///     .route_layer(VerifyWebhookLayer::new(verifier));                  // runs first
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct IdempotencyLayer {
    guard: IdempotencyGuard,
}

impl IdempotencyLayer {
    /// A layer deduplicating deliveries with `guard` (its store, key strategy, fail mode).
    pub fn new(guard: IdempotencyGuard) -> Self {
        Self { guard }
    }

    /// The guard this layer claims events with.
    pub fn guard(&self) -> &IdempotencyGuard {
        &self.guard
    }
}

impl<S> Layer<S> for IdempotencyLayer {
    type Service = Idempotency<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Idempotency::new(inner, self.guard.clone())
    }
}
