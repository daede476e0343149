//! `webhook queue stats`: how many entries are in each state.

use clap::Args;
use webhook_queue::{Counts, Queue as _};

use super::Target;
use crate::error::CliError;
use crate::output;

/// Options of `webhook queue stats`.
#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    target: Target,
    /// Print one JSON object instead: {"queue", "pending", "in_flight", "retrying", "dead"}.
    #[arg(long)]
    json: bool,
}

/// Prints the counts.
pub fn run(args: StatsArgs) -> Result<(), CliError> {
    let json = args.json;
    crate::runtime::block_on(async move {
        let connected = args.target.inspect().await?;
        let counts = connected
            .queue
            .counts()
            .await
            .map_err(|err| connected.failed("cannot read the counts", &err))?;
        let text = if json {
            as_json(connected.queue.name(), &counts)
        } else {
            as_lines(&counts)
        };
        output::stdout(text.as_bytes())
    })
}

/// `pending: n` … one per line. `pending` includes `in_flight`.
fn as_lines(counts: &Counts) -> String {
    format!(
        "pending: {}\nin_flight: {}\nretrying: {}\ndead: {}\n",
        counts.pending, counts.in_flight, counts.retrying, counts.dead
    )
}

fn as_json(queue: &str, counts: &Counts) -> String {
    let value = serde_json::json!({
        "queue": queue,
        "pending": counts.pending,
        "in_flight": counts.in_flight,
        "retrying": counts.retrying,
        "dead": counts.dead,
    });
    format!("{value}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_each_count() {
        assert_eq!(
            as_lines(&Counts::default()),
            "pending: 0\nin_flight: 0\nretrying: 0\ndead: 0\n"
        );
    }

    #[test]
    fn json_names_the_queue() {
        let value: serde_json::Value =
            serde_json::from_str(&as_json("orders", &Counts::default())).unwrap();
        assert_eq!(value["queue"], "orders");
        assert_eq!(value["dead"], 0);
    }
}
