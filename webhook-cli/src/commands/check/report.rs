//! The results: a table (coloured on a terminal only) or JSON.

use std::io::{self, IsTerminal as _};

use serde_json::json;

use super::{CheckId, Outcome};
use crate::error::CliError;
use crate::output::{self, printable};

/// Prints the outcomes on stdout: `--json`'s array, or one row per check, advice under each
/// failure, and a summary line naming the checks not run.
pub fn print(
    outcomes: &[Outcome],
    not_run: &[(CheckId, String)],
    json: bool,
) -> Result<(), CliError> {
    if json {
        let rows: Vec<_> = outcomes
            .iter()
            .map(|o| {
                json!({
                    "id": o.id.name(),
                    "passed": o.passed,
                    "detail": o.detail,
                    "advice": (!o.passed).then(|| o.id.advice()),
                    "ms": u64::try_from(o.elapsed.as_millis()).unwrap_or(u64::MAX),
                })
            })
            .collect();
        let mut text = serde_json::to_vec_pretty(&rows)
            .map_err(|err| CliError::Failed(format!("error: cannot encode the results: {err}")))?;
        text.push(b'\n');
        return output::stdout(&text);
    }
    output::stdout(table(outcomes, not_run, io::stdout().is_terminal()).as_bytes())
}

fn table(outcomes: &[Outcome], not_run: &[(CheckId, String)], colour: bool) -> String {
    let paint = |text: &str, code: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let width = outcomes
        .iter()
        .map(|o| o.id.name().len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for o in outcomes {
        let mark = if o.passed {
            paint("pass", "32")
        } else {
            paint("FAIL", "1;31")
        };
        text.push_str(&format!(
            "{mark}  {:<width$}  {:>6} ms  {}\n",
            o.id.name(),
            o.elapsed.as_millis(),
            printable(&o.detail)
        ));
        if !o.passed {
            text.push_str(&format!(
                "      {:<width$}  {}\n",
                "",
                paint(&format!("advice: {}", o.id.advice()), "33")
            ));
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    text.push_str(&format!(
        "{} checks: {} passed, {failed} failed\n",
        outcomes.len(),
        outcomes.len() - failed
    ));
    for (id, why) in not_run {
        text.push_str(&format!("not run: {} ({why})\n", id.name()));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn table_is_plain_off_a_terminal_and_gives_advice_for_failures() {
        let outcomes = [
            Outcome {
                id: CheckId::Valid,
                passed: true,
                detail: "200 OK in 3 ms".to_owned(),
                elapsed: Duration::from_millis(3),
            },
            Outcome {
                id: CheckId::RawBody,
                passed: false,
                detail: "answered 401".to_owned(),
                elapsed: Duration::from_millis(4),
            },
        ];
        let not_run = [(CheckId::ProcessedOnce, "needs --exec".to_owned())];
        let plain = table(&outcomes, &not_run, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(
            plain.contains("pass  valid          3 ms  200 OK in 3 ms\n"),
            "{plain}"
        );
        assert!(
            plain.contains("FAIL  raw-body       4 ms  answered 401\n"),
            "{plain}"
        );
        assert!(plain.contains(CheckId::RawBody.advice()), "{plain}");
        assert!(plain.contains("2 checks: 1 passed, 1 failed\n"), "{plain}");
        assert!(
            plain.contains("not run: processed-once (needs --exec)\n"),
            "{plain}"
        );
        assert!(table(&outcomes, &not_run, true).contains("\x1b[32mpass\x1b[0m"));
    }
}
