//! The delivery dashboard ([`webhook_dashboard`]) as an axum [`Router`]: nest it where it should
//! be served with `Router::nest_service` (feature `dashboard`; `nest` would leave the prefix's
//! own `/` unmatched). Every answer, `401` included, comes from [`Dashboard::answer`]; this
//! module only reads the request (a form body of at most [`FORM_LIMIT`] bytes, `413` beyond)
//! and translates types.
//!
//! ```
//! use axum::Router;
//! use webhook_dashboard::{Dashboard, DeliveryLog};
//!
//! let log = DeliveryLog::new(1000);
//! let dashboard = Dashboard::new(log.clone(), "a-long-random-token")?;
//! let app: Router = Router::new().nest_service("/_webhooks", webhook_axum::dashboard::router(dashboard));
//! # Ok::<(), webhook_dashboard::TokenError>(())
//! ```

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::response::Response;
use http::header::{AUTHORIZATION, HOST, ORIGIN};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use webhook_dashboard::{Answer, Dashboard, FORM_LIMIT};

/// A router answering every path below where it is nested from `dashboard`.
pub fn router(dashboard: Dashboard) -> Router {
    let handle = move |request: Request| {
        let dashboard = dashboard.clone();
        async move { answer(&dashboard, request).await }
    };
    // A fallback, so that every path below the prefix, `/` and the prefix itself included,
    // reaches the dashboard (which answers 401 before anything else).
    Router::new().fallback(handle)
}

async fn answer(dashboard: &Dashboard, request: Request) -> Response {
    let (head, body) = request.into_parts();
    let Ok(body) = to_bytes(body, FORM_LIMIT).await else {
        return status_only(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let header = |name: HeaderName| text(&head.headers, name);
    let host = header(HOST).or_else(|| head.uri.authority().map(|a| a.as_str()));
    let answer = dashboard
        .answer(webhook_dashboard::Request {
            method: head.method.as_str(),
            path: head.uri.path(),
            authorization: header(AUTHORIZATION),
            origin: header(ORIGIN),
            host,
            body: &body,
        })
        .await;
    response(answer)
}

fn text(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn status_only(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

fn response(answer: Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}
