//! `webhook queue dead list` and `webhook queue dead replay`: inspect dead letters, and put them
//! back into the queue once the handler is fixed.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use webhook_queue::{DeadLetter, Job, Queue as _, Router};

use super::{Connected, Target};
use crate::error::CliError;
use crate::ids;
use crate::output::{self, printable};

/// Options of `webhook queue dead`.
#[derive(Args)]
pub struct DeadArgs {
    #[command(subcommand)]
    command: DeadCommand,
}

#[derive(Subcommand)]
enum DeadCommand {
    /// List dead letters, oldest first: id, event type, attempts, received time, last error.
    List(ListArgs),
    /// Move dead letters back into the queue (attempts reset) and print their new entry ids.
    /// Exit 1 if an id is not a dead letter of the queue.
    Replay(ReplayArgs),
}

/// Options of `webhook queue dead list`.
#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    target: Target,
    /// Show at most this many (the oldest first).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    limit: u64,
    /// Start after this dead-letter id (the last one of the previous page).
    #[arg(long, value_name = "ID", value_parser = parse_id)]
    after: Option<String>,
    /// Print a JSON array instead, one object per dead letter (with entry id, webhook id,
    /// idempotency key, scheme, death time and body size as well).
    #[arg(long)]
    json: bool,
}

/// Options of `webhook queue dead replay`.
#[derive(Args)]
struct ReplayArgs {
    #[command(flatten)]
    target: Target,
    /// Dead-letter ids as `dead list` prints them (`1700000000000-0`).
    #[arg(value_name = "ID", required_unless_present = "all", conflicts_with = "all", value_parser = parse_id)]
    ids: Vec<String>,
    /// Replay every dead letter there is when the command starts.
    #[arg(long)]
    all: bool,
}

/// Runs the subcommand.
pub fn run(args: DeadArgs) -> Result<(), CliError> {
    match args.command {
        DeadCommand::List(args) => crate::runtime::block_on(list(args)),
        DeadCommand::Replay(args) => crate::runtime::block_on(replay(args)),
    }
}

/// A stream id, `<milliseconds>-<sequence>`: checked before anything is replayed.
fn parse_id(text: &str) -> Result<String, String> {
    let well_formed = text.split_once('-').is_some_and(|(ms, seq)| {
        [ms, seq].iter().all(|part| {
            !part.is_empty() && part.len() <= 20 && part.bytes().all(|b| b.is_ascii_digit())
        })
    });
    if well_formed {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a dead-letter id (they look like 1700000000000-0)"
        ))
    }
}

async fn list(args: ListArgs) -> Result<(), CliError> {
    let connected = args.target.inspect().await?;
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    // One more than asked, to tell whether there are more.
    let mut letters = connected
        .queue
        .dead_letters(args.after.as_deref(), limit.saturating_add(1))
        .await
        .map_err(|err| connected.failed("cannot list the dead letters", &err))?;
    let more = letters.len() > limit;
    letters.truncate(limit);

    let text = if args.json {
        let rows: Vec<serde_json::Value> = letters.iter().map(as_json).collect();
        format!("{}\n", serde_json::Value::Array(rows))
    } else {
        as_table(&letters)
    };
    output::stdout(text.as_bytes())?;
    if letters.is_empty() && !args.json {
        eprintln!("no dead letters in queue {:?}", connected.queue.name());
    }
    if let (true, Some(last)) = (more, letters.last()) {
        eprintln!("more dead letters follow: --after {}", last.id);
    }
    Ok(())
}

async fn replay(args: ReplayArgs) -> Result<(), CliError> {
    let connected = args.target.connect().await?;
    let ids = if args.all {
        all_ids(&connected).await?
    } else {
        args.ids
    };
    if args.all && ids.is_empty() {
        eprintln!("no dead letters in queue {:?}", connected.queue.name());
    }
    let mut unknown = 0usize;
    for id in &ids {
        match connected.queue.replay(id).await {
            Ok(Some(entry)) => output::stdout(format!("replayed {id} as {entry}\n").as_bytes())?,
            // With --all, one replayed or discarded by someone else meanwhile is not an error.
            Ok(None) if args.all => eprintln!("{id}: already gone"),
            Ok(None) => {
                eprintln!(
                    "error: no dead letter {id} in queue {:?}",
                    connected.queue.name()
                );
                unknown += 1;
            }
            Err(err) => return Err(connected.failed(&format!("cannot replay {id}"), &err)),
        }
    }
    if unknown > 0 {
        return Err(CliError::Failed(format!(
            "error: {unknown} of {} ids unknown; the others were replayed",
            ids.len()
        )));
    }
    Ok(())
}

/// The ids of every dead letter now, oldest first (a snapshot: letters dying meanwhile are not
/// replayed, so an event that keeps failing cannot keep `--all` going).
async fn all_ids(connected: &Connected) -> Result<Vec<String>, CliError> {
    const PAGE: usize = 1000;
    let mut ids: Vec<String> = Vec::new();
    loop {
        let page = connected
            .queue
            .dead_letters(ids.last().map(String::as_str), PAGE)
            .await
            .map_err(|err| connected.failed("cannot list the dead letters", &err))?;
        let full = page.len() == PAGE;
        ids.extend(page.into_iter().map(|letter| letter.id));
        if !full {
            return Ok(ids);
        }
    }
}

/// The event type: from the body's `type` or `event`, else from a sender's event header.
fn event_type(letter: &DeadLetter) -> Option<String> {
    Router::new()
        .event_type(&Job::new(letter.delivery.clone()))
        .or_else(|| {
            webhook_verify::Scheme::providers()
                .iter()
                .filter_map(|provider| provider.event_type_header)
                .find_map(|name| letter.delivery.headers().get(name)?.to_str().ok())
                .map(str::to_owned)
        })
}

fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    ids::rfc3339(secs).unwrap_or_else(|_| secs.to_string())
}

/// One row per dead letter under a header row, columns aligned; the last error ends the line.
fn as_table(letters: &[DeadLetter]) -> String {
    if letters.is_empty() {
        return String::new();
    }
    let mut rows = vec![[
        "ID".to_owned(),
        "EVENT".to_owned(),
        "ATTEMPTS".to_owned(),
        "RECEIVED".to_owned(),
        "LAST ERROR".to_owned(),
    ]];
    for letter in letters {
        rows.push([
            letter.id.clone(),
            printable(&event_type(letter).unwrap_or_else(|| "-".to_owned())),
            letter.attempts.to_string(),
            rfc3339(letter.delivery.received()),
            printable(&letter.last_error),
        ]);
    }
    let mut widths = [0usize; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &rows {
        for (width, cell) in widths.iter().zip(row) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        text.push_str(&row[4]);
        text.push('\n');
    }
    text
}

fn as_json(letter: &DeadLetter) -> serde_json::Value {
    let verification = letter.delivery.verification();
    serde_json::json!({
        "id": letter.id,
        "entry_id": letter.entry_id,
        "event_type": event_type(letter),
        "webhook_id": verification.webhook_id,
        "key": letter.delivery.key(),
        "scheme": verification.scheme,
        "attempts": letter.attempts,
        "last_error": letter.last_error,
        "received_at": rfc3339(letter.delivery.received()),
        "died_at": rfc3339(letter.died_at),
        "body_bytes": letter.delivery.body().len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_accepted_and_anything_else_refused() {
        assert!(parse_id("1700000000000-0").is_ok());
        for bad in [
            "",
            "-",
            "17-",
            "-0",
            "1700000000000",
            "+",
            "abc-1",
            "1-2-3",
            "1 -0",
        ] {
            assert!(parse_id(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
