//! What the idempotency layer and the queue hand-off share: they run behind
//! [`VerifyWebhookLayer`](crate::VerifyWebhookLayer) and read what it left in the request.

use bytes::Bytes;
use http::HeaderMap;
use http_body::Body as HttpBody;
use webhook_verify::Rejection;

use crate::body::{BoxError, ReadBody};

/// The answer when no [`Verified`](webhook_verify::Verified) is in the request extensions:
/// `500 {"error":"webhook receiver is misconfigured"}`, logged with what to fix.
pub(crate) fn not_verified(component: &str, path: &str) -> Rejection {
    tracing::error!(
        path,
        "{component} found no webhook_verify::Verified in the request extensions: \
         put VerifyWebhookLayer in front of it (with axum, the last `.layer`/`.route_layer` runs first)"
    );
    Rejection::misconfigured()
}

/// Reads the verified body again. `VerifyWebhookLayer` already refused bodies over the
/// verifier's limit and hands on the bytes in memory (one frame: no copy), so this reads no
/// more than it accepted.
pub(crate) async fn read_body<B>(headers: &HeaderMap, body: B) -> Result<Bytes, Rejection>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    ReadBody::new(headers, body, usize::MAX, None).await
}
