//! `webhook check --exec`, through the real binary: each of our receivers (the four examples and
//! `webhook listen`) passes every check, and each mistake of `tests/fixtures/bad_receiver.rs`
//! fails exactly the checks it should. The batteries run at once (the slow checks take the
//! `--slow-limit` of 35 s, just over the 30 s body timeout), so the file takes about 40 s.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::thread;

use support::{RedisServer, SECRET, example_path, webhook_path};

/// A `standard` secret, for the receivers checked with a timestamped scheme.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One run of `webhook check --json`.
struct Battery {
    name: String,
    exit: Option<i32>,
    ran: BTreeSet<String>,
    failed: BTreeSet<String>,
    output: String,
}

/// The URL that lets `webhook check --exec` pick a free port.
const ANY_PORT: &str = "http://127.0.0.1:0/webhooks";

/// Runs `webhook check URL --exec CMD --json` with small limits and `args` (`--secret SECRET`
/// unless they give one); `env` is the receiver's environment beyond `PORT` and
/// `WEBHOOK_SECRET`.
fn check(name: &str, url: &str, exec: String, args: &[&str], env: &[(&str, &str)]) -> Battery {
    let output = Command::new(webhook_path())
        .args(["check", url, "--json"])
        .args(["--slow-limit", "35", "--idle", "200", "--deadline", "10"])
        .arg("--exec")
        .arg(exec)
        .args(args)
        .args(if args.contains(&"--secret") {
            &[][..]
        } else {
            &["--secret", SECRET][..]
        })
        .env_remove("REDIS_URL")
        .env_remove("WORKER")
        .env_remove("WEBHOOK_SECRET")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run webhook check: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let text = format!(
        "{name}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("webhook check printed no JSON ({e}): {text}"));
    let ids = |failed_only: bool| {
        rows.iter()
            .filter(|r| !failed_only || r["passed"] == false)
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    Battery {
        name: name.to_owned(),
        exit: output.status.code(),
        ran: ids(false),
        failed: ids(true),
        output: text,
    }
}

fn example(name: &str) -> String {
    format!("exec '{}'", example_path(name).display())
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// Every check id, minus `except`.
fn all_but(except: &[&str]) -> BTreeSet<String> {
    let all = set(&[
        "valid",
        "raw-body",
        "tampered-body",
        "wrong-secret",
        "missing-signature",
        "malformed-signature",
        "replayed-signature",
        "stale-timestamp",
        "future-timestamp",
        "duplicate",
        "retry-schedule",
        "concurrent-duplicates",
        "oversize",
        "slow-body",
        "slow-headers",
        "idle-connections",
        "wrong-method",
        "processed-once",
    ]);
    &all - &set(except)
}

/// Runs the batteries at once, one thread each.
fn run_all(batteries: Vec<Box<dyn FnOnce() -> Battery + Send>>) -> Vec<Battery> {
    let handles: Vec<_> = batteries.into_iter().map(thread::spawn).collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn our_receivers_pass_every_check() {
    let webhook = webhook_path().display().to_string();
    let listen = format!("exec '{webhook}' listen --port \"$PORT\"");
    let listen_standard = format!("{listen} --scheme standard");
    let untimestamped = all_but(&["stale-timestamp", "future-timestamp"]);
    // On a port given in the URL, and started without `exec`: `sh` forks the receiver, which
    // `webhook check` must stop too (it signals the whole process group).
    let port = webhook_testkit::free_port();
    let url = format!("http://127.0.0.1:{port}/webhooks");
    let axum_receiver = format!("'{}'", example_path("axum_receiver").display());
    let mut batteries: Vec<Box<dyn FnOnce() -> Battery + Send>> = vec![Box::new(move || {
        check("axum_receiver", &url, axum_receiver, &[], &[])
    })];
    for name in [
        "actix_receiver",
        "axum_queue_receiver",
        "actix_queue_receiver",
    ] {
        batteries.push(Box::new(move || {
            check(name, ANY_PORT, example(name), &[], &[])
        }));
    }
    // `listen` prints a line per delivery, duplicates included (it shows what arrives; it does
    // not deduplicate), and no event id for hmac-sha256: processed-once does not apply.
    let skip = ["--skip", "processed-once"];
    batteries.push(Box::new(move || {
        check("listen", ANY_PORT, listen, &skip, &[])
    }));
    batteries.push(Box::new(move || {
        let args = [
            &skip[..],
            &["--scheme", "standard", "--secret", STANDARD_SECRET],
        ]
        .concat();
        check(
            "listen --scheme standard",
            ANY_PORT,
            listen_standard,
            &args,
            &[],
        )
    }));
    let expected = [
        untimestamped.clone(),
        untimestamped.clone(),
        untimestamped.clone(),
        untimestamped.clone(),
        &untimestamped - &set(&["processed-once"]),
        all_but(&["processed-once"]),
    ];
    for (battery, expected) in run_all(batteries).iter().zip(expected) {
        assert_eq!(battery.failed, BTreeSet::new(), "{}", battery.output);
        assert_eq!(battery.ran, expected, "{}", battery.output);
        assert_eq!(battery.exit, Some(0), "{}", battery.output);
        eprintln!("{} passed {} checks", battery.name, battery.ran.len());
    }
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the axum_receiver started by webhook check --exec still listens on port {port}"
    );
}

#[test]
fn each_bad_receiver_fails_exactly_its_checks() {
    let redis = RedisServer::start();
    let redis_url = redis.url();
    let fixture = example("bad_receiver");
    let mistakes: [(&str, &[&str], &[&str]); 6] = [
        // Concurrent copies all pass EXISTS before the first SETEX: answered 200, run twice.
        ("exists-then-setex", &[], &["processed-once"]),
        ("reserialized", &[], &["raw-body"]),
        (
            "500-on-bad-signature",
            &[],
            &[
                "tampered-body",
                "wrong-secret",
                "missing-signature",
                "malformed-signature",
                "replayed-signature",
            ],
        ),
        ("no-body-limit", &[], &["oversize"]),
        // The replays are accepted, and processed: processed-once fails too.
        (
            "no-timestamp-check",
            &["--scheme", "standard", "--secret", STANDARD_SECRET],
            &["stale-timestamp", "future-timestamp", "processed-once"],
        ),
        ("no-read-timeout", &[], &["slow-headers", "slow-body"]),
    ];
    let batteries: Vec<Box<dyn FnOnce() -> Battery + Send>> = mistakes
        .iter()
        .map(|&(mistake, args, _)| {
            let (fixture, redis_url) = (fixture.clone(), redis_url.clone());
            Box::new(move || {
                let env = [("MISTAKE", mistake), ("REDIS_URL", redis_url.as_str())];
                check(mistake, ANY_PORT, fixture, args, &env)
            }) as Box<dyn FnOnce() -> Battery + Send>
        })
        .collect();
    for (battery, (_, _, expected)) in run_all(batteries).iter().zip(mistakes) {
        assert_eq!(battery.failed, set(expected), "{}", battery.output);
        assert_eq!(battery.exit, Some(1), "{}", battery.output);
    }
}
