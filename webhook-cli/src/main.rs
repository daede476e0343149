//! `webhook`: sign, verify and send webhook deliveries from the command line, and inspect a
//! `webhook-queue` on Redis (counts, dead letters, replay).
//!
//! Exit codes: `0` success, `1` the operation ran and failed (a delivery is not authentic, the
//! receiver answered non-2xx or could not be reached, Redis could not be reached, a dead-letter id
//! is unknown), `2` usage error (bad option, unknown scheme, unusable secret, malformed
//! `--header`). Secrets and Redis passwords are never printed.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod cli;
mod commands;
mod error;
mod events;
mod ids;
mod options;
mod ordered;
mod output;
mod redact;
mod runtime;
mod secrets;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => err.report(),
    }
}
