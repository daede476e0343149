//! [`serve`]: `axum::serve` with the settings a webhook receiver needs on the open internet.
//!
//! `axum::serve` has no timeouts and no connection cap: a client that opens a connection and
//! never finishes its request keeps it for ever, and about a thousand such clients exhaust the
//! process's file descriptors, so that every real delivery times out. [`serve`] runs the same
//! router on hyper's HTTP/1.1 server with the [`ServerLimits`] of `webhook-verify` (table in
//! [`webhook_verify::server`]):
//!
//! - a request's head must arrive within [`header_timeout`](ServerLimits::header_timeout)
//!   (10 s), and an idle keep-alive connection is closed after the same time (hyper bounds the
//!   wait for the next head with one timer);
//! - a body must arrive within the verifier's [`body_timeout`](webhook_verify::Verifier::body_timeout)
//!   (30 s after the head), enforced by [`VerifyWebhookLayer`](crate::VerifyWebhookLayer):
//!   `408` and the connection closed;
//! - at most [`max_connections`](ServerLimits::max_connections) connections are open at once
//!   (below the open-file limit, whose soft value is raised to the hard one at start): more wait
//!   in the listen backlog, so a flood delays deliveries by a header timeout at most instead of
//!   refusing them;
//! - an HTTP/1.1 request without `Host` is answered `400`, as RFC 9112 requires;
//! - [`with_graceful_shutdown`](Serve::with_graceful_shutdown) stops accepting when the signal
//!   comes and waits for the requests in progress.
//!
//! [`bind`] opens the listener with a backlog of [`DEFAULT_BACKLOG`] (1,024) rather than the 128
//! of `tokio::net::TcpListener::bind`, so that connections past the cap queue in the kernel
//! instead of having their connection attempts dropped and retried.
//!
//! With your own server, set the same: hyper's `http1::Builder::timer` and
//! `header_read_timeout`, and a cap on accepted connections.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use webhook_axum::VerifyWebhookLayer;
//! use webhook_verify::{Scheme, Verifier};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(Scheme::hmac_sha256(), "your-webhook-secret")?;
//! let app = Router::new()
//!     .route("/webhooks", post(|| async { "ok" }))
//!     .route_layer(VerifyWebhookLayer::new(verifier));
//! let listener = webhook_axum::bind("127.0.0.1:3000").await?;
//! webhook_axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::future::{Future, IntoFuture, Pending};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use http::{Request, Version, header::HOST};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use pin_project_lite::pin_project;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tower_service::Service;
use webhook_verify::Rejection;
use webhook_verify::server::{DEFAULT_BACKLOG, ServerLimits};

use crate::rejection::refuse;

/// Binds a listener for [`serve`] with a backlog of [`DEFAULT_BACKLOG`] connections (the first
/// address of `addr` that binds).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = webhook_axum::bind(("127.0.0.1", 3000)).await?;
/// # Ok(())
/// # }
/// ```
pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> io::Result<TcpListener> {
    let mut failed = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr) {
            Ok(()) => return socket.listen(DEFAULT_BACKLOG),
            Err(err) => failed = Some(err),
        }
    }
    Err(failed.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
}

/// Serves `router` on `listener` with receiver-grade limits; see the [module docs](self).
///
/// Await it to run until the listener fails; add
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown) or [`limits`](Serve::limits) first.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = webhook_axum::bind("127.0.0.1:3000").await?;
/// webhook_axum::serve(listener, app)
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        limits: None,
        signal: std::future::pending(),
    }
}

/// What [`serve`] returns: options, then `.await` it.
#[must_use = "a Serve does nothing until it is awaited"]
pub struct Serve<F = Pending<()>> {
    listener: TcpListener,
    router: Router,
    limits: Option<ServerLimits>,
    signal: F,
}

impl<F> Serve<F> {
    /// Replaces the limits (default: [`ServerLimits::detect`], which also raises the soft
    /// open-file limit).
    ///
    /// ```no_run
    /// # async fn run(app: axum::Router, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    /// use webhook_verify::server::{DEFAULT_BACKLOG, ServerLimits};
    /// let limits = ServerLimits { max_connections: 500, ..ServerLimits::detect() };
    /// webhook_axum::serve(listener, app).limits(limits).await
    /// # }
    /// ```
    pub fn limits(mut self, limits: ServerLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Stops accepting connections when `signal` completes, then waits for the connections in
    /// progress to finish their requests.
    ///
    /// ```no_run
    /// # async fn run(app: axum::Router, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    /// let ctrl_c = async { let _ = tokio::signal::ctrl_c().await; };
    /// webhook_axum::serve(listener, app).with_graceful_shutdown(ctrl_c).await
    /// # }
    /// ```
    pub fn with_graceful_shutdown<G>(self, signal: G) -> Serve<G>
    where
        G: Future<Output = ()> + Send + 'static,
    {
        Serve {
            listener: self.listener,
            router: self.router,
            limits: self.limits,
            signal,
        }
    }
}

impl<F> IntoFuture for Serve<F>
where
    F: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let limits = self.limits.unwrap_or_else(ServerLimits::detect);
        Box::pin(run(self.listener, self.router, limits, self.signal))
    }
}

async fn run<F>(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    signal: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tracing::debug!(?limits, "webhook receiver serving");
    let mut signal = std::pin::pin!(signal);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed: the semaphore lives here
            },
            () = &mut signal => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(RequireHost {
            router: router.clone(),
            peer: ConnectInfo(peer),
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A failed `accept`: a connection that went away before it was accepted is nothing; anything
/// else (too many open files, ...) is logged and retried after a pause, as `axum::serve` does.
async fn accept_failed(err: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %err, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The router, answering `400` to an HTTP/1.1 request without `Host` (RFC 9112, section 3.2);
/// each request carries its connection's peer as axum's [`ConnectInfo`] (so that handlers can
/// extract it, and the recorder keeps a refused sender's address).
#[derive(Clone)]
struct RequireHost {
    router: Router,
    peer: ConnectInfo<SocketAddr>,
}

impl Service<Request<Incoming>> for RequireHost {
    type Response = Response;
    type Error = Infallible;
    type Future = HostChecked;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<Body>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request<Incoming>) -> Self::Future {
        if request.version() == Version::HTTP_11 && !request.headers().contains_key(HOST) {
            let rejection = Rejection::new(400, "HTTP/1.1 request without a Host header");
            let rejection = refuse(rejection, request.uri().path());
            return HostChecked::Refused {
                response: Some(rejection.into_response()),
            };
        }
        request.extensions_mut().insert(self.peer);
        HostChecked::Routed {
            future: self.router.call(request.map(Body::new)),
        }
    }
}

pin_project! {
    /// The response future of [`RequireHost`].
    #[project = HostCheckedProj]
    enum HostChecked {
        Routed { #[pin] future: axum::routing::future::RouteFuture<Infallible> },
        Refused { response: Option<Response> },
    }
}

impl Future for HostChecked {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HostCheckedProj::Routed { future } => future.poll(cx),
            HostCheckedProj::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
        }
    }
}
