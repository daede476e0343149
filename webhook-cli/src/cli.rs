//! The command line: the `webhook` command and its subcommands.
//!
//! Adding a subcommand is one module in [`crate::commands`] holding its `Args` struct and `run`
//! function, plus one variant in [`Command`]. Options several subcommands share are in
//! [`crate::options`].

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Sign, verify and send webhook deliveries; inspect and replay a webhook queue.
///
/// Exit codes: 0 success, 1 the delivery is not authentic / the receiver refused it or could
/// not be reached / Redis could not be reached / a dead-letter id is unknown, 2 usage error.
#[derive(Parser)]
#[command(name = "webhook", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the signature headers a sender sends with a body, one `Name: value` per line.
    Sign(crate::commands::sign::SignArgs),
    /// Check a delivery: exit 0 and print `valid`, or exit 1 with the reason on stderr.
    Verify(crate::commands::verify::VerifyArgs),
    /// POST a correctly signed delivery to a URL and print the response's status and body.
    Send(crate::commands::send::SendArgs),
    /// Print the JSON payload that `send --event TYPE` would send.
    Payload(crate::commands::payload::PayloadArgs),
    /// Inspect a webhook-queue on Redis: counts, dead letters, replay.
    Queue(crate::commands::queue::QueueArgs),
    /// Receive deliveries locally: verify each POST, print `valid ...` or `invalid <reason>`,
    /// answer 200 or the refusal (401, 413, 400).
    Listen(crate::commands::listen::ListenArgs),
    /// Test a receiver as real senders behave: duplicates, retries, concurrent copies,
    /// forgeries, huge and slow bodies, idle connections; a table of passes and failures, with
    /// advice. Exit 0: every check passed; 1: one failed.
    Check(Box<crate::commands::check::CheckArgs>),
    /// Operate a webhook-inbox database (SQLite or PostgreSQL, --database or $DATABASE_URL):
    /// migrate, stats, list, show, replay, prune, refusals.
    Inbox(crate::commands::inbox::InboxArgs),
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), CliError> {
        match self {
            Self::Sign(args) => crate::commands::sign::run(args),
            Self::Verify(args) => crate::commands::verify::run(args),
            Self::Send(args) => crate::commands::send::run(args),
            Self::Payload(args) => crate::commands::payload::run(args),
            Self::Queue(args) => crate::commands::queue::run(args),
            Self::Listen(args) => crate::commands::listen::run(args),
            Self::Check(args) => crate::commands::check::run(*args),
            Self::Inbox(args) => crate::commands::inbox::run(args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
