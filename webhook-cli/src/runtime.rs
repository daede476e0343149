//! The async runtime the networked commands (`queue`, `listen`) run on.

use std::future::Future;

use crate::error::CliError;

/// Runs `future` on a single-threaded Tokio runtime.
pub fn block_on<T>(future: impl Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| CliError::Failed(format!("error: cannot start the runtime: {err}")))?
        .block_on(future)
}
