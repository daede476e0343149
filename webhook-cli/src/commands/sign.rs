//! `webhook sign`: the headers a sender sends with a body.

use clap::Args;
use webhook_verify::Signer;

use crate::error::CliError;
use crate::options::{BodyArg, RequestArgs, SchemeArg};
use crate::secrets::SecretArgs;
use crate::{body, ids, output};

/// Options of `webhook sign`.
#[derive(Args)]
pub struct SignArgs {
    #[command(flatten)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// The delivery's id, signed by `standard` [default: a fresh `msg_<random>`]
    #[allow(
        rustdoc::broken_intra_doc_links,
        reason = "`[default: ...]` is clap's help style, not a link"
    )]
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The Unix time to sign, for timestamped schemes [default: now]
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    timestamp: Option<i64>,
    #[command(flatten)]
    body: BodyArg,
    #[command(flatten)]
    request: RequestArgs,
    /// Also print the body to send (after the headers and an empty line), for the schemes
    /// that sign inside the body (mailgun, linear); implied for them
    #[arg(long)]
    print_body: bool,
}

/// Signs the body and prints one `Name: value` line per header.
pub fn run(args: SignArgs) -> Result<(), CliError> {
    let request = args.request.request(&args.scheme.scheme)?;
    let signer = Signer::with_secrets(args.scheme.scheme, args.secrets.resolve()?)
        .map_err(CliError::config)?;
    let body = body::read(args.body.body_file.as_deref(), u64::MAX)?;
    let id = args.id.unwrap_or_else(|| ids::fresh("msg"));
    let timestamp = args.timestamp.unwrap_or_else(ids::now_unix);
    let signed = signer
        .sign_delivery(request.as_ref(), &id, timestamp, &body)
        .map_err(CliError::config)?;
    let mut text = Vec::new();
    for (name, value) in &signed.headers {
        text.extend_from_slice(format!("{name}: {value}\n").as_bytes());
    }
    if args.print_body || signed.body != body {
        text.push(b'\n');
        text.extend_from_slice(&signed.body);
    }
    output::stdout(&text)
}
