//! `webhook check`'s command line, through the real binary: usage errors exit 2, and the JSON
//! report's shape. Its batteries against real receivers, good and bad, are in the workspace's
//! `tests/check.rs`, which starts the example receivers.

use std::net::TcpListener;
use std::process::{Command, Output};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_webhook"))
        .arg("check")
        .args(args)
        .env_remove("WEBHOOK_SECRET")
        .output()
        .expect("webhook check runs")
}

/// A URL on which nothing listens: a port bound a moment ago, then closed.
fn dead_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/webhooks")
}

#[test]
fn usage_errors_exit_2() {
    let url = dead_url();
    for args in [
        vec![
            url.as_str(),
            "--secret",
            "s",
            "--only",
            "valid,no-such-check",
        ],
        vec![
            url.as_str(),
            "--secret",
            "s",
            "--processed-pattern",
            "processed",
        ],
        vec![url.as_str(), "--secret", "s", "--deadline", "0"],
        vec![
            url.as_str(),
            "--secret",
            "s",
            "--only",
            "valid",
            "--skip",
            "duplicate",
        ],
        vec!["ftp://127.0.0.1/webhooks", "--secret", "s"],
        vec![url.as_str()], // no secret
    ] {
        let output = check(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
    }
}

#[test]
fn unreachable_receiver_fails_every_check_in_json_with_advice() {
    let output = check(&[
        &dead_url(),
        "--secret",
        "s3cret",
        "--json",
        "--deadline",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    // hmac-sha256 signs no timestamp, and without --exec nothing shows what was processed.
    assert_eq!(
        ids,
        [
            "valid",
            "raw-body",
            "tampered-body",
            "wrong-secret",
            "missing-signature",
            "malformed-signature",
            "replayed-signature",
            "duplicate",
            "retry-schedule",
            "concurrent-duplicates",
            "oversize",
            "slow-body",
            "slow-headers",
            "idle-connections",
            "wrong-method",
        ]
    );
    for row in &rows {
        let fields: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, ["advice", "detail", "id", "ms", "passed"], "{row}");
        assert_eq!(row["passed"], false, "{row}");
        assert!(!row["advice"].as_str().unwrap().is_empty(), "{row}");
        assert!(row["ms"].is_u64(), "{row}");
        assert!(!row["detail"].as_str().unwrap().contains("s3cret"), "{row}");
    }
}

#[test]
fn only_runs_the_checks_named_and_the_table_is_plain_in_a_pipe() {
    let output = check(&[
        &dead_url(),
        "--secret",
        "s3cret",
        "--only",
        "valid,wrong-method",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].starts_with("FAIL  valid "), "{table}");
    assert!(rows[1].starts_with("FAIL  wrong-method "), "{table}");
    assert!(table.contains("advice: "), "{table}");
    assert!(!table.contains('\x1b'), "{table}");
    assert!(table.contains("2 checks: 0 passed, 2 failed"), "{table}");
}
