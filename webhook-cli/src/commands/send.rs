//! `webhook send`: POST a correctly signed delivery and show what the receiver answered.

use std::error::Error as _;
use std::io::{self, IsTerminal as _};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Url, redirect};
use webhook_verify::Signer;

use crate::error::CliError;
use crate::events::{self, Envelope, EventType};
use crate::options::{HeaderArg, SchemeArg, parse_header};
use crate::secrets::SecretArgs;
use crate::{body, ids, output};

/// Options of `webhook send`.
#[derive(Args)]
pub struct SendArgs {
    /// Where to POST the delivery: an http:// URL (https:// needs the `rustls` feature).
    #[arg(value_name = "URL")]
    url: Url,
    #[command(flatten)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// Send a realistic payload for this event type, with fresh ids and the current time.
    #[arg(long, value_name = "TYPE", conflicts_with = "body_file")]
    event: Option<EventType>,
    /// Send this file's bytes as the body (`-`: stdin). Without --event or --body-file, the
    /// body is read from stdin.
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Payload shape for --event: `object` ({id, type, created_at, data: {object},
    /// previous_data}), `flat` ({event, timestamp, data}), or `auto` (object for resource.*,
    /// flat otherwise) [default: auto]
    #[arg(long, value_enum)]
    envelope: Option<Envelope>,
    /// The delivery's id, sent in `webhook-id` by `standard` [default: a fresh `msg_<random>`]
    #[allow(
        rustdoc::broken_intra_doc_links,
        reason = "`[default: ...]` is clap's help style, not a link"
    )]
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// An extra header, 'Name: value' (repeatable); replaces a header of the same name.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<HeaderArg>,
    /// Send the same delivery (same id, body and signature) this many times in a row, to try
    /// the receiver's idempotency.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Seconds to wait for each response.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Also print the request line and headers on stderr.
    #[arg(long, short)]
    verbose: bool,
}

/// Signs and POSTs the delivery; prints each response's status line and body. A non-2xx status
/// or a failed connection is a [`CliError::Failed`].
pub fn run(args: SendArgs) -> Result<(), CliError> {
    if args.url.scheme() == "https" && !cfg!(feature = "rustls") {
        return Err(CliError::usage(
            "https:// URLs need webhook built with `--features rustls`",
        ));
    }
    if !matches!(args.url.scheme(), "http" | "https") {
        return Err(CliError::usage(format!(
            "cannot send to a {}: URL; use http:// or https://",
            args.url.scheme()
        )));
    }
    // Checked here, not with clap's `requires`: clap lets `--body-file`, which conflicts with
    // `--event`, stand in for it.
    if args.envelope.is_some() && args.event.is_none() {
        return Err(CliError::usage("--envelope only applies with --event TYPE"));
    }
    let signer = Signer::with_secrets(args.scheme.scheme, args.secrets.resolve()?)
        .map_err(CliError::config)?;
    let now = ids::now_unix();
    let body = match (args.event, &args.body_file) {
        (Some(event), _) => events::payload_bytes(event, args.envelope.unwrap_or_default(), now)?,
        (None, Some(path)) => body::read(Some(path), u64::MAX)?,
        (None, None) if io::stdin().is_terminal() => {
            return Err(CliError::usage(
                "give --event TYPE or --body-file FILE, or pipe the body on stdin",
            ));
        }
        (None, None) => body::read(None, u64::MAX)?,
    };
    let id = args.id.unwrap_or_else(|| ids::fresh("msg"));

    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("webhook-cli/", env!("CARGO_PKG_VERSION"))),
    );
    let url = args.url.to_string();
    let request = webhook_verify::Request::post(&url);
    let signed = signer
        .sign_delivery(Some(&request), &id, now, &body)
        .map_err(CliError::config)?;
    let body = signed.body;
    for (name, value) in signed.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(CliError::usage)?;
        let value = HeaderValue::from_str(&value).map_err(CliError::usage)?;
        // Replaces the default Content-Type when the scheme sends its own (sns).
        headers.insert(name, value);
    }
    for header in args.headers {
        headers.insert(header.name, header.value);
    }

    let delivery = Delivery {
        url: args.url,
        headers,
        body,
        repeat: args.repeat,
        timeout: Duration::from_secs(args.timeout),
        verbose: args.verbose,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::Failed(format!("error: cannot start the HTTP client: {err}")))?
        .block_on(delivery.send())
}

/// One signed request, ready to go.
struct Delivery {
    url: Url,
    headers: HeaderMap,
    body: Vec<u8>,
    repeat: u32,
    timeout: Duration,
    verbose: bool,
}

impl Delivery {
    async fn send(self) -> Result<(), CliError> {
        // Senders do not follow redirects: a 3xx is reported, as a receiver misconfiguration.
        let client = Client::builder()
            .timeout(self.timeout)
            .redirect(redirect::Policy::none())
            .build()
            .map_err(|err| failed("cannot build the HTTP client", &err))?;
        if self.verbose {
            eprintln!("> POST {}", self.url);
            for (name, value) in &self.headers {
                eprintln!("> {name}: {}", String::from_utf8_lossy(value.as_bytes()));
            }
            eprintln!("> ({} bytes of body)", self.body.len());
        }
        let mut refused = None;
        for _ in 0..self.repeat {
            let response = client
                .post(self.url.clone())
                .headers(self.headers.clone())
                .body(self.body.clone())
                .send()
                .await
                .map_err(|err| failed("cannot deliver", &err))?;
            let status = response.status();
            let answer = response
                .bytes()
                .await
                .map_err(|err| failed("cannot read the response", &err))?;
            let mut text = format!("{status}\n").into_bytes();
            text.extend_from_slice(&answer);
            if !answer.is_empty() && !answer.ends_with(b"\n") {
                text.push(b'\n');
            }
            output::stdout(&text)?;
            if !status.is_success() {
                refused = Some(status);
            }
        }
        match refused {
            Some(status) => Err(CliError::Failed(format!(
                "error: the receiver answered {status}"
            ))),
            None => Ok(()),
        }
    }
}

/// A [`CliError::Failed`] with the error's whole chain of causes.
fn failed(what: &str, err: &reqwest::Error) -> CliError {
    let mut message = format!("error: {what}: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    CliError::Failed(message)
}
