//! Where secrets come from: `--secret`, `--secret-env VAR`, or `$WEBHOOK_SECRET`.
//!
//! Secrets on a command line end up in shell history and in `ps`; the environment does not.

use std::env;

use clap::Args;
use webhook_verify::Secret;

use crate::error::CliError;

/// The variable read when neither `--secret` nor `--secret-env` is given.
pub const DEFAULT_ENV: &str = "WEBHOOK_SECRET";

/// `--secret` / `--secret-env`. Deliberately not `Debug`: it holds secrets.
#[derive(Args)]
pub struct SecretArgs {
    /// A secret or key (repeat for several, e.g. during rotation). Visible in shell history:
    /// prefer --secret-env or $WEBHOOK_SECRET.
    #[arg(long = "secret", value_name = "KEY")]
    secrets: Vec<String>,
    /// Read a secret from this environment variable (repeatable).
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
}

impl SecretArgs {
    /// Every secret given, in order: `--secret` values, then `--secret-env` variables; if there
    /// are none, `$WEBHOOK_SECRET`. No secret at all, an unset variable or an empty secret is a
    /// usage error.
    pub fn resolve(self) -> Result<Vec<Secret>, CliError> {
        self.resolve_for(true)
    }

    /// Like [`resolve`](Self::resolve), but no secret at all is fine when `required` is false
    /// (a scheme such as `sns` that needs none).
    pub fn resolve_for(self, required: bool) -> Result<Vec<Secret>, CliError> {
        let mut resolved = Vec::with_capacity(self.secrets.len() + self.secret_envs.len());
        for secret in self.secrets {
            resolved.push(non_empty(Secret::from(secret), "--secret")?);
        }
        for var in &self.secret_envs {
            resolved.push(from_env(var)?);
        }
        if resolved.is_empty() {
            if env::var_os(DEFAULT_ENV).is_none() {
                if !required {
                    return Ok(resolved);
                }
                return Err(CliError::usage(format!(
                    "no secret: pass --secret KEY or --secret-env VAR, or set {DEFAULT_ENV}"
                )));
            }
            resolved.push(from_env(DEFAULT_ENV)?);
        }
        Ok(resolved)
    }
}

fn from_env(var: &str) -> Result<Secret, CliError> {
    match env::var(var) {
        Ok(value) => non_empty(Secret::from(value), &format!("${var}")),
        Err(env::VarError::NotPresent) => Err(CliError::usage(format!(
            "environment variable {var} (for --secret-env) is not set"
        ))),
        Err(env::VarError::NotUnicode(_)) => Err(CliError::usage(format!(
            "environment variable {var} does not hold valid UTF-8"
        ))),
    }
}

fn non_empty(secret: Secret, source: &str) -> Result<Secret, CliError> {
    if secret.expose().is_empty() {
        Err(CliError::usage(format!(
            "the secret from {source} is empty"
        )))
    } else {
        Ok(secret)
    }
}
