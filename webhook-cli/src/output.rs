//! Writing results on stdout without panicking when the reader has gone (`webhook ... | head`),
//! and making stored text safe to print.

use std::io::{self, Write as _};

use crate::error::CliError;

/// Writes `text` on stdout and flushes; a closed pipe is not an error worth a panic.
pub fn stdout(text: &[u8]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::Failed(format!(
            "error: cannot write to stdout: {err}"
        ))),
    }
}

/// `text` with control characters escaped, so that a stored error or event type cannot move the
/// cursor or recolour the terminal.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(printable("plain: text"), "plain: text");
    }
}
