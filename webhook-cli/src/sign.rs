//! `webhook sign`: the headers a sender sends with a body.

use clap::Args;
use webhook_verify::Signer;

use crate::args::{BodyArg, SchemeArg};
use crate::error::CliError;
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
}

/// Signs the body and prints one `Name: value` line per header.
pub fn run(args: SignArgs) -> Result<(), CliError> {
    let signer = Signer::with_secrets(args.scheme.scheme, args.secrets.resolve()?)
        .map_err(CliError::config)?;
    let body = body::read(args.body.body_file.as_deref(), u64::MAX)?;
    let id = args.id.unwrap_or_else(|| ids::fresh("msg"));
    let timestamp = args.timestamp.unwrap_or_else(ids::now_unix);
    let headers = signer
        .sign(&id, timestamp, &body)
        .map_err(CliError::config)?;
    let mut text = String::new();
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    output::stdout(text.as_bytes())
}
