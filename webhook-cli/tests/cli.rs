//! The `webhook` binary, run for real: sign → verify round trips, exit codes, tolerance edges,
//! stdin bodies, and `send` against a real HTTP server bound on 127.0.0.1.

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use webhook_verify::{Scheme, Verifier};

// ---------------------------------------------------------------------------------------------
// Helpers: run the binary, write a body file, start a receiver.

/// What one run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `webhook args...` with `stdin` piped in and `WEBHOOK_SECRET` unset unless `env` sets it.
fn webhook_with_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_webhook"));
    command
        .args(args)
        .env_remove("WEBHOOK_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the webhook binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // The child may exit before reading stdin (usage errors): a broken pipe is fine then.
    let writer = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("the webhook binary runs");
    writer.join().expect("stdin writer");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn webhook(args: &[&str], stdin: &[u8]) -> Run {
    webhook_with_env(args, stdin, &[])
}

/// Writes `bytes` to a fresh file under Cargo's per-target temporary directory.
fn body_file(bytes: &[u8]) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("webhook-cli-body-{}-{n}", std::process::id()));
    std::fs::write(&path, bytes).expect("write body file");
    path
}

/// `webhook sign ...` with the body on stdin; returns the printed `Name: value` lines.
fn sign(scheme: &str, secret: &str, extra: &[&str], body: &[u8]) -> Vec<String> {
    let mut args = vec!["sign", "--scheme", scheme, "--secret", secret];
    args.extend_from_slice(extra);
    let run = webhook(&args, body);
    assert_eq!(run.code, 0, "sign failed: {}", run.stderr);
    run.stdout.lines().map(str::to_owned).collect()
}

/// `webhook verify` with the given header lines and extra options, body on stdin.
fn verify(scheme: &str, secrets: &[&str], headers: &[String], extra: &[&str], body: &[u8]) -> Run {
    let mut args = vec!["verify", "--scheme", scheme];
    for secret in secrets {
        args.extend(["--secret", secret]);
    }
    for header in headers {
        args.extend(["--header", header.as_str()]);
    }
    args.extend_from_slice(extra);
    webhook(&args, body)
}

fn assert_valid(run: &Run) {
    assert_eq!(run.code, 0, "expected valid, stderr: {}", run.stderr);
    assert_eq!(run.stdout, "valid\n");
}

fn assert_invalid(run: &Run, reason: &str) {
    assert_eq!(
        run.code, 1,
        "expected exit 1; stdout {:?} stderr {:?}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stdout, "", "nothing on stdout when invalid");
    assert!(
        run.stderr.contains(reason),
        "stderr {:?} lacks {reason:?}",
        run.stderr
    );
}

fn assert_usage_error(run: &Run, message: &str) {
    assert_eq!(
        run.code, 2,
        "expected exit 2; stdout {:?} stderr {:?}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains(message),
        "stderr {:?} lacks {message:?}",
        run.stderr
    );
}

/// One request as the test receiver saw it.
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// What `webhook_verify` said about it: `Ok(webhook id)` or the error.
    verdict: Result<Option<String>, String>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1:0 that answers `requests` requests, one per
/// connection: 200 when `verifier` accepts the delivery, 401 otherwise. It gives up waiting
/// after 30 s, so a client that never comes fails the test instead of hanging it.
fn receiver(verifier: Verifier, requests: usize) -> (SocketAddr, JoinHandle<Vec<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = listener.local_addr().expect("local address");
    listener.set_nonblocking(true).expect("non-blocking accept");
    let handle = thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        for _ in 0..requests {
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("no request came: {e}"),
                }
            };
            stream.set_nonblocking(false).expect("blocking stream");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("read timeout");
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header line");
                let line = line.trim_end_matches(['\r', '\n']);
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').expect("name: value");
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().expect("numeric content-length"));
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let verdict = verifier
                .verify(&headers, &body)
                .map(|v| v.webhook_id.map(|id| id.into_owned()))
                .map_err(|e| e.to_string());
            let (status, answer) = match &verdict {
                Ok(_) => ("200 OK", r#"{"received":true}"#.to_owned()),
                Err(e) => ("401 Unauthorized", format!(r#"{{"error":"{e}"}}"#)),
            };
            let mut stream = reader.into_inner();
            write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .expect("write response");
            seen.push(Received {
                request_line,
                headers,
                body,
                verdict,
            });
        }
        seen
    });
    (addr, handle)
}

// ---------------------------------------------------------------------------------------------
// sign → verify

const T: i64 = 1_700_000_000;
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// RFC 8032 test 1 key pair, as Standard Webhooks writes asymmetric keys.
const WHSK: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const WHPK: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// Every scheme with a secret it accepts, signing and verifying keys apart for asymmetric v1a.
const SCHEMES: [(&str, &str, &str); 7] = [
    ("hmac-sha256", "your-webhook-secret", "your-webhook-secret"),
    ("standard", STANDARD_SECRET, STANDARD_SECRET),
    ("standard", WHSK, WHPK),
    (
        "stripe",
        "whsec_stripe_test_secret",
        "whsec_stripe_test_secret",
    ),
    (
        "github",
        "It's a Secret to Everybody",
        "It's a Secret to Everybody",
    ),
    (
        "slack",
        "8f742231b10e8888abcd99yyyzzz85a5",
        "8f742231b10e8888abcd99yyyzzz85a5",
    ),
    ("shopify", "shpss_shopify_secret", "shpss_shopify_secret"),
];

const BODY: &[u8] = br#"{"event":"user.created","data":{"id":"user_123"}}"#;

#[test]
fn sign_then_verify_round_trips_for_every_scheme() {
    for (scheme, sign_key, verify_key) in SCHEMES {
        let headers = sign(
            scheme,
            sign_key,
            &["--id", "msg_1", "--timestamp", "1700000000"],
            BODY,
        );
        assert!(!headers.is_empty(), "{scheme} printed no header");
        for line in &headers {
            let (name, value) = line.split_once(": ").expect("Name: value");
            assert!(!name.is_empty() && !value.is_empty(), "{scheme}: {line}");
        }
        let run = verify(
            scheme,
            &[verify_key],
            &headers,
            &["--now", "1700000000"],
            BODY,
        );
        assert_valid(&run);
    }
}

#[test]
fn sign_prints_each_scheme_s_own_headers() {
    let names = |scheme, key| -> Vec<String> {
        sign(scheme, key, &["--timestamp", "1700000000"], BODY)
            .iter()
            .map(|l| {
                l.split_once(": ")
                    .expect("Name: value")
                    .0
                    .to_ascii_lowercase()
            })
            .collect()
    };
    assert_eq!(names("hmac-sha256", "k"), ["x-webhook-signature"]);
    assert_eq!(
        names("standard", STANDARD_SECRET),
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
    );
    assert_eq!(names("stripe", "whsec_k"), ["stripe-signature"]);
    assert_eq!(names("github", "k"), ["x-hub-signature-256"]);
    assert_eq!(
        names("slack", "k"),
        ["x-slack-request-timestamp", "x-slack-signature"]
    );
    assert_eq!(names("shopify", "k"), ["x-shopify-hmac-sha256"]);
}

#[test]
fn hmac_sha256_is_the_default_scheme_and_matches_the_seed_documents() {
    // HMAC-SHA256 of the body keyed with the secret's bytes, hex, `sha256=` prefix.
    let run = webhook(
        &["sign", "--secret", "key"],
        b"The quick brown fox jumps over the lazy dog",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "X-Webhook-Signature: sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8\n"
    );
}

#[test]
fn sign_defaults_to_a_fresh_msg_id_and_the_current_time() {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let first = sign("standard", STANDARD_SECRET, &[], BODY);
    let second = sign("standard", STANDARD_SECRET, &[], BODY);
    let id = first[0]
        .strip_prefix("webhook-id: ")
        .expect("webhook-id first");
    assert!(id.starts_with("msg_") && id.len() > 10, "{id}");
    assert_ne!(first[0], second[0], "ids must be fresh");
    let ts: u64 = first[1]
        .strip_prefix("webhook-timestamp: ")
        .expect("timestamp second")
        .parse()
        .expect("numeric");
    assert!(ts >= before && ts <= before + 60, "{ts} vs {before}");
    // Signed now, so it verifies against the real clock.
    assert_valid(&verify("standard", &[STANDARD_SECRET], &first, &[], BODY));
}

#[test]
fn standard_webhooks_reference_vector_verifies() {
    let headers = [
        "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned(),
        "webhook-timestamp: 1614265330".to_owned(),
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned(),
    ];
    let body = br#"{"test": 2432232314}"#;
    let run = verify(
        "standard",
        &[STANDARD_SECRET],
        &headers,
        &["--now", "1614265330"],
        body,
    );
    assert_valid(&run);
    // And `sign` reproduces the reference signature.
    let signed = sign(
        "standard",
        STANDARD_SECRET,
        &[
            "--id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "--timestamp",
            "1614265330",
        ],
        body,
    );
    assert_eq!(signed, headers);
    // One changed byte of the body and it no longer verifies.
    let run = verify(
        "standard",
        &[STANDARD_SECRET],
        &headers,
        &["--now", "1614265330"],
        br#"{"test": 2432232315}"#,
    );
    assert_invalid(&run, "no signature matches the body");
}

// ---------------------------------------------------------------------------------------------
// refusals (exit 1)

#[test]
fn tampered_body_exits_1_with_the_reason_on_stderr_and_nothing_on_stdout() {
    for (scheme, sign_key, verify_key) in SCHEMES {
        let headers = sign(
            scheme,
            sign_key,
            &["--id", "msg_1", "--timestamp", "1700000000"],
            BODY,
        );
        let tampered = br#"{"event":"user.created","data":{"id":"user_124"}}"#;
        let run = verify(
            scheme,
            &[verify_key],
            &headers,
            &["--now", "1700000000"],
            tampered,
        );
        assert_invalid(&run, "invalid: no signature matches the body");
    }
}

#[test]
fn wrong_secret_exits_1() {
    let headers = sign("github", "right", &[], BODY);
    assert_invalid(
        &verify("github", &["wrong"], &headers, &[], BODY),
        "no signature matches",
    );
}

#[test]
fn tampered_id_or_timestamp_exits_1() {
    let headers = sign(
        "standard",
        STANDARD_SECRET,
        &["--id", "msg_1", "--timestamp", "1700000000"],
        BODY,
    );
    let mut other_id = headers.clone();
    other_id[0] = "webhook-id: msg_2".to_owned();
    assert_invalid(
        &verify(
            "standard",
            &[STANDARD_SECRET],
            &other_id,
            &["--now", "1700000000"],
            BODY,
        ),
        "no signature matches",
    );
    let mut other_ts = headers.clone();
    other_ts[1] = "webhook-timestamp: 1700000001".to_owned();
    assert_invalid(
        &verify(
            "standard",
            &[STANDARD_SECRET],
            &other_ts,
            &["--now", "1700000000"],
            BODY,
        ),
        "no signature matches",
    );
}

#[test]
fn missing_signature_header_exits_1_naming_the_header() {
    let headers = ["content-type: application/json".to_owned()];
    assert_invalid(
        &verify("hmac-sha256", &["k"], &headers, &[], BODY),
        "missing header X-Webhook-Signature",
    );
}

#[test]
fn header_names_match_whatever_their_case() {
    let headers: Vec<String> = sign("stripe", "whsec_k", &["--timestamp", "1700000000"], BODY)
        .iter()
        .map(|l| {
            l.to_ascii_uppercase()
                .replacen("T=", "t=", 1)
                .replace("V1=", "v1=")
        })
        .collect();
    // Only the header name changed case (hex digits were upper-cased too, which hex allows).
    assert!(
        headers[0].starts_with("STRIPE-SIGNATURE: t=1700000000,v1="),
        "{headers:?}"
    );
    assert_valid(&verify(
        "stripe",
        &["whsec_k"],
        &headers,
        &["--now", "1700000000"],
        BODY,
    ));
}

#[test]
fn any_of_several_secrets_verifies_during_rotation() {
    let headers = sign("hmac-sha256", "old-secret", &[], BODY);
    let run = verify(
        "hmac-sha256",
        &["new-secret", "old-secret"],
        &headers,
        &["--verbose"],
        BODY,
    );
    assert_valid(&run);
    assert!(run.stderr.contains("secret_index=1"), "{}", run.stderr);
}

#[test]
fn signing_with_two_secrets_carries_two_signatures_each_verifying_alone() {
    let headers = sign(
        "stripe",
        "whsec_new",
        &["--secret", "whsec_old", "--timestamp", "1700000000"],
        BODY,
    );
    assert_eq!(headers[0].matches("v1=").count(), 2, "{headers:?}");
    for secret in ["whsec_new", "whsec_old"] {
        assert_valid(&verify(
            "stripe",
            &[secret],
            &headers,
            &["--now", "1700000000"],
            BODY,
        ));
    }
}

#[test]
fn repeated_header_with_different_values_exits_1_as_ambiguous() {
    let mut headers = sign("github", "k", &[], BODY);
    headers.push("X-Hub-Signature-256: sha256=00".to_owned());
    assert_invalid(
        &verify("github", &["k"], &headers, &[], BODY),
        "appears more than once",
    );
}

#[test]
fn body_over_the_limit_exits_1() {
    let big = vec![b'x'; 4096];
    let headers = sign("github", "k", &[], &big);
    assert_invalid(
        &verify("github", &["k"], &headers, &["--body-limit", "1024"], &big),
        "body exceeds the 1024-byte limit",
    );
    assert_valid(&verify(
        "github",
        &["k"],
        &headers,
        &["--body-limit", "4096"],
        &big,
    ));
}

// ---------------------------------------------------------------------------------------------
// tolerance and the frozen clock

fn stripe_signed_at_t() -> Vec<String> {
    sign("stripe", "whsec_k", &["--timestamp", &T.to_string()], BODY)
}

fn verify_stripe_at(now: i64, extra: &[&str]) -> Run {
    let now = now.to_string();
    let mut options = vec!["--now", now.as_str()];
    options.extend_from_slice(extra);
    verify(
        "stripe",
        &["whsec_k"],
        &stripe_signed_at_t(),
        &options,
        BODY,
    )
}

#[test]
fn accepts_timestamp_300_seconds_old_with_tolerance_300() {
    assert_valid(&verify_stripe_at(T + 300, &["--tolerance", "300"]));
    assert_valid(&verify_stripe_at(T + 300, &[])); // 300 is the default
}

#[test]
fn rejects_timestamp_301_seconds_old_with_tolerance_300() {
    assert_invalid(
        &verify_stripe_at(T + 301, &["--tolerance", "300"]),
        "timestamp is older than the 300 s tolerance",
    );
    assert_invalid(
        &verify_stripe_at(T + 301, &[]),
        "older than the 300 s tolerance",
    );
}

#[test]
fn rejects_timestamp_301_seconds_in_the_future() {
    assert_valid(&verify_stripe_at(T - 300, &[]));
    assert_invalid(&verify_stripe_at(T - 301, &[]), "further in the future");
}

#[test]
fn tolerance_is_configurable() {
    assert_valid(&verify_stripe_at(T + 60, &["--tolerance", "60"]));
    assert_invalid(
        &verify_stripe_at(T + 61, &["--tolerance", "60"]),
        "60 s tolerance",
    );
}

#[test]
fn no_tolerance_accepts_any_timestamp_but_still_checks_the_signature() {
    assert_valid(&verify_stripe_at(T + 1_000_000, &["--no-tolerance"]));
    let run = verify(
        "stripe",
        &["whsec_other"],
        &stripe_signed_at_t(),
        &["--no-tolerance"],
        BODY,
    );
    assert_invalid(&run, "no signature matches");
}

#[test]
fn without_now_the_system_clock_refuses_an_old_delivery() {
    assert_invalid(
        &verify("stripe", &["whsec_k"], &stripe_signed_at_t(), &[], BODY),
        "older than the 300 s tolerance",
    );
}

// ---------------------------------------------------------------------------------------------
// bodies: stdin, `-`, files, bytes that are not UTF-8

#[test]
fn body_from_stdin_signs_and_verifies_byte_for_byte() {
    let body: Vec<u8> = (0..=255u8)
        .chain(b"\r\n  trailing ".iter().copied())
        .collect();
    let from_stdin = sign("shopify", "k", &[], &body);
    let from_dash = sign("shopify", "k", &["--body-file", "-"], &body);
    let file = body_file(&body);
    let from_file = sign(
        "shopify",
        "k",
        &["--body-file", file.to_str().unwrap()],
        b"ignored",
    );
    assert_eq!(from_stdin, from_dash);
    assert_eq!(from_stdin, from_file);
    assert_valid(&verify("shopify", &["k"], &from_stdin, &[], &body));
    assert_valid(&verify(
        "shopify",
        &["k"],
        &from_stdin,
        &["--body-file", file.to_str().unwrap()],
        b"ignored",
    ));
    // One byte less (a trailing space a re-serializer would drop) is refused.
    assert_invalid(
        &verify("shopify", &["k"], &from_stdin, &[], &body[..body.len() - 1]),
        "no signature matches",
    );
}

#[test]
fn missing_body_file_exits_2() {
    let run = webhook(
        &[
            "sign",
            "--secret",
            "k",
            "--body-file",
            "/nonexistent/body.json",
        ],
        b"",
    );
    assert_usage_error(&run, "cannot open body file");
}

// ---------------------------------------------------------------------------------------------
// usage errors (exit 2)

#[test]
fn unknown_scheme_exits_2() {
    let run = webhook(
        &[
            "verify", "--scheme", "md5", "--secret", "k", "--header", "X: y",
        ],
        BODY,
    );
    assert_usage_error(&run, "unknown scheme");
    assert_usage_error(
        &webhook(&["sign", "--scheme", "md5", "--secret", "k"], BODY),
        "md5",
    );
}

#[test]
fn malformed_header_exits_2() {
    for bad in ["no colon here", ": no name", "bad name: x", "X-Ok: a\u{1}b"] {
        let run = webhook(&["verify", "--secret", "k", "--header", bad], BODY);
        assert_eq!(run.code, 2, "{bad:?} gave {} ({})", run.code, run.stderr);
        assert!(run.stderr.contains("--header"), "{}", run.stderr);
    }
}

#[test]
fn verify_without_any_header_exits_2() {
    assert_usage_error(&webhook(&["verify", "--secret", "k"], BODY), "--header");
}

#[test]
fn bad_secret_exits_2_without_printing_it() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "verify",
            &["--scheme", "standard", "--secret", "whsec_%%notbase64%%"],
        ),
        ("verify", &["--scheme", "standard", "--secret", WHSK]), // a signing key cannot verify
        ("sign", &["--scheme", "standard", "--secret", WHPK]),   // a public key cannot sign
        (
            "sign",
            &["--scheme", "standard", "--secret", "whsk_c2hvcnQ="],
        ), // not 32 bytes
        ("verify", &["--secret", ""]),
    ];
    for (command, options) in cases {
        let mut args = vec![command];
        args.extend_from_slice(options);
        if command == "verify" {
            args.extend(["--header", "webhook-id: msg_1"]);
        }
        let run = webhook(&args, BODY);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("secret") || run.stderr.contains("key"),
            "{}",
            run.stderr
        );
        let secret = options[options.len() - 1];
        if !secret.is_empty() {
            let key_part = &secret[5..];
            assert!(
                !run.stderr.contains(key_part),
                "secret leaked: {}",
                run.stderr
            );
            assert!(!run.stdout.contains(key_part));
        }
    }
}

#[test]
fn standard_id_with_a_dot_is_a_usage_error_when_signing() {
    let run = webhook(
        &[
            "sign",
            "--scheme",
            "standard",
            "--secret",
            STANDARD_SECRET,
            "--id",
            "msg.1",
        ],
        BODY,
    );
    assert_usage_error(&run, "webhook id");
}

#[test]
fn tolerance_and_no_tolerance_conflict() {
    let run = webhook(
        &[
            "verify",
            "--secret",
            "k",
            "--header",
            "X: y",
            "--tolerance",
            "5",
            "--no-tolerance",
        ],
        BODY,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// where secrets come from

#[test]
fn secret_comes_from_webhook_secret_when_no_option_gives_one() {
    let signed = webhook_with_env(
        &["sign", "--scheme", "github"],
        BODY,
        &[("WEBHOOK_SECRET", "env-secret")],
    );
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let headers: Vec<String> = signed.stdout.lines().map(str::to_owned).collect();
    assert_valid(&verify("github", &["env-secret"], &headers, &[], BODY));
}

#[test]
fn secret_env_reads_the_named_variable() {
    let headers = sign("github", "from-var", &[], BODY);
    let mut args = vec![
        "verify",
        "--scheme",
        "github",
        "--secret-env",
        "MY_HOOK_KEY",
    ];
    for h in &headers {
        args.extend(["--header", h.as_str()]);
    }
    let run = webhook_with_env(
        &args,
        BODY,
        &[("MY_HOOK_KEY", "from-var"), ("WEBHOOK_SECRET", "other")],
    );
    assert_valid(&run);
}

#[test]
fn unset_secret_env_or_no_secret_at_all_exits_2() {
    assert_usage_error(
        &webhook(&["sign", "--secret-env", "SURELY_UNSET_WEBHOOK_VAR"], BODY),
        "SURELY_UNSET_WEBHOOK_VAR",
    );
    assert_usage_error(&webhook(&["sign"], BODY), "WEBHOOK_SECRET");
}

#[test]
fn no_output_ever_contains_the_secret() {
    let secret = "super-secret-value-1234";
    let headers = sign("hmac-sha256", secret, &[], BODY);
    let runs = [
        verify("hmac-sha256", &[secret], &headers, &["--verbose"], BODY),
        verify("hmac-sha256", &[secret], &headers, &[], b"tampered"),
        webhook(&["sign", "--scheme", "nope", "--secret", secret], BODY),
    ];
    for run in runs.iter() {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    assert!(headers.iter().all(|h| !h.contains(secret)));
}

// ---------------------------------------------------------------------------------------------
// payload and send

#[test]
fn payload_prints_the_seed_envelopes() {
    let run = webhook(&["payload", "--event", "resource.updated"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let p: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(p["type"], "resource.updated");
    assert!(p["id"].as_str().unwrap().starts_with("evt_"));
    assert!(p["data"]["object"].is_object());
    assert_eq!(p["previous_data"]["name"], "Old Resource Name");

    let run = webhook(&["payload", "--event", "order.completed"], b"");
    let p: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(p["event"], "order.completed");
    assert_eq!(p["data"]["status"], "completed");
    assert!(p["timestamp"].as_str().unwrap().ends_with('Z'));

    assert_eq!(
        webhook(&["payload", "--event", "user.exploded"], b"").code,
        2
    );
}

#[test]
fn send_posts_a_signed_event_the_server_verifies() {
    let verifier = Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap();
    let (addr, server) = receiver(verifier, 1);
    let url = format!("http://{addr}/webhooks");
    let run = webhook(
        &[
            "send",
            &url,
            "--scheme",
            "standard",
            "--secret",
            STANDARD_SECRET,
            "--event",
            "payment.succeeded",
            "--id",
            "msg_send_test",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stdout.starts_with("200 OK\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains(r#"{"received":true}"#),
        "{}",
        run.stdout
    );

    let seen = server.join().expect("server thread");
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.verdict, Ok(Some("msg_send_test".to_owned())));
    assert!(request.request_line.starts_with("POST /webhooks HTTP/1.1"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let payload: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(payload["event"], "payment.succeeded");
    assert!(
        payload["data"]["id"]
            .as_str()
            .unwrap()
            .starts_with("payment_")
    );
}

#[test]
fn send_posts_a_body_file_byte_for_byte_with_the_default_scheme() {
    let body = b"{\"id\": \"evt_1\",  \"type\": \"resource.created\"}\n";
    let file = body_file(body);
    let verifier = Verifier::new(Scheme::hmac_sha256(), "seed-secret").unwrap();
    let (addr, server) = receiver(verifier, 1);
    let run = webhook(
        &[
            "send",
            &format!("http://{addr}/"),
            "--secret",
            "seed-secret",
            "--body-file",
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let seen = server.join().unwrap();
    assert_eq!(seen[0].body, body);
    assert!(seen[0].verdict.is_ok(), "{:?}", seen[0].verdict);
    assert!(
        seen[0]
            .header("x-webhook-signature")
            .unwrap()
            .starts_with("sha256=")
    );
}

#[test]
fn send_exits_1_and_prints_the_status_when_the_server_refuses() {
    let verifier = Verifier::new(Scheme::github(), "server-secret").unwrap();
    let (addr, server) = receiver(verifier, 1);
    let run = webhook(
        &[
            "send",
            &format!("http://{addr}/"),
            "--scheme",
            "github",
            "--secret",
            "client-secret",
            "--event",
            "user.created",
        ],
        b"",
    );
    assert_eq!(run.code, 1, "stdout {} stderr {}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("401 Unauthorized\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("no signature matches"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    let seen = server.join().unwrap();
    assert!(seen[0].verdict.is_err());
}

#[test]
fn send_repeat_delivers_the_same_delivery_n_times() {
    let verifier = Verifier::new(Scheme::standard(), STANDARD_SECRET).unwrap();
    let (addr, server) = receiver(verifier, 3);
    let run = webhook(
        &[
            "send",
            &format!("http://{addr}/"),
            "--scheme",
            "standard",
            "--secret",
            STANDARD_SECRET,
            "--event",
            "resource.created",
            "--repeat",
            "3",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout.matches("200 OK").count(), 3, "{}", run.stdout);
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert!(request.verdict.is_ok(), "{:?}", request.verdict);
        assert_eq!(request.body, seen[0].body);
        assert_eq!(request.header("webhook-id"), seen[0].header("webhook-id"));
        assert_eq!(
            request.header("webhook-signature"),
            seen[0].header("webhook-signature")
        );
    }
    let payload: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(payload["type"], "resource.created");
}

#[test]
fn send_to_a_closed_port_exits_1() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // dropped: nothing listens there any more
    let run = webhook(
        &[
            "send",
            &format!("http://127.0.0.1:{port}/"),
            "--secret",
            "k",
            "--event",
            "user.created",
        ],
        b"",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("cannot deliver"), "{}", run.stderr);
}

#[test]
fn send_reads_the_body_from_stdin_when_piped() {
    let verifier = Verifier::new(Scheme::shopify(), "k").unwrap();
    let (addr, server) = receiver(verifier, 1);
    let run = webhook(
        &[
            "send",
            &format!("http://{addr}/"),
            "--scheme",
            "shopify",
            "--secret",
            "k",
        ],
        b"{\"from\":\"stdin\"}",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = server.join().unwrap();
    assert_eq!(seen[0].body, b"{\"from\":\"stdin\"}");
    assert!(seen[0].verdict.is_ok());
}

#[test]
fn send_with_both_event_and_body_file_exits_2() {
    let run = webhook(
        &[
            "send",
            "http://127.0.0.1:9/",
            "--secret",
            "k",
            "--event",
            "user.created",
            "--body-file",
            "x.json",
        ],
        b"",
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn envelope_without_event_exits_2() {
    let run = webhook(
        &[
            "send",
            "http://127.0.0.1:9/",
            "--secret",
            "k",
            "--envelope",
            "flat",
            "--body-file",
            "x.json",
        ],
        b"",
    );
    assert_usage_error(&run, "--event");
}

#[test]
fn send_forced_envelope_changes_the_payload_shape() {
    let verifier = Verifier::new(Scheme::hmac_sha256(), "k").unwrap();
    let (addr, server) = receiver(verifier, 1);
    let run = webhook(
        &[
            "send",
            &format!("http://{addr}/"),
            "--secret",
            "k",
            "--event",
            "user.created",
            "--envelope",
            "object",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = server.join().unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(payload["type"], "user.created");
    assert!(
        payload["data"]["object"]["id"]
            .as_str()
            .unwrap()
            .starts_with("user_")
    );
}

#[cfg(not(feature = "rustls"))]
#[test]
fn send_to_https_without_the_rustls_feature_exits_2() {
    let run = webhook(
        &[
            "send",
            "https://example.invalid/",
            "--secret",
            "k",
            "--event",
            "user.created",
        ],
        b"",
    );
    assert_usage_error(&run, "rustls");
}

// ---------------------------------------------------------------------------------------------
// The providers added with one file each: sign → verify, URLs, bodies signed inside.

/// Scheme, secret, extra options for both `sign` and `verify`.
const NEW_SCHEMES: [(&str, &str, &[&str]); 9] = [
    ("zoom", "zoom-secret-token", &[]),
    ("paddle", "pdl_ntfset_secret", &[]),
    ("twitch", "twitch-subscription-secret", &[]),
    ("dropbox", "dropbox-app-secret", &[]),
    ("meta", "meta-app-secret", &[]),
    ("gitlab", "glwt-secret-token", &[]),
    (
        "square",
        "square-key",
        &["--url", "https://example.com/square"],
    ),
    (
        "hubspot",
        "hubspot-secret",
        &[
            "--url",
            "https://example.com/hubspot?x=1",
            "--method",
            "POST",
        ],
    ),
    (
        "twilio",
        "twilio-token",
        &["--url", "https://example.com/sms"],
    ),
];

#[test]
fn new_schemes_sign_then_verify_and_refuse_a_tampered_body() {
    for (scheme, secret, extra) in NEW_SCHEMES {
        let mut sign_args = vec!["--id", "msg_1", "--timestamp", "1700000000"];
        sign_args.extend_from_slice(extra);
        let body: &[u8] = if scheme == "twilio" {
            b"Body=hello&From=%2B14155550100&To=%2B14155550199"
        } else {
            BODY
        };
        let headers = sign(scheme, secret, &sign_args, body);
        assert!(!headers.is_empty(), "{scheme} printed no header");
        let mut verify_args = vec!["--now", "1700000000"];
        verify_args.extend_from_slice(extra);
        let run = verify(
            scheme,
            &["old-secret", secret],
            &headers,
            &verify_args,
            body,
        );
        assert_valid(&run);
        if scheme != "gitlab" {
            let run = verify(scheme, &[secret], &headers, &verify_args, b"tampered");
            assert_invalid(&run, "invalid");
        }
    }
}

#[test]
fn twilio_s_published_example_verifies_with_its_url() {
    let form = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
    let headers = ["X-Twilio-Signature: 0/KCTR6DLpKmkAf8muzZqo1nDgQ=".to_owned()];
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_valid(&verify(
        "twilio",
        &["12345"],
        &headers,
        &["--url", url],
        form,
    ));
    // With its default port, as Twilio's SDKs accept it.
    let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    assert_valid(&verify(
        "twilio",
        &["12345"],
        &headers,
        &["--url", with_port],
        form,
    ));
    let other = "https://mycompany.com/myapp.php?foo=1&bar=3";
    assert_invalid(
        &verify("twilio", &["12345"], &headers, &["--url", other], form),
        "no signature matches",
    );
}

#[test]
fn url_signed_schemes_without_url_exit_2() {
    for scheme in ["twilio", "square", "hubspot"] {
        let run = verify(scheme, &["k"], &["X-Any: 1".to_owned()], &[], BODY);
        assert_usage_error(&run, "--url");
        let run = webhook(&["sign", "--scheme", scheme, "--secret", "k"], BODY);
        assert_usage_error(&run, "--url");
    }
}

#[test]
fn mailgun_and_linear_sign_into_the_body_which_then_verifies() {
    for scheme in ["mailgun", "linear"] {
        let run = webhook(
            &[
                "sign",
                "--scheme",
                scheme,
                "--secret",
                "signing-key",
                "--id",
                "tok_1",
                "--timestamp",
                "1700000000",
            ],
            br#"{"type":"Issue"}"#,
        );
        assert_eq!(run.code, 0, "{scheme}: {}", run.stderr);
        let (head, body) = match run.stdout.strip_prefix('\n') {
            Some(body) => ("", body),
            None => run
                .stdout
                .split_once("\n\n")
                .expect("headers, blank line, body"),
        };
        let headers: Vec<String> = head
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let headers = if headers.is_empty() {
            vec!["Content-Type: application/json".to_owned()]
        } else {
            headers
        };
        let run = verify(
            scheme,
            &["signing-key"],
            &headers,
            &["--now", "1700000000"],
            body.as_bytes(),
        );
        assert_valid(&run);
    }
}

#[test]
fn scheme_help_lists_every_scheme_with_what_its_secret_is() {
    let run = webhook(&["verify", "--help"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for provider in Scheme::providers() {
        assert!(run.stdout.contains(provider.name), "{}", provider.name);
        assert!(run.stdout.contains(provider.secret_is), "{}", provider.name);
    }
    assert!(run.stdout.contains("svix"));
}

// ---------------------------------------------------------------------------------------------
// Key-pair and certificate schemes

/// RFC 8032 test key 1 as Discord keys: seed and public key to sign, public key to verify.
const DISCORD_PRIVATE: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
/// A P-256 test key, base64 DER PKCS#8 to sign and SubjectPublicKeyInfo to verify.
const SENDGRID_PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5oYiYKfMYuHwzD0QW/TocNDaNQCzVz7W4hPH6UbFsXKhRANCAARnxu9SFS3Q3lSOzwOGM6TluRQehoNsMd47tsnU1Ocd/2cfoA8JxFhDQtEU5Mv2hr8S7R+BpReCZi80M/hAcsRZ";
const SENDGRID_PUBLIC: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ8bvUhUt0N5Ujs8DhjOk5bkUHoaDbDHeO7bJ1NTnHf9nH6APCcRYQ0LRFOTL9oa/Eu0fgaUXgmYvNDP4QHLEWQ==";

fn test_cert_file() -> String {
    body_file(webhook_verify::TEST_CERTIFICATE_PEM.as_bytes())
        .to_string_lossy()
        .into_owned()
}

#[test]
fn discord_and_sendgrid_sign_with_the_private_key_and_verify_with_the_public_one() {
    for (scheme, private, public) in [
        ("discord", DISCORD_PRIVATE, DISCORD_PUBLIC),
        ("sendgrid", SENDGRID_PRIVATE, SENDGRID_PUBLIC),
    ] {
        let headers = sign(scheme, private, &["--timestamp", "1700000000"], BODY);
        assert_eq!(headers.len(), 2, "{scheme}: {headers:?}");
        assert_valid(&verify(
            scheme,
            &[public],
            &headers,
            &["--now", "1700000000"],
            BODY,
        ));
        let run = verify(scheme, &[public], &headers, &["--now", "1700000000"], b"{}");
        assert_invalid(&run, "no signature matches the body");
        // A public key cannot sign.
        let run = webhook(&["sign", "--scheme", scheme, "--secret", public], BODY);
        assert_usage_error(&run, "invalid secret");
    }
}

#[test]
fn paypal_verifies_with_the_given_certificate_file() {
    let headers = sign(
        "paypal",
        "WH-1JE4291016473214C",
        &["--id", "tx-1", "--timestamp", "1700000000"],
        BODY,
    );
    let cert = test_cert_file();
    let at = ["--now", "1700000000", "--cert-file", cert.as_str()];
    assert_valid(&verify(
        "paypal",
        &["WH-1JE4291016473214C"],
        &headers,
        &at,
        BODY,
    ));
    assert_invalid(
        &verify("paypal", &["WH-OTHER"], &headers, &at, BODY),
        "no signature matches the body",
    );
    assert_invalid(
        &verify("paypal", &["WH-1JE4291016473214C"], &headers, &at, b"{}"),
        "no signature matches the body",
    );
    let moved: Vec<String> = headers
        .iter()
        .map(|h| {
            if h.starts_with("PAYPAL-CERT-URL") {
                "PAYPAL-CERT-URL: https://evil.example/cert.pem".to_owned()
            } else {
                h.clone()
            }
        })
        .collect();
    assert_invalid(
        &verify("paypal", &["WH-1JE4291016473214C"], &moved, &at, BODY),
        "not an https URL on a PayPal API host",
    );
    let no_cert = verify(
        "paypal",
        &["WH-1JE4291016473214C"],
        &headers,
        &["--now", "1700000000"],
        BODY,
    );
    assert_usage_error(&no_cert, "give --cert-file PEM");
    let other = body_file(b"not a certificate")
        .to_string_lossy()
        .into_owned();
    let bad = ["--now", "1700000000", "--cert-file", other.as_str()];
    let run = verify("paypal", &["WH-1JE4291016473214C"], &headers, &bad, BODY);
    assert_usage_error(&run, "invalid certificate");
}

#[test]
fn sns_signs_an_envelope_and_verifies_it_without_a_secret() {
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:orders";
    let run = webhook(
        &[
            "sign",
            "--scheme",
            "sns",
            "--secret",
            TOPIC,
            "--id",
            "m-1",
            "--timestamp",
            "1700000000",
        ],
        BODY,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (head, body) = run
        .stdout
        .split_once("\n\n")
        .expect("headers, blank line, body");
    let headers: Vec<String> = head.lines().map(str::to_owned).collect();
    let cert = test_cert_file();
    let at = [
        "--now",
        "1700000000",
        "--cert-file",
        cert.as_str(),
        "--verbose",
    ];
    let run = verify("sns", &[], &headers, &at, body.as_bytes());
    assert_valid(&run);
    assert!(run.stderr.contains("webhook_id=m-1"), "{}", run.stderr);
    assert_valid(&verify("sns", &[TOPIC], &headers, &at, body.as_bytes()));
    let other_topic = verify(
        "sns",
        &["arn:aws:sns:us-east-1:1:x"],
        &headers,
        &at,
        body.as_bytes(),
    );
    assert_invalid(&other_topic, "TopicArn is not one of the topics");
    let tampered = body.replace("user_123", "user_124");
    assert_invalid(
        &verify("sns", &[], &headers, &at, tampered.as_bytes()),
        "no signature matches the body",
    );
}
