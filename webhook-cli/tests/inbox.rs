//! `webhook inbox ...` run for real on a new SQLite file and on a fresh schema of the PostgreSQL
//! server on 127.0.0.1:5432 (`$TEST_POSTGRES_URL`; a missing server fails the test): deliveries
//! processed by a worker (two done, one dead), then migrated, counted, listed, shown, replayed
//! (re-verified with today's secret when asked) and pruned; the password of a URL never printed.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use webhook_inbox::Inbox;
use webhook_queue::{Delivery, HandlerError, Job, Queue, Verification};
use webhook_testkit::queue_suite::{
    delivery, event_body, fast_config, spawn_worker, stop, wait_until,
};
use webhook_verify::{Scheme, Signer};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Where the test's deliveries are: a URL and, on PostgreSQL, the test's own schema.
struct Target {
    url: String,
    schema: Option<String>,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

impl Target {
    /// A SQLite file not created yet, named `sqlite:PATH` or `sqlite://PATH`.
    fn sqlite(slashes: bool) -> Self {
        let dir = std::env::temp_dir().join(unique("webhook_cli_inbox"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("inbox.db");
        let url = if slashes {
            format!("sqlite://{}", path.display())
        } else {
            format!("sqlite:{}", path.display())
        };
        Self {
            url,
            schema: None,
            _dir: Some(TempDir(dir)),
        }
    }

    fn postgres() -> Self {
        Self {
            url: postgres_url(),
            schema: Some(unique("cli_inbox")),
            _dir: None,
        }
    }

    /// `--database URL [--schema S]`.
    fn args(&self) -> Vec<String> {
        let mut args = vec!["--database".to_owned(), self.url.clone()];
        if let Some(schema) = &self.schema {
            args.extend(["--schema".to_owned(), schema.clone()]);
        }
        args
    }

    async fn inbox(&self) -> Inbox {
        let mut builder = Inbox::builder();
        if let Some(schema) = &self.schema {
            builder = builder.schema(schema.clone());
        }
        builder.connect(&self.url).await.unwrap_or_else(|e| {
            panic!(
                "cannot reach the test database (is PostgreSQL running? see scripts/test.sh): {e}"
            )
        })
    }

    /// `webhook inbox <args> --database ...`.
    async fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<String> = vec!["inbox".to_owned()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all.extend(self.args());
        webhook(all, Vec::new()).await
    }

    /// The same, expected to succeed.
    async fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args).await;
        assert_eq!(run.code, 0, "webhook inbox {args:?}: {}", run.stderr);
        run.text()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection as _;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                    let _ = sqlx::query(&drop).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// Runs the binary with `DATABASE_URL` unset unless `env` sets it (off the async runtime).
async fn webhook(args: Vec<String>, env: Vec<(String, String)>) -> Run {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_webhook"));
        command
            .args(&args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("the webhook binary runs");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("runner thread")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A delivery signed as a Standard Webhooks sender signs it, its signature headers kept.
fn signed_delivery(id: &str) -> Delivery {
    let body = event_body(id, "invoice.paid", serde_json::json!({ "amount": 9 }));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let headers = Signer::new(Scheme::standard(), SECRET)
        .unwrap()
        .sign(id, now, &body)
        .unwrap();
    let mut delivery =
        Delivery::new(body, Verification::new("standard").webhook_id(id)).idempotency_key(id);
    for (name, value) in headers {
        delivery = delivery.header(name, value);
    }
    delivery
}

async fn scenario(target: Target) {
    let migrated = target.ok(&["migrate"]).await;
    assert!(migrated.starts_with("migrated "), "{migrated}");
    assert_eq!(
        json(&target.ok(&["stats", "--json"]).await),
        serde_json::json!({"queued": 0, "processing": 0, "done": 0, "failed": 0, "dead": 0})
    );

    let inbox = target.inbox().await;
    let queue: Arc<dyn Queue> = Arc::new(inbox.queue("orders", fast_config().max_attempts(1)));
    for id in ["evt_a", "evt_bad"] {
        queue.enqueue(&delivery(id, "order.paid")).await.unwrap();
    }
    queue.enqueue(&signed_delivery("msg_signed")).await.unwrap();
    let worker = spawn_worker(&queue, |job: Job| async move {
        if job.delivery().key() == Some("evt_bad") {
            Err(HandlerError::msg("ledger unavailable"))
        } else {
            Ok(())
        }
    });
    wait_until(Duration::from_secs(15), "two done, one dead", || async {
        let c = inbox.status_counts().await.unwrap();
        c["done"] == 2 && c["dead"] == 1
    })
    .await;
    stop(worker).await;

    let stats = json(&target.ok(&["stats", "--json"]).await);
    assert_eq!(
        stats,
        serde_json::json!({"queued": 0, "processing": 0, "done": 2, "failed": 0, "dead": 1})
    );
    let lines = target.ok(&["stats"]).await;
    assert!(
        lines.contains("done: 2\n") && lines.contains("dead: 1\n"),
        "{lines}"
    );

    let dead = json(&target.ok(&["list", "--json", "--status", "dead"]).await);
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["key"], "evt_bad");
    assert_eq!(dead[0]["event_type"], "order.paid");
    assert_eq!(dead[0]["status"], "dead");
    assert_eq!(dead[0]["attempts"], 1);
    assert_eq!(dead[0]["last_error"], "ledger unavailable");
    assert!(dead[0]["received_at"].as_str().unwrap().ends_with('Z'));
    let dead_id = dead[0]["id"].as_i64().unwrap().to_string();

    let all = json(&target.ok(&["list", "--json"]).await);
    assert_eq!(all.as_array().unwrap().len(), 3);
    let paid = json(
        &target
            .ok(&[
                "list",
                "--json",
                "--event-type",
                "order.paid",
                "--limit",
                "1",
            ])
            .await,
    );
    assert_eq!(paid.as_array().unwrap().len(), 1);
    let by_id = json(
        &target
            .ok(&["list", "--json", "--webhook-id", "msg_signed"])
            .await,
    );
    assert_eq!(by_id[0]["key"], "msg_signed");
    let signed_id = by_id[0]["id"].as_i64().unwrap().to_string();
    let later = json(
        &target
            .ok(&["list", "--json", "--since", "2999-01-01T00:00:00Z"])
            .await,
    );
    assert_eq!(later, serde_json::json!([]));
    let earlier = json(
        &target
            .ok(&["list", "--json", "--until", "2000-01-01T00:00:00Z"])
            .await,
    );
    assert_eq!(earlier, serde_json::json!([]));
    let table = target.ok(&["list"]).await;
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains("ledger unavailable"), "{table}");

    let shown = target.ok(&["show", &signed_id]).await;
    assert!(shown.contains("status: done\n"), "{shown}");
    assert!(shown.contains("header: webhook-signature: v1,"), "{shown}");
    let body = signed_delivery("msg_signed").body().to_vec();
    let raw = target.run(&["show", &signed_id, "--body-only"]).await;
    assert_eq!(raw.stdout, body, "the raw body, byte for byte");
    let missing = target.run(&["show", "999999"]).await;
    assert_eq!(missing.code, 1, "{}", missing.stderr);

    // Replay with today's secret: authentic, queued again; with another secret: refused.
    let forged = target
        .run(&[
            "replay",
            &signed_id,
            "--scheme",
            "standard",
            "--secret",
            "whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxs",
        ])
        .await;
    assert_eq!(forged.code, 1, "{}", forged.stderr);
    assert!(forged.stderr.contains("not authentic"), "{}", forged.stderr);
    assert!(
        !forged.stderr.contains("bm90IHRoZSBzZWNyZXQgYXQgYWxs"),
        "{}",
        forged.stderr
    );
    assert_eq!(
        target
            .ok(&[
                "replay", &signed_id, "--scheme", "standard", "--secret", SECRET
            ])
            .await,
        format!("replayed {signed_id}\n")
    );
    assert_eq!(
        target.ok(&["replay", "--status", "dead"]).await,
        format!("replayed {dead_id}\n")
    );
    let stats = json(&target.ok(&["stats", "--json"]).await);
    assert_eq!(
        (stats["queued"].as_u64(), stats["dead"].as_u64()),
        (Some(2), Some(0))
    );
    let rows = json(&target.ok(&["list", "--json"]).await);
    assert_eq!(
        rows.as_array().unwrap().len(),
        3,
        "a replay is never a second row"
    );

    // Retention: done rows older than the limit go, the others stay.
    assert_eq!(
        target.ok(&["prune", "--older-than-days", "1"]).await,
        "deleted 0\n"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        target.ok(&["prune", "--older-than-days", "0"]).await,
        "deleted 1\n"
    );
    let stats = json(&target.ok(&["stats", "--json"]).await);
    assert_eq!(
        (stats["done"].as_u64(), stats["queued"].as_u64()),
        (Some(0), Some(2))
    );

    // $DATABASE_URL when there is no --database.
    let mut args = vec!["inbox".to_owned(), "stats".to_owned(), "--json".to_owned()];
    if let Some(schema) = &target.schema {
        args.extend(["--schema".to_owned(), schema.clone()]);
    }
    let from_env = webhook(args, vec![("DATABASE_URL".to_owned(), target.url.clone())]).await;
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert_eq!(json(&from_env.text())["queued"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_is_created_migrated_listed_shown_replayed_and_pruned() {
    scenario(Target::sqlite(false)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_url_with_slashes_works_alike() {
    let target = Target::sqlite(true);
    assert!(
        target
            .ok(&["migrate"])
            .await
            .starts_with("migrated sqlite://")
    );
    let stats = json(&target.ok(&["stats", "--json"]).await);
    assert_eq!(stats["done"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_is_migrated_listed_shown_replayed_and_pruned() {
    scenario(Target::postgres()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_never_printed() {
    let password = "s3cret-pw-4711";
    for url in [
        format!("postgres://postgres:{password}@127.0.0.1:1/test"),
        format!("mysql://root:{password}@127.0.0.1/test"),
    ] {
        let run = webhook(
            vec![
                "inbox".into(),
                "stats".into(),
                "--database".into(),
                url.clone(),
            ],
            Vec::new(),
        )
        .await;
        assert_ne!(run.code, 0);
        assert!(!run.stderr.contains(password), "{}", run.stderr);
        assert!(!run.text().contains(password));
        assert!(run.stderr.contains("***"), "{}", run.stderr);
    }
}
