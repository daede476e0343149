//! What the idempotency middleware and the queue hand-off share: they run behind
//! [`VerifyWebhook`](crate::VerifyWebhook) and read what it left in the request.

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use bytes::Bytes;
use webhook_verify::Rejection;

use crate::body;

/// The answer when no [`Verified`](webhook_verify::Verified) is in the request extensions:
/// `500 {"error":"webhook receiver is misconfigured"}`, logged with what to fix.
pub(crate) fn not_verified(component: &str, path: &str) -> Rejection {
    tracing::error!(
        path,
        "{component} found no webhook_verify::Verified in the request extensions: \
         wrap VerifyWebhook around it (with actix-web, the last `.wrap` runs first)"
    );
    Rejection::misconfigured()
}

/// Reads the verified body again. `VerifyWebhook` already refused bodies over the verifier's
/// limit and holds the bytes in memory, so this reads no more than it accepted (no copy for an
/// HTTP/1 payload).
pub(crate) async fn read_body(
    payload: &mut Payload,
    headers: &HeaderMap,
) -> Result<Bytes, Rejection> {
    body::read_limited(payload, headers, usize::MAX, None).await
}
