//! `webhook inbox`: a `webhook-inbox` database (a SQLite file or PostgreSQL): run its
//! migrations, count, list and show deliveries, replay them, prune old ones, read the refusals.
//!
//! Every subcommand connects with [`Database`] (`--database`, default `$DATABASE_URL`;
//! `--schema` for a PostgreSQL schema). The password of a URL is never printed: messages show
//! the URL with `***` for it. Listing, showing and replaying are in [`crate::commands::inbox_history`].

use clap::{Args, Subcommand};
use webhook_inbox::{Inbox, InboxError, STATUSES};

use crate::commands::inbox_history;
use crate::error::CliError;
use crate::ids;
use crate::output::{self, printable};

/// Options of `webhook inbox`.
#[derive(Args)]
pub struct InboxArgs {
    #[command(subcommand)]
    command: InboxCommand,
}

/// The subcommands of `webhook inbox`.
#[derive(Subcommand)]
enum InboxCommand {
    /// Create or update the tables (the migrations shipped with webhook-inbox); safe to rerun.
    Migrate(MigrateArgs),
    /// Print how many deliveries have each status, one `status: n` per line.
    Stats(StatsArgs),
    /// List deliveries, newest first, filtered by status, event type, time, webhook id or key.
    List(inbox_history::ListArgs),
    /// Show one delivery: its fields, the kept headers, then the raw body byte for byte.
    Show(inbox_history::ShowArgs),
    /// Queue deliveries again as a new attempt of the same row (a dead one processed, a done
    /// one re-run); optionally re-verified with today's secrets first.
    Replay(inbox_history::ReplayArgs),
    /// Delete done deliveries older than N days (dead ones stay until discarded).
    Prune(PruneArgs),
    /// Print the refused deliveries counted per endpoint and reason, and the latest samples.
    Refusals(RefusalsArgs),
}

/// Runs the subcommand.
pub fn run(args: InboxArgs) -> Result<(), CliError> {
    crate::runtime::block_on(async move {
        match args.command {
            InboxCommand::Migrate(args) => migrate(args).await,
            InboxCommand::Stats(args) => stats(args).await,
            InboxCommand::List(args) => inbox_history::list(args).await,
            InboxCommand::Show(args) => inbox_history::show(args).await,
            InboxCommand::Replay(args) => inbox_history::replay(args).await,
            InboxCommand::Prune(args) => prune(args).await,
            InboxCommand::Refusals(args) => refusals(args).await,
        }
    })
}

/// Which database: `--database`, `--schema`. Not `Debug`: the URL may hold a password.
#[derive(Args)]
pub struct Database {
    /// The inbox's database: `sqlite:PATH` or `sqlite://PATH` (the file is created when
    /// missing), or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`. A password is never printed.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    database: String,
    /// PostgreSQL: the schema holding the tables (default: the connection's search path).
    #[arg(long, value_name = "SCHEMA")]
    schema: Option<String>,
}

impl Database {
    /// Connects (running no migration).
    pub async fn connect(self) -> Result<Inbox, CliError> {
        let mut builder = Inbox::builder();
        if let Some(schema) = self.schema {
            builder = builder.schema(schema);
        }
        builder
            .connect(&self.database)
            .await
            .map_err(|err| match err {
                InboxError::UnsupportedUrl(_) => CliError::usage(format!(
                    "--database: {err} (sqlite:PATH, sqlite://PATH or postgres://...)"
                )),
                other => CliError::Failed(format!("error: {other}")),
            })
    }
}

/// A [`CliError::Failed`] for an operation on `inbox` that failed (the message holds no
/// password: the inbox redacts its errors).
pub fn failed(inbox: &Inbox, what: &str, err: &InboxError) -> CliError {
    CliError::Failed(format!("error: {what} ({}): {err}", inbox.url()))
}

/// A Unix-millisecond time as RFC 3339.
pub fn rfc3339(at: std::time::SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    ids::rfc3339(secs).unwrap_or_else(|_| secs.to_string())
}

/// Options of `webhook inbox migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: Database,
}

async fn migrate(args: MigrateArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    inbox
        .migrate()
        .await
        .map_err(|err| failed(&inbox, "cannot migrate", &err))?;
    output::stdout(format!("migrated {}\n", inbox.url()).as_bytes())
}

/// Options of `webhook inbox stats`.
#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    database: Database,
    /// Print one JSON object of counts keyed by status instead.
    #[arg(long)]
    json: bool,
}

async fn stats(args: StatsArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    let counts = inbox
        .status_counts()
        .await
        .map_err(|err| failed(&inbox, "cannot read the counts", &err))?;
    let text = if args.json {
        let object: serde_json::Map<String, serde_json::Value> = STATUSES
            .iter()
            .map(|s| ((*s).to_owned(), counts.get(*s).copied().unwrap_or(0).into()))
            .collect();
        format!("{}\n", serde_json::Value::Object(object))
    } else {
        STATUSES
            .iter()
            .map(|s| format!("{s}: {}\n", counts.get(*s).copied().unwrap_or(0)))
            .collect()
    };
    output::stdout(text.as_bytes())
}

/// Options of `webhook inbox prune`.
#[derive(Args)]
pub struct PruneArgs {
    #[command(flatten)]
    database: Database,
    /// Delete done deliveries processed more than this many days ago.
    #[arg(long, value_name = "N")]
    older_than_days: u32,
}

async fn prune(args: PruneArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    let age = std::time::Duration::from_secs(u64::from(args.older_than_days) * 86_400);
    let deleted = inbox
        .prune(age)
        .await
        .map_err(|err| failed(&inbox, "cannot prune", &err))?;
    output::stdout(format!("deleted {deleted}\n").as_bytes())
}

/// Options of `webhook inbox refusals`.
#[derive(Args)]
pub struct RefusalsArgs {
    #[command(flatten)]
    database: Database,
    /// Show at most this many of the latest samples.
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
    /// Print one JSON object instead: {"counts": [...], "latest": [...]}.
    #[arg(long)]
    json: bool,
}

async fn refusals(args: RefusalsArgs) -> Result<(), CliError> {
    let inbox = args.database.connect().await?;
    let read = |err| failed(&inbox, "cannot read the refusals", &err);
    let counts = inbox.refusal_counts().await.map_err(read)?;
    let latest = inbox.refusal_samples(args.limit).await.map_err(read)?;
    let text = if args.json {
        let value = serde_json::json!({
            "counts": counts.iter().map(|c| serde_json::json!({
                "endpoint": c.endpoint, "reason": c.reason, "count": c.count,
                "last_at": rfc3339(c.last_at),
            })).collect::<Vec<_>>(),
            "latest": latest.iter().map(|r| serde_json::json!({
                "at": rfc3339(r.at), "endpoint": r.endpoint, "reason": r.reason,
                "source": r.source, "size": r.size,
            })).collect::<Vec<_>>(),
        });
        format!("{value}\n")
    } else {
        let mut text = String::new();
        for c in &counts {
            text.push_str(&format!(
                "{} {}: {} (last {})\n",
                printable(&c.endpoint),
                printable(&c.reason),
                c.count,
                rfc3339(c.last_at)
            ));
        }
        for r in &latest {
            text.push_str(&format!(
                "{} {} {} {} {} bytes\n",
                rfc3339(r.at),
                printable(&r.endpoint),
                printable(&r.reason),
                printable(r.source.as_deref().unwrap_or("-")),
                r.size
            ));
        }
        text
    };
    output::stdout(text.as_bytes())
}
