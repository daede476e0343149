//! The delivery dashboard ([`webhook_dashboard`]) as an axum [`Router`]: nest it where it should
//! be served with `Router::nest_service` (feature `dashboard`; `nest` would leave the prefix's own `/` unmatched). Every answer, `401` included, comes from
//! [`Dashboard::answer`]; this module only translates types.
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
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header::AUTHORIZATION};
use webhook_dashboard::Dashboard;

/// A router answering every path below where it is nested from `dashboard`.
pub fn router(dashboard: Dashboard) -> Router {
    let handle = move |request: Request| {
        let dashboard = dashboard.clone();
        async move { answer(&dashboard, &request) }
    };
    // A fallback, so that every path below the prefix, `/` and the prefix itself included,
    // reaches the dashboard (which answers 401 before anything else).
    Router::new().fallback(handle)
}

fn answer(dashboard: &Dashboard, request: &Request) -> Response {
    let authorization = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let answer = dashboard.answer(
        request.method().as_str(),
        request.uri().path(),
        authorization,
    );
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
