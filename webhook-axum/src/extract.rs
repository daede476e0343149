//! The [`Webhook`] extractor: verification for handlers that do not sit behind the layer.

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, OriginalUri, Request};
use axum::response::IntoResponse;
use tracing::Instrument;
use webhook_verify::{Verified, Verifier};

use crate::body::ReadBody;
use std::time::Instant;

use webhook_verify::receiver;

use crate::rejection::WebhookRejection;
use crate::verify::{accepted_span, check, peer, raise_extractor_limit, refused};

/// Extractor that verifies the request, then runs the inner extractor `E` (`Json<T>`, `Bytes`,
/// `String`, `Form<T>`, ...) on the same bytes: the body is never parsed before it is verified.
///
/// The [`Verifier`] comes from the router state through [`FromRef`]. The body is read up to
/// [`Verifier::body_limit`]; failures answer exactly as [`VerifyWebhookLayer`](crate::VerifyWebhookLayer)
/// does (see the table in [`verify`](crate::verify)), and a failure of `E` on an authentic body
/// answers with `E`'s own rejection. As a body extractor it must be the handler's last argument.
///
/// ```
/// use axum::{Json, Router, extract::FromRef, routing::post};
/// use webhook_axum::Webhook;
/// use webhook_verify::{Scheme, Verifier, envelope::Event};
///
/// #[derive(Clone)]
/// struct AppState {
///     verifier: Verifier,
/// }
///
/// impl FromRef<AppState> for Verifier {
///     fn from_ref(state: &AppState) -> Self {
///         state.verifier.clone()
///     }
/// }
///
/// async fn receive(Webhook { payload: Json(event), verified }: Webhook<Json<Event>>) -> String {
///     format!("{} {} via {}", event.id, event.event_type, verified.scheme)
/// }
///
/// let state = AppState { verifier: Verifier::new(Scheme::hmac_sha256(), "secret")? };
/// let app: Router = Router::new().route("/webhooks", post(receive)).with_state(state);
/// # Ok::<(), webhook_verify::VerifyError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Webhook<E> {
    /// What the inner extractor produced from the verified body.
    pub payload: E,
    /// What verification learned: scheme, webhook id, timestamp, which secret matched.
    pub verified: Verified<'static>,
}

impl<S, E> FromRequest<S> for Webhook<E>
where
    Verifier: FromRef<S>,
    S: Send + Sync,
    E: FromRequest<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = ReadBody::new(
            &parts.headers,
            body,
            verifier.body_limit(),
            Some(verifier.body_timeout()),
        )
        .await
        .map_err(|rejection| {
            let peer = peer(&parts.extensions);
            refused(&verifier, rejection, parts.uri.path(), &parts.headers, peer)
        })?;
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        verifier.prepare(&parts.headers, &body).await;
        let started = Instant::now();
        let (verified, mut capture) = check(
            &verifier,
            &parts.method,
            uri,
            &parts.headers,
            peer(&parts.extensions),
            &body,
        )?;
        let took = started.elapsed();
        receiver::verified(&verifier, &verified, body.len(), took, &mut capture);
        // An extractor does not see the handler's answer: counted as accepted once verified.
        receiver::answered(&verifier, None, 200, None, capture);
        let span = accepted_span(&verified).unwrap_or_else(tracing::Span::none);
        let body_len = body.len();
        let request = Request::from_parts(parts, Body::from(body));
        let request = raise_extractor_limit(request, body_len, verifier.body_limit());
        let payload = E::from_request(request, state)
            .instrument(span)
            .await
            .map_err(|rejection| WebhookRejection::inner(rejection.into_response()))?;
        Ok(Self { payload, verified })
    }
}
