//! `webhook verify`: is this delivery authentic?

use clap::Args;
use http::HeaderMap;
use webhook_verify::{DEFAULT_BODY_LIMIT, FixedClock, PublicUrl, Verifier};

use crate::error::CliError;
use crate::options::{
    BodyArg, CertArgs, HeaderArg, RequestArgs, SchemeArg, ToleranceArgs, parse_header,
};
use crate::secrets::SecretArgs;
use crate::{body, output};

/// Options of `webhook verify`.
#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// A header as received, written 'Name: value' (repeat for each header; names match
    /// case-insensitively).
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        required = true,
        value_parser = parse_header
    )]
    headers: Vec<HeaderArg>,
    #[command(flatten)]
    body: BodyArg,
    #[command(flatten)]
    request: RequestArgs,
    #[command(flatten)]
    cert: CertArgs,
    /// Check timestamps against this Unix time instead of the system clock.
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    now: Option<i64>,
    #[command(flatten)]
    tolerance: ToleranceArgs,
    /// Refuse a body longer than this many bytes, without reading it all.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Also print what was verified (scheme, id, timestamp, which secret) on stderr.
    #[arg(long, short)]
    verbose: bool,
}

/// Verifies the delivery: `valid` on stdout and `Ok`, or the reason as [`CliError::Failed`].
pub fn run(args: VerifyArgs) -> Result<(), CliError> {
    let request = args.request.request(&args.scheme.scheme)?;
    let certificate = args.cert.certificate(&args.scheme.scheme)?;
    let secrets = args
        .secrets
        .resolve_for(args.scheme.scheme.requires_secret())?;
    // The URL-signed schemes get theirs from `--url`, with this one delivery.
    let mut builder = Verifier::builder(args.scheme.scheme)
        .public_url(PublicUrl::PerRequest)
        .secrets(secrets)
        .body_limit(args.body_limit);
    if let Some(certificate) = certificate {
        builder = builder.certificates(certificate);
    }
    if let Some(now) = args.now {
        builder = builder.clock(FixedClock(now));
    }
    builder = args.tolerance.apply(builder);
    let verifier = builder.build().map_err(CliError::config)?;

    let mut headers = HeaderMap::with_capacity(args.headers.len());
    for header in args.headers {
        headers.append(header.name, header.value);
    }
    // One byte past the limit is enough for the verifier to refuse an oversized body.
    let max = u64::try_from(args.body_limit)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let body = body::read(args.body.body_file.as_deref(), max)?;

    let result = match &request {
        Some(request) => verifier.verify_request(request, &headers, &body),
        None => verifier.verify(&headers, &body),
    };
    match result {
        Ok(verified) => {
            if args.verbose {
                eprintln!(
                    "scheme={} webhook_id={} timestamp={} event_type={} secret_index={}",
                    verified.scheme,
                    verified.webhook_id.as_deref().unwrap_or("-"),
                    verified
                        .timestamp
                        .map_or_else(|| "-".to_owned(), |t| t.to_string()),
                    verified.event_type.as_deref().unwrap_or("-"),
                    verified.secret_index,
                );
            }
            output::stdout(b"valid\n")
        }
        Err(err) if err.is_request_error() => Err(CliError::Failed(format!("invalid: {err}"))),
        Err(err) => Err(CliError::config(err)),
    }
}
