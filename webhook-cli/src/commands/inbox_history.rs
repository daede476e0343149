//! `webhook inbox list|show|replay`: the history of a `webhook-inbox` database, and replays
//! (a new attempt of the same row, never a second row), re-verified first when a `--scheme` is
//! given.

use std::time::SystemTime;

use clap::Args;
use webhook_inbox::{DeliveryRow, Inbox, ListFilter, STATUSES};
use webhook_verify::{Scheme, UnknownScheme, Verifier};

use crate::commands::inbox::{Database, failed, rfc3339};
use crate::error::CliError;
use crate::output::{self, printable};
use crate::secrets::SecretArgs;

/// Which deliveries: status, event type, time range, webhook id, key, how many.
#[derive(Args)]
pub struct Filters {
    /// Only deliveries with this status.
    #[arg(long, value_name = "STATUS", value_parser = clap::builder::PossibleValuesParser::new(STATUSES))]
    status: Option<String>,
    /// Only deliveries of this event type.
    #[arg(long, value_name = "TYPE")]
    event_type: Option<String>,
    /// Only deliveries received at or after this time (RFC 3339, `2025-11-23T05:57:52Z`).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<SystemTime>,
    /// Only deliveries received before this time (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<SystemTime>,
    /// Only the delivery with this webhook id.
    #[arg(long, value_name = "ID")]
    webhook_id: Option<String>,
    /// Only the delivery with this idempotency key.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
    /// At most this many, newest first.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    limit: u64,
}

impl Filters {
    fn filter(&self) -> ListFilter {
        ListFilter {
            status: self.status.clone(),
            event_type: self.event_type.clone(),
            webhook_id: self.webhook_id.clone(),
            key: self.key.clone(),
            since: self.since,
            until: self.until,
            limit: Some(usize::try_from(self.limit).unwrap_or(usize::MAX)),
        }
    }

    fn any(&self) -> bool {
        self.status.is_some()
            || self.event_type.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.webhook_id.is_some()
            || self.key.is_some()
    }
}

fn parse_time(text: &str) -> Result<SystemTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|err| format!("{text:?} is not an RFC 3339 time (2025-11-23T05:57:52Z): {err}"))
}

/// Options of `webhook inbox list`.
#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: Database,
    #[command(flatten)]
    filters: Filters,
    /// Print a JSON array instead, one object per delivery: id, webhook_id, key, event_type,
    /// status, attempts, received_at, last_error.
    #[arg(long)]
    json: bool,
}

/// Prints the deliveries matching the filters.
pub async fn list(args: ListArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    let rows = inbox
        .list(&args.filters.filter())
        .await
        .map_err(|err| failed(&inbox, "cannot list the deliveries", &err))?;
    let text = if args.json {
        let array: Vec<serde_json::Value> = rows.iter().map(as_json).collect();
        format!("{}\n", serde_json::Value::Array(array))
    } else {
        as_table(&rows)
    };
    output::stdout(text.as_bytes())
}

fn as_json(row: &DeliveryRow) -> serde_json::Value {
    serde_json::json!({
        "id": row.id,
        "webhook_id": row.webhook_id,
        "key": row.key,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "received_at": rfc3339(row.received_at),
        "last_error": row.last_error,
    })
}

/// One row per delivery under a header row, columns aligned; the last error ends the line.
fn as_table(rows: &[DeliveryRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let dash = |v: &Option<String>| printable(v.as_deref().unwrap_or("-"));
    let mut cells = vec![
        [
            "ID",
            "STATUS",
            "ATTEMPTS",
            "EVENT",
            "KEY",
            "RECEIVED",
            "LAST ERROR",
        ]
        .map(str::to_owned),
    ];
    for row in rows {
        cells.push([
            row.id.to_string(),
            row.status.clone(),
            row.attempts.to_string(),
            dash(&row.event_type),
            dash(&row.key),
            rfc3339(row.received_at),
            dash(&row.last_error),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in &cells {
        for (width, cell) in widths.iter().zip(row) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        text.push_str(&row[6]);
        text.push('\n');
    }
    text
}

/// Options of `webhook inbox show`.
#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    database: Database,
    /// The delivery's id, as `list` prints it.
    #[arg(value_name = "ID")]
    id: i64,
    /// Print only the raw body, byte for byte (to pipe into `webhook verify`).
    #[arg(long)]
    body_only: bool,
}

/// Prints one delivery: fields, `header: name: value` lines, a blank line, the raw body.
/// Exit 1 when no delivery has that id.
pub async fn show(args: ShowArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    let detail = inbox
        .show(args.id)
        .await
        .map_err(|err| failed(&inbox, "cannot read the delivery", &err))?
        .ok_or_else(|| {
            CliError::Failed(format!("error: no delivery {} in {}", args.id, inbox.url()))
        })?;
    if args.body_only {
        return output::stdout(&detail.body);
    }
    let row = &detail.row;
    let dash = |v: &Option<String>| printable(v.as_deref().unwrap_or("-"));
    let mut text = format!(
        "id: {}\nstatus: {}\nattempts: {}\nevent_type: {}\nwebhook_id: {}\nkey: {}\nreceived_at: {}\nlast_error: {}\n",
        row.id,
        row.status,
        row.attempts,
        dash(&row.event_type),
        dash(&row.webhook_id),
        dash(&row.key),
        rfc3339(row.received_at),
        dash(&row.last_error),
    )
    .into_bytes();
    for (name, value) in &detail.headers {
        text.extend_from_slice(
            format!("header: {}: {}\n", printable(name), printable(value)).as_bytes(),
        );
    }
    text.push(b'\n');
    text.extend_from_slice(&detail.body);
    output::stdout(&text)
}

/// Options of `webhook inbox replay`.
#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    database: Database,
    /// The delivery's id; without one, every delivery the filters match (at least one filter).
    #[arg(value_name = "ID")]
    id: Option<i64>,
    #[command(flatten)]
    filters: Filters,
    /// Re-verify each delivery with this scheme and today's secrets (--secret, --secret-env or
    /// $WEBHOOK_SECRET) before replaying it; any signed timestamp is accepted. Deliveries that
    /// fail are not replayed (exit 1).
    #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
    scheme: Option<Scheme>,
    #[command(flatten)]
    secrets: SecretArgs,
}

fn parse_scheme(name: &str) -> Result<Scheme, UnknownScheme> {
    name.parse()
}

/// Replays the delivery `ID`, or every one the filters match: `replayed <id>` per delivery.
/// Exit 1 if one could not be replayed (unknown, in flight, or not authentic any more).
pub async fn replay(args: ReplayArgs) -> Result<(), CliError> {
    if args.id.is_none() && !args.filters.any() {
        return Err(CliError::usage(
            "replay needs a delivery ID or a filter (--status dead, --event-type, --since, ...)",
        ));
    }
    let verifier = match args.scheme {
        Some(scheme) => {
            let secrets = args.secrets.resolve_for(scheme.requires_secret())?;
            Some(
                Verifier::builder(scheme)
                    .secrets(secrets)
                    .allow_any_timestamp()
                    .build()
                    .map_err(CliError::config)?,
            )
        }
        None => None,
    };
    let inbox = args.database.connect().await?;
    let ids = match args.id {
        Some(id) => vec![id],
        None => inbox
            .list(&args.filters.filter())
            .await
            .map_err(|err| failed(&inbox, "cannot list the deliveries", &err))?
            .iter()
            .map(|row| row.id)
            .collect(),
    };
    let mut refused = Vec::new();
    let mut replayed = String::new();
    for id in ids {
        match replay_one(&inbox, id, verifier.as_ref()).await? {
            Ok(()) => replayed.push_str(&format!("replayed {id}\n")),
            Err(reason) => refused.push(format!("not replayed {id}: {reason}")),
        }
    }
    output::stdout(replayed.as_bytes())?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(refused.join("\n")))
    }
}

/// `Ok(Err(reason))`: this delivery was not replayed; `Err`: the database failed.
async fn replay_one(
    inbox: &Inbox,
    id: i64,
    verifier: Option<&Verifier>,
) -> Result<Result<(), String>, CliError> {
    if let Some(verifier) = verifier {
        let detail = inbox
            .show(id)
            .await
            .map_err(|err| failed(inbox, "cannot read the delivery", &err))?;
        let Some(detail) = detail else {
            return Ok(Err("no such delivery".to_owned()));
        };
        if let Err(err) = verifier.verify(&detail.headers, &detail.body) {
            return Ok(Err(format!("not authentic with today's secrets: {err}")));
        }
    }
    let queued = inbox
        .replay(id)
        .await
        .map_err(|err| failed(inbox, "cannot replay", &err))?;
    Ok(if queued {
        Ok(())
    } else {
        Err("no such delivery, or it is being processed right now".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339() {
        assert!(parse_time("2025-11-23T05:57:52Z").is_ok());
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
