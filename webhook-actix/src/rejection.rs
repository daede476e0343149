//! The actix-web response for a refused delivery.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use webhook_verify::{Rejection, VerifyError};

/// A refused delivery as an actix-web error: status, `{"error": "..."}` JSON body and
/// `Retry-After` when set.
///
/// A thin wrapper: the status codes and messages come from [`webhook_verify::Rejection`], the
/// one place shared with `webhook-axum`, so both adapters answer alike. No message contains a
/// secret or the expected signature.
///
/// ```
/// use actix_web::ResponseError;
/// use webhook_actix::WebhookRejection;
/// use webhook_verify::VerifyError;
///
/// let rejection = WebhookRejection::from(VerifyError::NoMatchingSignature);
/// assert_eq!(rejection.status_code(), 401);
/// assert_eq!(rejection.rejection().json_body(), r#"{"error":"no signature matches the body"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct WebhookRejection(#[from] Rejection);

impl WebhookRejection {
    /// The framework-free refusal: status, message, `Retry-After`.
    ///
    /// ```
    /// let r = webhook_actix::WebhookRejection::from(webhook_verify::Rejection::unreadable_body());
    /// assert_eq!(r.rejection().status(), 400);
    /// ```
    pub fn rejection(&self) -> &Rejection {
        &self.0
    }

    /// The HTTP status this rejection answers with.
    ///
    /// ```
    /// let r = webhook_actix::WebhookRejection::from(webhook_verify::Rejection::payload_too_large(8));
    /// assert_eq!(r.status(), actix_web::http::StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Unwraps the framework-free refusal.
    ///
    /// ```
    /// let r = webhook_actix::WebhookRejection::from(webhook_verify::Rejection::payload_too_large(8));
    /// assert_eq!(r.into_inner().status(), 413);
    /// ```
    pub fn into_inner(self) -> Rejection {
        self.0
    }
}

impl From<VerifyError> for WebhookRejection {
    fn from(err: VerifyError) -> Self {
        Self(Rejection::from(err))
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header(ContentType::json());
        if let Some(secs) = self.0.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, secs));
        }
        if self.0.closes_connection() {
            response.force_close();
        }
        let mut response = response.body(self.0.json_body());
        // For the verify middleware's metrics: the outcome a later layer decided.
        if let Some(outcome) = self.0.tagged_outcome() {
            response.extensions_mut().insert(outcome);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;

    fn body_of(response: HttpResponse) -> String {
        let bytes = response.into_body().try_into_bytes().unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn stale_timestamp_is_401_with_json_error() {
        let err = VerifyError::TimestampOutOfTolerance {
            direction: "older",
            tolerance_secs: 300,
        };
        let response = WebhookRejection::from(err).error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert_eq!(
            body_of(response),
            r#"{"error":"timestamp is older than the 300 s tolerance"}"#
        );
    }

    #[test]
    fn retry_after_is_sent_when_set() {
        let rejection = Rejection::new(503, "queue unavailable").retry_after(7);
        let response = WebhookRejection::from(rejection).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "7");
    }

    #[test]
    fn no_retry_after_by_default() {
        let response = WebhookRejection::from(Rejection::payload_too_large(10)).error_response();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
        assert_eq!(
            body_of(response),
            r#"{"error":"body exceeds the 10-byte limit"}"#
        );
    }

    #[test]
    fn configuration_error_is_500_without_details() {
        let response = WebhookRejection::from(VerifyError::NoSecret).error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body_of(response),
            r#"{"error":"webhook receiver is misconfigured"}"#
        );
    }
}
