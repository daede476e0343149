//! [`ReceiverServer`]: `HttpServer` with the settings a webhook receiver needs on the open
//! internet, in one call.
//!
//! actix-web already answers a slow or idle head with `408` after 5 s, but it holds a connection
//! whose body never finishes for ever, and about a thousand of those exhaust the process's file
//! descriptors, so that every real delivery times out. [`receiver_defaults`](ReceiverServer::receiver_defaults)
//! sets the [`ServerLimits`] of `webhook-verify` (table in [`webhook_verify::server`]):
//!
//! - `client_request_timeout`: the head within [`header_timeout`](ServerLimits::header_timeout) (10 s), else `408`;
//! - `keep_alive`: an idle connection is closed after [`keep_alive`](ServerLimits::keep_alive) (10 s);
//! - `client_disconnect_timeout`: 1 s to shut a connection down;
//! - `backlog`: 1,024 connections may wait to be accepted (call it before `bind`);
//! - `workers` (the available parallelism, actix-web's own default) and `max_connections`: at
//!   most [`max_connections`](ServerLimits::max_connections) in all (below the open-file limit,
//!   whose soft value is raised to the hard one), split between the workers; more wait in the
//!   listen backlog.
//!
//! The body's own deadline ([`Verifier::body_timeout`](webhook_verify::Verifier::body_timeout),
//! 30 s after the head: `408` and the connection closed) is kept by
//! [`VerifyWebhook`](crate::VerifyWebhook) and the [`Webhook`](crate::Webhook) extractor.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use webhook_actix::ReceiverServer as _;
//!
//! # async fn run() -> std::io::Result<()> {
//! HttpServer::new(|| App::new().route("/webhooks", web::post().to(|| async { "ok" })))
//!     .receiver_defaults()
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! # }
//! ```

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use actix_http::body::MessageBody;
use actix_http::{Request, Response};
use actix_service::{IntoServiceFactory, Service, ServiceFactory};
use actix_web::dev::AppConfig;
use actix_web::{Error, HttpServer};
use webhook_verify::server::ServerLimits;

/// Receiver-grade settings for actix-web's `HttpServer`; see the [module docs](self).
pub trait ReceiverServer: Sized {
    /// Applies `limits`: head timeout, keep-alive, and the connection cap split between the
    /// workers (set to the available parallelism; call `.workers(n)` before `max_connections`
    /// matters to you, then set `.max_connections(total / n)` yourself).
    ///
    /// ```no_run
    /// # use actix_web::{App, HttpServer};
    /// use webhook_actix::ReceiverServer as _;
    /// use webhook_verify::server::ServerLimits;
    ///
    /// let limits = ServerLimits { max_connections: 500, ..ServerLimits::detect() };
    /// let server = HttpServer::new(App::new).receiver_limits(limits);
    /// # drop(server);
    /// ```
    fn receiver_limits(self, limits: ServerLimits) -> Self;

    /// Applies [`ServerLimits::detect`] (which also raises the soft open-file limit).
    ///
    /// ```no_run
    /// # use actix_web::{App, HttpServer};
    /// use webhook_actix::ReceiverServer as _;
    /// let server = HttpServer::new(App::new).receiver_defaults();
    /// # drop(server);
    /// ```
    fn receiver_defaults(self) -> Self {
        self.receiver_limits(ServerLimits::detect())
    }
}

impl<F, I, S, B> ReceiverServer for HttpServer<F, I, S, B>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    fn receiver_limits(self, limits: ServerLimits) -> Self {
        let workers = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        self.workers(workers)
            .client_request_timeout(limits.header_timeout)
            .client_disconnect_timeout(Duration::from_secs(1))
            .keep_alive(limits.keep_alive)
            .backlog(limits.backlog)
            .max_connections((limits.max_connections / workers).max(1))
    }
}
