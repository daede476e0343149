//! `webhook payload`: print the JSON payload `send --event TYPE` would send.

use clap::Args;

use crate::error::CliError;
use crate::events::{Envelope, EventType, payload_bytes};
use crate::{ids, output};

/// Options of `webhook payload`.
#[derive(Args)]
pub struct PayloadArgs {
    /// The event type.
    #[arg(long, value_name = "TYPE")]
    event: EventType,
    /// The payload's shape: `object` ({id, type, created_at, data: {object}, previous_data}),
    /// `flat` ({event, timestamp, data}), or `auto` (object for resource.*, flat otherwise).
    #[arg(long, value_enum, default_value_t = Envelope::Auto)]
    envelope: Envelope,
}

/// Prints the payload `send --event` would send, with a final newline.
pub fn run(args: PayloadArgs) -> Result<(), CliError> {
    let mut bytes = payload_bytes(args.event, args.envelope, ids::now_unix())?;
    bytes.push(b'\n');
    output::stdout(&bytes)
}
