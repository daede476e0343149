//! The response sent when a delivery is refused.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::header::{CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, StatusCode};
use webhook_verify::{Handshake, Rejection};

/// Why a webhook was refused, as an axum response: the status and `{"error": "..."}` JSON body
/// of a [`webhook_verify::Rejection`] (plus `Retry-After` when it has one), or the response of
/// the inner extractor of a [`Webhook`](crate::Webhook) that failed after verification, or the
/// answer to a provider's endpoint check ([`handshake`](Self::handshake)), which must not reach
/// the handler either.
///
/// ```
/// use axum::response::IntoResponse;
/// use webhook_axum::WebhookRejection;
/// use webhook_verify::{Rejection, VerifyError};
///
/// let rejection = WebhookRejection::from(Rejection::from(VerifyError::NoMatchingSignature));
/// assert_eq!(rejection.status(), 401);
/// assert_eq!(rejection.rejection().map(|r| r.message()), Some("no signature matches the body"));
/// let response = rejection.into_response();
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
pub struct WebhookRejection(Repr);

enum Repr {
    /// Refused before the handler: signature, timestamp, size or unreadable body.
    Refused(Rejection),
    /// Verified, but the inner extractor refused the body (e.g. invalid JSON for `Json<T>`).
    Inner(Box<Response>),
    /// A provider's endpoint check, answered instead of a delivery.
    Handshake(Handshake),
}

impl WebhookRejection {
    /// Wraps the response of an inner extractor that refused an authentic body.
    pub(crate) fn inner(response: Response) -> Self {
        Self(Repr::Inner(Box::new(response)))
    }

    /// The answer to a provider's endpoint check ([`webhook_verify::handshake`]).
    pub(crate) fn answer(handshake: Handshake) -> Self {
        Self(Repr::Handshake(handshake))
    }

    /// The refusal from verification, or `None` if the body was authentic and the inner
    /// extractor refused it, or the request was an endpoint check.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.0 {
            Repr::Refused(rejection) => Some(rejection),
            Repr::Inner(_) | Repr::Handshake(_) => None,
        }
    }

    /// The provider's endpoint check this answers (Slack's `url_verification`, a Dropbox
    /// challenge, ...), when the request was one rather than a delivery.
    ///
    /// ```
    /// # use webhook_axum::WebhookRejection;
    /// let refused = WebhookRejection::from(webhook_verify::Rejection::unreadable_body());
    /// assert!(refused.handshake().is_none());
    /// ```
    pub fn handshake(&self) -> Option<&Handshake> {
        match &self.0 {
            Repr::Handshake(handshake) => Some(handshake),
            Repr::Refused(_) | Repr::Inner(_) => None,
        }
    }

    /// The HTTP status this rejection answers with.
    ///
    /// ```
    /// use webhook_axum::WebhookRejection;
    /// let rejection = WebhookRejection::from(webhook_verify::Rejection::payload_too_large(10));
    /// assert_eq!(rejection.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Repr::Refused(rejection) => status_of(rejection),
            Repr::Inner(response) => response.status(),
            Repr::Handshake(handshake) => {
                StatusCode::from_u16(handshake.status).unwrap_or(StatusCode::OK)
            }
        }
    }
}

/// Logs the refusal ([`log_refused`](webhook_verify::receiver::log_refused): reason and path,
/// never a signature or secret) and wraps it.
pub(crate) fn refuse(rejection: Rejection, path: &str) -> WebhookRejection {
    webhook_verify::receiver::log_refused(&rejection, path);
    WebhookRejection::from(rejection)
}

fn status_of(rejection: &Rejection) -> StatusCode {
    StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl From<Rejection> for WebhookRejection {
    fn from(rejection: Rejection) -> Self {
        Self(Repr::Refused(rejection))
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        match self.0 {
            Repr::Inner(response) => *response,
            Repr::Handshake(handshake) => {
                let status = StatusCode::from_u16(handshake.status).unwrap_or(StatusCode::OK);
                let content_type = [(CONTENT_TYPE, handshake.content_type)];
                let mut response = (status, content_type, handshake.body).into_response();
                for (name, value) in Handshake::HEADERS {
                    response
                        .headers_mut()
                        .insert(name, HeaderValue::from_static(value));
                }
                response
            }
            Repr::Refused(rejection) => {
                let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
                let mut response =
                    (status_of(&rejection), json, rejection.json_body()).into_response();
                if let Some(secs) = rejection.retry_after_secs() {
                    response
                        .headers_mut()
                        .insert(RETRY_AFTER, HeaderValue::from(secs));
                }
                if rejection.closes_connection() {
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                }
                // For the verify layer's metrics: the outcome a later layer decided.
                if let Some(outcome) = rejection.tagged_outcome() {
                    response.extensions_mut().insert(outcome);
                }
                response
            }
        }
    }
}

impl fmt::Debug for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Refused(rejection) => f.debug_tuple("WebhookRejection").field(rejection).finish(),
            Repr::Inner(response) => f
                .debug_struct("WebhookRejection")
                .field("inner_status", &response.status())
                .finish(),
            Repr::Handshake(handshake) => f
                .debug_struct("WebhookRejection")
                .field("handshake", &handshake.scheme)
                .finish(),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Refused(rejection) => fmt::Display::fmt(rejection, f),
            Repr::Inner(response) => {
                write!(f, "{} refused by the inner extractor", response.status())
            }
            Repr::Handshake(handshake) => {
                write!(
                    f,
                    "{} answered a {} endpoint check",
                    handshake.status, handshake.scheme
                )
            }
        }
    }
}

impl std::error::Error for WebhookRejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_sent_when_set() {
        let rejection = WebhookRejection::from(Rejection::new(503, "busy").retry_after(7));
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "7");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn no_retry_after_by_default() {
        let response = WebhookRejection::from(Rejection::unreadable_body()).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn misconfiguration_answers_500_without_details() {
        let rejection =
            WebhookRejection::from(Rejection::from(webhook_verify::VerifyError::NoSecret));
        assert_eq!(rejection.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            rejection.to_string(),
            "500 webhook receiver is misconfigured"
        );
    }

    #[test]
    fn inner_extractor_response_is_passed_through() {
        let rejection =
            WebhookRejection::inner((StatusCode::UNPROCESSABLE_ENTITY, "bad json").into_response());
        assert_eq!(rejection.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(rejection.rejection().is_none());
        assert_eq!(
            rejection.into_response().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
