//! `webhook check URL`: a battery of deliveries sent as real senders send them (duplicates,
//! retries, concurrent copies, forgeries, huge and slow bodies, idle connections) and a report
//! of what the receiver did right and wrong, with advice.
//!
//! One file per group of checks: [`auth`] (what is accepted and what refused), [`retries`]
//! (duplicates, the retry schedule, concurrent copies), [`wire`] (raw TCP: oversize, slow and
//! idle connections), [`exec`] (starting the receiver and counting what it processed). The
//! checks' ids and advice are in [`CheckId`]; [`report`] prints the results.

mod auth;
mod delivery;
mod exec;
mod report;
mod retries;
mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use reqwest::Url;

use crate::error::CliError;
use crate::events::EventType;
use crate::options::{HeaderArg, SchemeArg, parse_header};
use crate::secrets::SecretArgs;

use delivery::{Settings, Tester};

/// Options of `webhook check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The receiver's endpoint: an http:// URL (https:// needs the `rustls` feature). With
    /// --exec, port 0 means "a free port": the receiver is started on it.
    #[arg(value_name = "URL")]
    url: Url,
    #[command(flatten)]
    scheme: SchemeArg,
    #[command(flatten)]
    secrets: SecretArgs,
    /// An extra header sent with every request, 'Name: value' (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<HeaderArg>,
    /// The event type of the payloads, always in the envelope that carries an `id`
    /// (`{id, type, created_at, data: {object}, previous_data}`).
    #[arg(long, value_name = "TYPE", default_value = "resource.created")]
    event: EventType,
    /// Run only these checks (comma-separated ids).
    #[arg(
        long,
        value_name = "ID,ID...",
        value_delimiter = ',',
        conflicts_with = "skip"
    )]
    only: Vec<CheckId>,
    /// Run every check but these (comma-separated ids).
    #[arg(long, value_name = "ID,ID...", value_delimiter = ',')]
    skip: Vec<CheckId>,
    /// Seconds a valid delivery may take to be answered, as the sender documents allow.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    deadline: f64,
    /// Seconds the receiver may keep a slow body or a slow head open before ending it.
    #[arg(long, value_name = "SECS", default_value_t = 45.0)]
    slow_limit: f64,
    /// How many copies of one delivery `concurrent-duplicates` sends at once.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(2..=1000))]
    concurrency: u32,
    /// How many idle connections `idle-connections` holds open (at most what this process's
    /// open-file limit allows).
    #[arg(long, value_name = "N", default_value_t = 500)]
    idle: u32,
    /// How many seconds of the retry schedule pass in one real second.
    #[arg(long, value_name = "FACTOR", default_value_t = 3600.0)]
    time_scale: f64,
    /// Which sender document's retry schedule `retry-schedule` follows.
    #[arg(long, value_enum, default_value_t = retries::Schedule::Guide)]
    schedule: retries::Schedule,
    /// Accept any certificate from an https:// receiver (a self-signed test certificate).
    #[arg(long)]
    insecure: bool,
    /// Start the receiver with this shell command (PORT and WEBHOOK_SECRET set), count what it
    /// processes from its stdout (`processed-once`), and stop it at the end.
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    /// The stdout line the receiver prints when it processes an event, `{id}` standing for the
    /// event's `id` (which our receivers use as its idempotency key).
    #[arg(long, value_name = "PATTERN", default_value = "processed {id}")]
    processed_pattern: String,
    /// Print the results as JSON: `[{"id", "passed", "detail", "advice", "ms"}]`.
    #[arg(long)]
    json: bool,
}

/// A check's stable id, as `--only`, `--skip` and the report name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum CheckId {
    /// A correctly signed delivery gets a 2xx within the deadline.
    Valid,
    /// A valid delivery with unusual but legal JSON formatting is accepted.
    RawBody,
    /// A body changed after signing is refused.
    TamperedBody,
    /// A delivery signed with another secret is refused.
    WrongSecret,
    /// A delivery without its signature header is refused.
    MissingSignature,
    /// A signature header that cannot be parsed is refused.
    MalformedSignature,
    /// A valid signature over another body is refused.
    ReplayedSignature,
    /// A signature with a timestamp an hour old is refused.
    StaleTimestamp,
    /// A signature with a timestamp an hour ahead is refused.
    FutureTimestamp,
    /// The same delivery again gets a 2xx.
    Duplicate,
    /// The same event at the sender's retry schedule gets a 2xx every time.
    RetrySchedule,
    /// N copies at once: each a 2xx, or 409/429/503 with `Retry-After`.
    ConcurrentDuplicates,
    /// A head announcing 1 GiB is answered 413 before the body is sent.
    Oversize,
    /// A body sent one byte a second is ended within the slow limit.
    SlowBody,
    /// A head sent one byte a second is ended within the slow limit.
    SlowHeaders,
    /// A valid delivery is answered while many idle connections are open.
    IdleConnections,
    /// GET and PUT are refused and process nothing.
    WrongMethod,
    /// Every event accepted was processed exactly once, every refused one never (`--exec`).
    ProcessedOnce,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [Self; 18] = [
        Self::Valid,
        Self::RawBody,
        Self::TamperedBody,
        Self::WrongSecret,
        Self::MissingSignature,
        Self::MalformedSignature,
        Self::ReplayedSignature,
        Self::StaleTimestamp,
        Self::FutureTimestamp,
        Self::Duplicate,
        Self::RetrySchedule,
        Self::ConcurrentDuplicates,
        Self::Oversize,
        Self::SlowBody,
        Self::SlowHeaders,
        Self::IdleConnections,
        Self::WrongMethod,
        Self::ProcessedOnce,
    ];

    /// The id, e.g. `raw-body`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::RawBody => "raw-body",
            Self::TamperedBody => "tampered-body",
            Self::WrongSecret => "wrong-secret",
            Self::MissingSignature => "missing-signature",
            Self::MalformedSignature => "malformed-signature",
            Self::ReplayedSignature => "replayed-signature",
            Self::StaleTimestamp => "stale-timestamp",
            Self::FutureTimestamp => "future-timestamp",
            Self::Duplicate => "duplicate",
            Self::RetrySchedule => "retry-schedule",
            Self::ConcurrentDuplicates => "concurrent-duplicates",
            Self::Oversize => "oversize",
            Self::SlowBody => "slow-body",
            Self::SlowHeaders => "slow-headers",
            Self::IdleConnections => "idle-connections",
            Self::WrongMethod => "wrong-method",
            Self::ProcessedOnce => "processed-once",
        }
    }

    /// What to fix when the check fails.
    pub fn advice(self) -> &'static str {
        match self {
            Self::Valid => {
                "verify the HMAC over the raw body with the sender's secret and answer 2xx within \
                 the deadline; do slow work after answering (a queue)"
            }
            Self::RawBody => {
                "verify the raw bytes as received, before any JSON parsing: a parsed and \
                 re-serialized body is not what the sender signed"
            }
            Self::TamperedBody
            | Self::WrongSecret
            | Self::MissingSignature
            | Self::MalformedSignature
            | Self::ReplayedSignature => {
                "refuse a delivery whose signature does not match with 401, never 2xx (a forgery \
                 accepted) or 5xx (the sender retries it), and never echo the expected signature"
            }
            Self::StaleTimestamp | Self::FutureTimestamp => {
                "check the signed timestamp against the clock (5 minutes either way): otherwise a \
                 captured delivery can be replayed for ever"
            }
            Self::Duplicate | Self::RetrySchedule => {
                "answer 2xx to a delivery of an event already processed, without processing it \
                 again: otherwise the sender keeps retrying and may disable the endpoint"
            }
            Self::ConcurrentDuplicates => {
                "claim the event atomically (SET NX, INSERT ... ON CONFLICT) before processing; \
                 answer copies 2xx, or 409 with Retry-After while the first runs; never a bare 5xx"
            }
            Self::Oversize => {
                "refuse a Content-Length over your body limit with 413 before reading the body"
            }
            Self::SlowBody => {
                "put a time limit on reading the body (408 and close): a slow sender otherwise \
                 holds a connection for ever"
            }
            Self::SlowHeaders => {
                "put a time limit on reading the request head (close the connection): slowloris \
                 clients otherwise exhaust the connections"
            }
            Self::IdleConnections => {
                "time out idle connections and cap open ones below the open-file limit, so that \
                 idle clients cannot starve real deliveries"
            }
            Self::WrongMethod => "route only POST to the handler: answer other methods 405",
            Self::ProcessedOnce => {
                "process each event once: claim its id atomically before processing, release it \
                 when processing fails; never process a refused delivery"
            }
        }
    }
}

/// One check's result.
pub struct Outcome {
    /// Which check.
    pub id: CheckId,
    /// Whether the receiver behaved right.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
    /// How long the check took.
    pub elapsed: Duration,
}

/// What a check returns: what was seen, as a pass or a failure.
type Verdict = Result<String, String>;

/// Runs the battery; exit 1 when a check failed.
pub fn run(args: CheckArgs) -> Result<(), CliError> {
    if !matches!(args.url.scheme(), "http" | "https") {
        return Err(CliError::usage(format!(
            "cannot check a {}: URL; use http:// or https://",
            args.url.scheme()
        )));
    }
    if args.url.scheme() == "https" && !cfg!(feature = "rustls") {
        return Err(CliError::usage(
            "https:// URLs need webhook built with `--features rustls`",
        ));
    }
    if !args.processed_pattern.contains("{id}") {
        return Err(CliError::usage(
            "--processed-pattern must contain {id}, where the event's id is printed",
        ));
    }
    let secs = |name: &str, value: f64| {
        Duration::try_from_secs_f64(value)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| CliError::usage(format!("{name} must be a positive number of seconds")))
    };
    let deadline = secs("--deadline", args.deadline)?;
    let slow_limit = secs("--slow-limit", args.slow_limit)?;
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(CliError::usage("--time-scale must be a positive number"));
    }
    let secrets = args.secrets.resolve()?;
    let settings = Settings {
        scheme: args.scheme.scheme,
        headers: args.headers,
        event: args.event,
        deadline,
        slow_limit,
        concurrency: args.concurrency,
        idle: args.idle,
        time_scale: args.time_scale,
        schedule: args.schedule,
        insecure: args.insecure,
    };
    let selected: Vec<CheckId> = CheckId::ALL
        .into_iter()
        .filter(|id| args.only.is_empty() || args.only.contains(id))
        .filter(|id| !args.skip.contains(id))
        .collect();
    let json = args.json;
    let (exec, pattern, url) = (args.exec, args.processed_pattern, args.url);
    let results = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| CliError::Failed(format!("error: cannot start the runtime: {err}")))?
        .block_on(async move {
            let mut url = url;
            let receiver = match &exec {
                Some(command) => Some(exec::Receiver::start(command, &mut url, &secrets).await?),
                None => None,
            };
            let run = async {
                let tester = Arc::new(Tester::new(url, secrets, settings)?);
                tokio::select! {
                    results = battery(&tester, &selected, receiver.as_ref(), &pattern) => Ok(results),
                    _ = tokio::signal::ctrl_c() => Err(CliError::Failed("interrupted".to_owned())),
                }
            };
            let results = run.await;
            // The receiver runs in its own process group: Ctrl-C does not reach it.
            if let Some(receiver) = receiver {
                receiver.stop().await;
            }
            results
        })?;
    let (outcomes, not_run) = results;
    report::print(&outcomes, &not_run, json)?;
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "error: {failed} of {} checks failed",
            outcomes.len()
        )))
    }
}

/// Runs the selected checks at once (they use separate events and connections), then
/// `processed-once` over everything they sent. Returns the outcomes in report order and the
/// checks not run, with why.
async fn battery(
    tester: &Arc<Tester>,
    selected: &[CheckId],
    receiver: Option<&exec::Receiver>,
    pattern: &str,
) -> (Vec<Outcome>, Vec<(CheckId, String)>) {
    let mut not_run = Vec::new();
    let mut running = Vec::new();
    let mut run_processed = false;
    for &id in selected {
        if let Some(why) = tester.not_applicable(id, receiver.is_some()) {
            not_run.push((id, why));
        } else if id == CheckId::ProcessedOnce {
            run_processed = true;
        } else {
            let tester = tester.clone();
            let task = tokio::spawn(async move { timed(id, run_check(id, &tester)).await });
            running.push((id, task));
        }
    }
    let mut outcomes = Vec::new();
    for (id, task) in running {
        outcomes.push(task.await.unwrap_or_else(|err| Outcome {
            id,
            passed: false,
            detail: format!("the check crashed: {err}"),
            elapsed: Duration::ZERO,
        }));
    }
    if let (true, Some(receiver)) = (run_processed, receiver) {
        let outcome = timed(
            CheckId::ProcessedOnce,
            exec::processed_once(tester, receiver, pattern),
        )
        .await;
        outcomes.push(outcome);
    }
    (outcomes, not_run)
}

async fn timed(id: CheckId, check: impl Future<Output = Verdict>) -> Outcome {
    let started = Instant::now();
    let verdict = check.await;
    let elapsed = started.elapsed();
    let (passed, detail) = match verdict {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Outcome {
        id,
        passed,
        detail,
        elapsed,
    }
}

async fn run_check(id: CheckId, t: &Arc<Tester>) -> Verdict {
    match id {
        CheckId::Valid => auth::valid(t).await,
        CheckId::RawBody => auth::raw_body(t).await,
        CheckId::TamperedBody
        | CheckId::WrongSecret
        | CheckId::MissingSignature
        | CheckId::MalformedSignature
        | CheckId::ReplayedSignature
        | CheckId::StaleTimestamp
        | CheckId::FutureTimestamp => auth::forgery(t, id).await,
        CheckId::WrongMethod => auth::wrong_method(t).await,
        CheckId::Duplicate => retries::duplicate(t).await,
        CheckId::RetrySchedule => retries::retry_schedule(t).await,
        CheckId::ConcurrentDuplicates => retries::concurrent_duplicates(t).await,
        CheckId::Oversize => wire::oversize(t).await,
        CheckId::SlowBody => wire::slow_body(t).await,
        CheckId::SlowHeaders => wire::slow_headers(t).await,
        CheckId::IdleConnections => wire::idle_connections(t).await,
        CheckId::ProcessedOnce => Err("runs after the others".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_on_the_command_line_are_the_report_ids() {
        for id in CheckId::ALL {
            assert_eq!(id.to_possible_value().unwrap().get_name(), id.name());
        }
        assert_eq!(CheckId::value_variants().len(), CheckId::ALL.len());
    }
}
