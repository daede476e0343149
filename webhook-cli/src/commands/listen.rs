//! `webhook listen`: a local receiver to try senders against. Verifies every POST with
//! `webhook-axum`'s [`Webhook`] extractor, prints one line per delivery, and answers as the
//! adapters do (200, or the refusal's 401 / 413 / 400 with `{"error": "..."}`). The providers'
//! endpoint checks ([`webhook_verify::handshake`]: Slack, Zoom, Twitch, and the `GET`
//! challenges of Dropbox and Meta) are answered as the adapters answer them. With
//! `--confirm-subscriptions` (the `rustls` feature), an authentic SNS `SubscriptionConfirmation`
//! is confirmed by the library's certificate fetcher (`webhook_verify::fetch`). With
//! `--dashboard`, the delivery dashboard (`webhook-dashboard`) is served at `/_webhooks/` on the
//! same port, over the last deliveries kept in memory.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use clap::Args;
use webhook_axum::{Webhook, WebhookRejection};
use webhook_dashboard::{Dashboard, DeliveryLog};
use webhook_verify::{DEFAULT_BODY_LIMIT, PublicUrl, Verifier, VerifierBuilder};

use crate::error::CliError;
use crate::options::{CertArgs, SchemeArg, ToleranceArgs};
use crate::output::{self, printable};
use crate::secrets::SecretArgs;

/// Options of `webhook listen`.
#[derive(Args)]
pub struct ListenArgs {
    /// The TCP port to listen on (0: any free port; the address is printed on stderr).
    #[arg(long, short, value_name = "PORT", default_value_t = 3000)]
    port: u16,
    /// The address to bind (127.0.0.1: only this machine can send).
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    #[command(flatten)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    #[command(flatten)]
    tolerance: ToleranceArgs,
    #[command(flatten)]
    cert: CertArgs,
    /// Refuse a body longer than this many bytes (413), without reading it all.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// The scheme and host senders post to (`https://abc.example`), for the schemes that sign
    /// the URL (twilio, square, hubspot); each request's path and query are appended
    /// [default: http://{bind}:{port}]
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The verify token Meta's endpoint check must carry (`hub.verify_token`), as typed into
    /// Meta's webhook settings; without it Meta's check is refused (403)
    #[arg(long, value_name = "TOKEN")]
    verify_token: Option<String>,
    /// Stop after this many deliveries (valid or not) [default: run until Ctrl-C]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Confirm Amazon SNS subscriptions (`--scheme sns`; needs the `rustls` feature): only an
    /// authentic SubscriptionConfirmation is confirmed, only by one GET of its SubscribeURL, and
    /// only when that URL is https on an SNS host `sns.<region>.amazonaws.com` (any other is
    /// refused before any connection); prints `subscription confirmed` or `subscription not
    /// confirmed: <reason>`. Without it a SubscriptionConfirmation is answered 200 and printed
    /// as awaiting confirmation
    #[arg(long)]
    confirm_subscriptions: bool,
    /// Trust only this CA (PEM) for the HTTPS requests of `--confirm-subscriptions`, instead of
    /// the built-in Mozilla roots: for tests against a local server
    #[arg(
        long,
        value_name = "PEM",
        hide = true,
        requires = "confirm_subscriptions"
    )]
    tls_root_file: Option<PathBuf>,
    /// Connect to ADDR for HOST (`HOST=ADDR`, repeatable) in the HTTPS requests of
    /// `--confirm-subscriptions` (the host rule and TLS name check still apply to HOST): for
    /// tests against a local server
    #[arg(
        long,
        value_name = "HOST=ADDR",
        hide = true,
        requires = "confirm_subscriptions"
    )]
    resolve: Vec<String>,
    #[command(flatten)]
    dashboard: DashboardArgs,
}

/// How many deliveries `--dashboard` keeps in memory.
const DASHBOARD_LOG_LEN: usize = 1000;

/// The dashboard options of `webhook listen`.
#[derive(Args)]
struct DashboardArgs {
    /// Serve the delivery dashboard at /_webhooks/ on the same port (the last 1000 deliveries,
    /// their headers and bodies); it shows payloads, so it needs --dashboard-token, or
    /// --dashboard-without-token on a loopback --bind
    #[arg(long)]
    dashboard: bool,
    /// The dashboard's access token: a browser logs in with it as the password of any user
    /// name, a client sends `Authorization: Bearer <TOKEN>`
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DASHBOARD_TOKEN",
        hide_env_values = true
    )]
    dashboard_token: Option<String>,
    /// Serve the dashboard without a token: refused unless --bind is a loopback address
    #[arg(long, requires = "dashboard", conflicts_with = "dashboard_token")]
    dashboard_without_token: bool,
}

impl DashboardArgs {
    /// The dashboard to serve on `bind` (`None` without `--dashboard`), and the log that feeds it.
    fn dashboard(&self, bind: IpAddr) -> Result<Option<(Dashboard, DeliveryLog)>, CliError> {
        if !self.dashboard {
            return Ok(None);
        }
        let log = DeliveryLog::new(DASHBOARD_LOG_LEN);
        let dashboard = match (&self.dashboard_token, self.dashboard_without_token) {
            (Some(token), _) => Dashboard::new(log.clone(), token.as_str()).map_err(|_| {
                CliError::usage(
                    "--dashboard-token (or DASHBOARD_TOKEN) is empty: give a long random string",
                )
            })?,
            (None, true) if bind.is_loopback() => Dashboard::without_token_on_loopback(log.clone()),
            (None, true) => {
                return Err(CliError::usage(format!(
                    "--dashboard-without-token serves payloads to anyone who reaches {bind}: \
                     bind a loopback address, or give --dashboard-token"
                )));
            }
            (None, false) => {
                return Err(CliError::usage(
                    "--dashboard shows payloads: give --dashboard-token (or DASHBOARD_TOKEN), or \
                     --dashboard-without-token with a loopback --bind",
                ));
            }
        };
        Ok(Some((dashboard, log)))
    }
}

/// Serves until Ctrl-C (or `--count` deliveries): `valid <scheme> <id or -> <bytes>` or
/// `invalid <reason>` on stdout per POST, on any path.
pub fn run(args: ListenArgs) -> Result<(), CliError> {
    let certificate = args.cert.certificate(&args.scheme.scheme)?;
    let secrets = args
        .secrets
        .resolve_for(args.scheme.scheme.requires_secret())?;
    let confirm = args.confirm_subscriptions;
    if confirm && args.scheme.scheme.name() != "sns" {
        return Err(CliError::usage(
            "--confirm-subscriptions confirms Amazon SNS subscriptions: give --scheme sns",
        ));
    }
    let mut builder = Verifier::builder(args.scheme.scheme)
        .secrets(secrets)
        .body_limit(args.body_limit)
        .confirm_subscriptions(confirm);
    match (certificate, confirm) {
        (Some(certificate), true) => {
            builder =
                builder.certificates(confirming(certificate, &args.tls_root_file, &args.resolve)?);
        }
        (Some(certificate), false) => builder = builder.certificates(certificate),
        (None, _) => {}
    }
    if let Some(token) = args.verify_token {
        builder = builder.verify_token(token);
    }
    let dashboard = args.dashboard.dashboard(args.bind)?;
    if let Some((_, log)) = &dashboard {
        builder = builder.recorder(log.clone());
    }
    let builder = args.tolerance.apply(builder);
    let addr = SocketAddr::new(args.bind, args.port);
    let options = Serve {
        count: args.count,
        public_url: args.public_url,
        confirm,
        dashboard: dashboard.map(|(dashboard, _)| dashboard),
    };
    crate::runtime::block_on(serve(builder, addr, options))
}

/// The certificate source of `--confirm-subscriptions`: the `--cert-file` certificate for
/// verifying, and the library's certificate fetcher for the confirming `GET`.
#[cfg(feature = "rustls")]
fn confirming(
    given: webhook_verify::GivenCertificate,
    root: &Option<PathBuf>,
    resolve: &[String],
) -> Result<Confirming, CliError> {
    use webhook_verify::fetch::CertificateFetcher;
    let mut fetcher = CertificateFetcher::builder(webhook_verify::Scheme::sns());
    if let Some(path) = root {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "cannot read --tls-root-file {}: {e}",
                path.display()
            ))
        })?;
        fetcher = fetcher.root_certificate(&pem);
    }
    for pair in resolve {
        let parsed = pair
            .split_once('=')
            .and_then(|(host, addr)| Some((host, addr.parse::<SocketAddr>().ok()?)));
        let Some((host, addr)) = parsed else {
            return Err(CliError::usage(format!(
                "--resolve {pair}: expected HOST=IP:PORT"
            )));
        };
        fetcher = fetcher.resolve(host, addr);
    }
    let fetcher = fetcher.build().map_err(CliError::config)?;
    Ok(Confirming { given, fetcher })
}

/// Without the `rustls` feature there is no HTTPS client to confirm with.
#[cfg(not(feature = "rustls"))]
fn confirming(
    _given: webhook_verify::GivenCertificate,
    _root: &Option<PathBuf>,
    _resolve: &[String],
) -> Result<webhook_verify::GivenCertificate, CliError> {
    Err(CliError::usage(
        "--confirm-subscriptions needs webhook built with `--features rustls` (an HTTPS client)",
    ))
}

/// Verifies with the given certificate; confirms through the fetcher, printing the outcome.
#[cfg(feature = "rustls")]
struct Confirming {
    given: webhook_verify::GivenCertificate,
    fetcher: webhook_verify::fetch::CertificateFetcher,
}

#[cfg(feature = "rustls")]
impl webhook_verify::CertificateSource for Confirming {
    fn certificate(&self, url: &str) -> Option<std::sync::Arc<webhook_verify::Certificate>> {
        webhook_verify::CertificateSource::certificate(&self.given, url)
    }

    fn confirm_subscription<'a>(&'a self, url: &'a str) -> Option<webhook_verify::Prefetch<'a>> {
        Some(Box::pin(async move {
            // Never the URL: it holds the subscription's token.
            let line = match self.fetcher.confirm(url).await {
                Ok(()) => "subscription confirmed\n".to_owned(),
                Err(err) => format!("subscription not confirmed: {err}\n"),
            };
            let _ = output::stdout(line.as_bytes());
        }))
    }
}

/// What `serve` needs beyond the verifier and the address.
struct Serve {
    count: Option<u64>,
    public_url: Option<String>,
    confirm: bool,
    dashboard: Option<Dashboard>,
}

async fn serve(builder: VerifierBuilder, addr: SocketAddr, options: Serve) -> Result<(), CliError> {
    let Serve {
        count,
        public_url,
        confirm,
        dashboard,
    } = options;
    let listener = webhook_axum::bind(addr)
        .await
        .map_err(|err| CliError::Failed(format!("error: cannot listen on {addr}: {err}")))?;
    let local = listener
        .local_addr()
        .map_err(|err| CliError::Failed(format!("error: cannot listen on {addr}: {err}")))?;
    // The schemes that sign the URL (twilio, square, hubspot) verify against the URL senders
    // post to: `--public-url`, or this listener's own address; the others ignore it.
    let base = public_url.unwrap_or_else(|| format!("http://{local}"));
    let verifier = builder
        .public_url(PublicUrl::base(&base))
        .build()
        .map_err(CliError::config)?;
    let (done, mut finished) = tokio::sync::mpsc::channel::<()>(1);
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let receive = move |method: Method, delivery: Result<Webhook<Bytes>, WebhookRejection>| {
        let (done, seen) = (done.clone(), seen.clone());
        async move {
            let answer = answer(&method, delivery, confirm);
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if count.is_some_and(|count| n >= count) {
                let _ = done.try_send(());
            }
            answer
        }
    };
    // GET too: Dropbox and Meta check an endpoint with a GET challenge.
    let mut app = Router::new()
        .fallback(post(receive.clone()).get(receive))
        .with_state(verifier);
    eprintln!("listening on http://{local}/ (POST, any path; Ctrl-C to stop)");
    if let Some(dashboard) = dashboard {
        app = app.nest_service("/_webhooks", webhook_axum::dashboard::router(dashboard));
        eprintln!("dashboard on http://{local}/_webhooks/");
    }
    // Timeouts and a connection cap, as the receivers it stands in for should have.
    webhook_axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = finished.recv() => {}
            }
        })
        .await
        .map_err(|err| CliError::Failed(format!("error: the server failed: {err}")))
}

/// Prints the delivery's line (`valid ...`, `invalid <reason>`, or `handshake <scheme> <status>`
/// for an endpoint check, after `subscription awaits confirmation ...` for an SNS
/// subscription left unconfirmed) and gives the answer.
fn answer(
    method: &Method,
    delivery: Result<Webhook<Bytes>, WebhookRejection>,
    confirm: bool,
) -> Response {
    let (line, response) = match delivery {
        // A GET is routed for the endpoint checks only, never taken as a delivery.
        Ok(_) if method == Method::GET => (
            "invalid GET is only answered for endpoint checks\n".to_owned(),
            StatusCode::METHOD_NOT_ALLOWED.into_response(),
        ),
        Ok(Webhook { payload, verified }) => (
            format!(
                "valid {} {} {}\n",
                verified.scheme,
                printable(verified.webhook_id.as_deref().unwrap_or("-")),
                payload.len()
            ),
            StatusCode::OK.into_response(),
        ),
        Err(rejection) => {
            let line = match (rejection.handshake(), rejection.rejection()) {
                (Some(handshake), _) => {
                    let awaiting = !confirm
                        && handshake.scheme == "sns"
                        && handshake.body == r#"{"received":"SubscriptionConfirmation"}"#;
                    let note = if awaiting {
                        "subscription awaits confirmation: give --confirm-subscriptions, or \
                         visit the message's SubscribeURL\n"
                    } else {
                        ""
                    };
                    format!(
                        "{note}handshake {} {}\n",
                        handshake.scheme, handshake.status
                    )
                }
                (None, Some(refused)) => format!("invalid {}\n", refused.message()),
                (None, None) => format!("invalid {}\n", rejection.status()),
            };
            (line, rejection.into_response())
        }
    };
    // A closed stdout (`webhook listen | head -1`) does not stop the answers.
    let _ = output::stdout(line.as_bytes());
    response
}
