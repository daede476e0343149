//! How a command fails, and which exit code each failure gets.

use std::fmt;
use std::process::ExitCode;

use webhook_verify::VerifyError;

/// A command's failure. Messages never contain a secret.
#[derive(Debug)]
pub enum CliError {
    /// The command was invoked wrongly (unusable secret, unreadable body file, ...): exit 2,
    /// like clap's own usage errors.
    Usage(String),
    /// The command ran and the answer is "no" (inauthentic delivery, non-2xx response,
    /// unreachable receiver): exit 1. The message is printed as is.
    Failed(String),
}

impl CliError {
    /// A usage error from anything printable.
    pub fn usage(message: impl fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }

    /// Builds the error for a [`VerifyError`] raised while building a verifier or signer, or
    /// while signing: these are all problems with the invocation (bad secret, bad id).
    pub fn config(err: VerifyError) -> Self {
        Self::usage(err)
    }

    /// Prints the message on stderr and gives the process's exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Self::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Self::Failed(message) => {
                eprintln!("{message}");
                ExitCode::from(1)
            }
        }
    }
}
