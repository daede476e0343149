//! The delivery dashboard ([`webhook_dashboard`]) as an actix-web [`Scope`] (feature
//! `dashboard`): every path below its prefix reaches [`Dashboard::answer`], `401` included; this
//! module only reads the request (a form body of at most [`FORM_LIMIT`] bytes, `413` beyond)
//! and translates types.
//!
//! ```
//! use actix_web::App;
//! use webhook_dashboard::{Dashboard, DeliveryLog};
//!
//! let log = DeliveryLog::new(1000);
//! let dashboard = Dashboard::new(log.clone(), "a-long-random-token")?;
//! let app = App::new().service(webhook_actix::dashboard::scope("/_webhooks", dashboard));
//! # drop(app);
//! # Ok::<(), webhook_dashboard::TokenError>(())
//! ```

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HOST, HeaderName, ORIGIN};
use actix_web::{HttpRequest, HttpResponse, Scope, web};
use bytes::Bytes;
use webhook_dashboard::{Dashboard, FORM_LIMIT};

/// A scope at `path` answering every path below it from `dashboard`.
pub fn scope(path: &str, dashboard: Dashboard) -> Scope {
    web::scope(path)
        .app_data(web::Data::new(dashboard))
        .app_data(web::PayloadConfig::new(FORM_LIMIT))
        .default_service(web::to(answer))
}

async fn answer(req: HttpRequest, body: Bytes, dashboard: web::Data<Dashboard>) -> HttpResponse {
    let header = |name: HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header(HOST).or_else(|| req.uri().authority().map(|a| a.as_str()));
    let path = req.match_info().unprocessed();
    let answer = dashboard
        .answer(webhook_dashboard::Request {
            method: req.method().as_str(),
            path: if path.is_empty() { "/" } else { path },
            authorization: header(AUTHORIZATION),
            origin: header(ORIGIN),
            host,
            body: &body,
        })
        .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers {
        response.insert_header((name, value));
    }
    response.body(answer.body)
}
