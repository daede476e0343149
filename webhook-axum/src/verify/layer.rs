use std::sync::Arc;

use http::HeaderName;
use tower_layer::Layer;
use webhook_verify::Verifier;

use super::{Shared, VerifyWebhook};

/// Layer that verifies webhook signatures with a [`Verifier`]; see the [module docs](super).
///
/// `Clone` is cheap (one `Arc`); apply it with `Router::layer`, `Router::route_layer`,
/// `MethodRouter::layer` or `tower::ServiceBuilder`.
///
/// ```
/// use axum::{Router, routing::post};
/// use webhook_axum::VerifyWebhookLayer;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::new(Scheme::github(), "It's a Secret to Everybody")?;
/// let app: Router = Router::new()
///     .route("/github", post(|body: String| async move { body.len().to_string() }))
///     .layer(VerifyWebhookLayer::new(verifier));
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct VerifyWebhookLayer {
    shared: Arc<Shared>,
}

impl VerifyWebhookLayer {
    /// A layer verifying with `verifier`; bodies are read up to `verifier.body_limit()`.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            shared: Shared::new(verifier),
        }
    }

    /// The verifier this layer checks requests with.
    pub fn verifier(&self) -> &Verifier {
        &self.shared.verifier
    }

    /// The signature headers this layer marks sensitive, for a
    /// `SetSensitiveRequestHeadersLayer` placed outside a trace layer.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let layer = webhook_axum::VerifyWebhookLayer::new(Verifier::new(Scheme::stripe(), "whsec_x")?);
    /// assert_eq!(layer.signature_headers(), ["stripe-signature"]);
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn signature_headers(&self) -> &[HeaderName] {
        &self.shared.sensitive
    }
}

impl<S> Layer<S> for VerifyWebhookLayer {
    type Service = VerifyWebhook<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyWebhook::from_shared(inner, self.shared.clone())
    }
}
