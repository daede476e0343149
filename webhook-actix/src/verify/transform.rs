//! [`VerifyWebhook`]: the `Transform` that `App::wrap`, `Scope::wrap` and `Resource::wrap` take.

use std::future::{Ready, ready};

use actix_web::Error;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use webhook_verify::Verifier;

use super::VerifyWebhookMiddleware;

/// Verifies every request of the wrapped `App`, `Scope` or `Resource` before it reaches a handler.
///
/// The body limit is the verifier's [`body_limit`](Verifier::body_limit) (2 MiB unless set with
/// `Verifier::builder(..).body_limit(n)`). See the [module docs](crate::verify) for the
/// responses and what handlers receive.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// use webhook_actix::VerifyWebhook;
/// use webhook_verify::{Scheme, Verifier};
///
/// let verifier = Verifier::builder(Scheme::github())
///     .secret("current-secret")
///     .secret("previous-secret")
///     .body_limit(512 * 1024)
///     .build()?;
///
/// let app = App::new()
///     .service(
///         web::scope("/webhooks")
///             .wrap(VerifyWebhook::new(verifier))
///             .route("/github", web::post().to(|body: String| async move { HttpResponse::Ok() })),
///     )
///     .route("/health", web::get().to(|| async { "ok" })); // not verified
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct VerifyWebhook {
    verifier: Verifier,
}

impl VerifyWebhook {
    /// Verifies with `verifier`: its scheme, secrets, timestamp tolerance and body limit.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let verifier = Verifier::new(Scheme::stripe(), "whsec_...")?;
    /// let middleware = webhook_actix::VerifyWebhook::new(verifier);
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }

    /// The verifier this middleware checks deliveries with.
    ///
    /// ```
    /// # use webhook_verify::{Scheme, Verifier};
    /// let middleware = webhook_actix::VerifyWebhook::new(Verifier::new(Scheme::slack(), "s")?);
    /// assert_eq!(middleware.verifier().body_limit(), webhook_verify::DEFAULT_BODY_LIMIT);
    /// # Ok::<(), webhook_verify::VerifyError>(())
    /// ```
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

impl<S, B> Transform<S, ServiceRequest> for VerifyWebhook
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = VerifyWebhookMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(VerifyWebhookMiddleware::new(
            service,
            self.verifier.clone(),
        )))
    }
}
