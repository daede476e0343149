//! Reading the body: from a file or stdin, as raw bytes, never decoded.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::error::CliError;

/// Reads at most `max` bytes of the body from `file`, or from stdin when `file` is `None` or `-`.
///
/// Reading stops after `max` bytes, so a caller that passes its limit plus one can refuse an
/// oversized body without reading it all.
pub fn read(file: Option<&Path>, max: u64) -> Result<Vec<u8>, CliError> {
    let mut body = Vec::new();
    match file {
        Some(path) if path != Path::new("-") => {
            let file = File::open(path).map_err(|err| {
                CliError::usage(format!("cannot open body file {}: {err}", path.display()))
            })?;
            file.take(max).read_to_end(&mut body).map_err(|err| {
                CliError::usage(format!("cannot read body file {}: {err}", path.display()))
            })?;
        }
        _ => {
            io::stdin()
                .lock()
                .take(max)
                .read_to_end(&mut body)
                .map_err(|err| {
                    CliError::usage(format!("cannot read the body from stdin: {err}"))
                })?;
        }
    }
    Ok(body)
}
