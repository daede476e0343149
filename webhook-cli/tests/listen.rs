//! `webhook listen` run for real on a free port, with `webhook send` delivering to it.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A running `webhook listen`: its address and the lines it prints on stdout.
struct Listener {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    /// Starts `webhook listen --port 0 <args>` and waits for the address it announces.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_webhook"))
            .args(["listen", "--port", "0"])
            .args(args)
            .env_remove("WEBHOOK_SECRET")
            .env_remove("DASHBOARD_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("webhook listen starts");
        let stderr = BufReader::new(child.stderr.take().expect("piped"));
        let (announce, announced) = mpsc::channel();
        thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = announce.send(line);
            }
        });
        let first = announced
            .recv_timeout(Duration::from_secs(20))
            .expect("webhook listen announces its address on stderr");
        let url = first
            .strip_prefix("listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (line, lines) = mpsc::channel();
        thread::spawn(move || {
            for text in stdout.lines().map_while(Result::ok) {
                let _ = line.send(text);
            }
        });
        Self { child, url, lines }
    }

    /// The next line printed, within 10 s.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("webhook listen printed a line for the delivery")
    }

    /// Waits for the process to exit by itself (`--count`), returning its exit code.
    fn wait(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().expect("exited, not killed");
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("webhook listen did not stop after --count deliveries");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Our own child, by its PID; a no-op once it has exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `webhook send <url> args...`: (exit code, stdout).
fn send(url: &str, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_webhook"))
        .arg("send")
        .arg(url)
        .args(args)
        .env_remove("WEBHOOK_SECRET")
        .stdin(Stdio::null())
        .output()
        .expect("webhook send runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).expect("UTF-8"),
    )
}

fn body_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("webhook-listen-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("write body file");
    path
}

#[test]
fn signed_send_prints_valid_with_scheme_id_and_size_and_gets_200() {
    let listener = Listener::start(&["--scheme", "standard", "--secret", SECRET, "--count", "2"]);
    let body = body_file("valid", br#"{"type":"order.completed","data":{}}"#);
    let body = body.to_str().unwrap();

    let (code, answer) = send(
        &format!("{}webhooks", listener.url),
        &[
            "--scheme",
            "standard",
            "--secret",
            SECRET,
            "--body-file",
            body,
            "--id",
            "msg_listen1",
        ],
    );
    assert_eq!(code, 0, "{answer}");
    assert_eq!(answer, "200 OK\n");
    assert_eq!(listener.next_line(), "valid standard msg_listen1 36");

    // A realistic event with a fresh id: the id printed is the one sent.
    let (code, _) = send(
        &listener.url,
        &[
            "--scheme",
            "standard",
            "--secret",
            SECRET,
            "--event",
            "order.completed",
            "--id",
            "msg_listen2",
        ],
    );
    assert_eq!(code, 0);
    let line = listener.next_line();
    assert!(line.starts_with("valid standard msg_listen2 "), "{line}");
    assert_eq!(listener.wait(), 0, "--count 2 stops after two deliveries");
}

#[test]
fn wrong_secret_prints_invalid_with_the_reason_and_gets_401() {
    let listener = Listener::start(&["--scheme", "standard", "--secret", SECRET]);
    let body = body_file("wrong", b"{}");
    let (code, answer) = send(
        &listener.url,
        &[
            "--scheme",
            "standard",
            "--secret",
            OTHER_SECRET,
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        answer,
        "401 Unauthorized\n{\"error\":\"no signature matches the body\"}\n"
    );
    assert_eq!(
        listener.next_line(),
        "invalid no signature matches the body"
    );
}

#[test]
fn default_scheme_without_an_id_prints_a_dash() {
    let listener = Listener::start(&["--secret", "plain-secret"]);
    let body = body_file("hmac", b"hello");
    let (code, _) = send(
        &listener.url,
        &[
            "--secret",
            "plain-secret",
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(listener.next_line(), "valid hmac-sha256 - 5");
}

#[test]
fn body_over_the_limit_prints_invalid_and_gets_413() {
    let listener = Listener::start(&["--secret", "plain-secret", "--body-limit", "10"]);
    let body = body_file("big", &[b'x'; 100]);
    let (code, answer) = send(
        &listener.url,
        &[
            "--secret",
            "plain-secret",
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(answer.starts_with("413 Payload Too Large\n"), "{answer}");
    assert_eq!(
        listener.next_line(),
        "invalid body exceeds the 10-byte limit"
    );
}

#[test]
fn port_in_use_exits_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_webhook"))
        .args(["listen", "--port", &port, "--secret", "s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on 127.0.0.1:"), "{stderr}");
}

#[test]
fn url_signed_schemes_are_verified_against_the_listener_s_url_or_public_url() {
    let body = body_file("square", br#"{"type":"payment.updated"}"#);
    let body = body.to_str().unwrap();
    let key = "square-signature-key";

    // Default: the listener's own address, which is what `send` signs for.
    let listener = Listener::start(&["--scheme", "square", "--secret", key, "--count", "2"]);
    let url = format!("{}square?shop=1", listener.url);
    let (code, answer) = send(
        &url,
        &["--scheme", "square", "--secret", key, "--body-file", body],
    );
    assert_eq!(
        (code, answer.lines().next()),
        (0, Some("200 OK")),
        "{answer}"
    );
    assert_eq!(listener.next_line(), "valid square - 26");
    let (code, _) = send(
        &url,
        &[
            "--scheme",
            "square",
            "--secret",
            "other",
            "--body-file",
            body,
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        listener.next_line(),
        "invalid no signature matches the body"
    );
    assert_eq!(listener.wait(), 0);

    // Behind a proxy: `--public-url` is the URL senders sign, not the listener's address.
    let public = "https://hooks.example.com";
    let args = [
        "--scheme",
        "square",
        "--secret",
        key,
        "--public-url",
        public,
        "--count",
        "1",
    ];
    let listener = Listener::start(&args);
    let (code, _) = send(
        &format!("{}square", listener.url),
        &["--scheme", "square", "--secret", key, "--body-file", body],
    );
    assert_eq!(
        code, 1,
        "signed for the listener's address, not the public URL"
    );
    assert_eq!(
        listener.next_line(),
        "invalid no signature matches the body"
    );
}

/// `GET <url path>` over a raw socket: (status, body).
fn get(base: &str, path: &str) -> (u16, String) {
    get_with(base, path, "")
}

/// `GET <url path>` with the extra header lines `headers` (each ending in `\r\n`).
fn get_with(base: &str, path: &str, headers: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

#[test]
fn endpoint_checks_are_answered_and_printed() {
    // Slack's signed url_verification, delivered by `webhook send`: its challenge comes back.
    let listener = Listener::start(&[
        "--scheme",
        "slack",
        "--secret",
        "slack-secret",
        "--count",
        "1",
    ]);
    let body = body_file(
        "slack",
        br#"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#,
    );
    let (code, answer) = send(
        &format!("{}slack/events", listener.url),
        &[
            "--scheme",
            "slack",
            "--secret",
            "slack-secret",
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (code, answer.as_str()),
        (
            0,
            "200 OK\n3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\n"
        )
    );
    assert_eq!(listener.next_line(), "handshake slack 200");
    assert_eq!(listener.wait(), 0);

    // Meta's unsigned GET: echoed only with the configured verify token.
    let listener = Listener::start(&[
        "--scheme",
        "meta",
        "--secret",
        "app-secret",
        "--verify-token",
        "my-verify-token",
        "--count",
        "2",
    ]);
    let check = "/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=";
    let good = get(&listener.url, &format!("{check}my-verify-token"));
    assert_eq!(good, (200, "1158201444".to_owned()));
    assert_eq!(listener.next_line(), "handshake meta 200");
    let (status, _) = get(&listener.url, &format!("{check}a-guess"));
    assert_eq!(status, 403);
    assert_eq!(
        listener.next_line(),
        "invalid hub.verify_token does not match this endpoint's verify token"
    );
    assert_eq!(listener.wait(), 0);
}

#[test]
fn a_discord_ping_gets_a_pong() {
    // RFC 8032 test key 1: `webhook send` signs with the key pair, `listen` holds the public key.
    const PRIVATE: &str = concat!(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let listener = Listener::start(&["--scheme", "discord", "--secret", PUBLIC, "--count", "1"]);
    let body = body_file(
        "discord",
        br#"{"application_id":"11","id":"22","type":1,"version":1}"#,
    );
    let args = [
        "--scheme",
        "discord",
        "--secret",
        PRIVATE,
        "--body-file",
        body.to_str().unwrap(),
    ];
    let (code, answer) = send(&format!("{}interactions", listener.url), &args);
    assert_eq!((code, answer.as_str()), (0, "200 OK\n{\"type\":1}\n"));
    assert_eq!(listener.next_line(), "handshake discord 200");
    assert_eq!(listener.wait(), 0);
}

const SNS_TOPIC: &str = webhook_testkit::SNS_TOPIC;

/// `webhook listen --scheme sns` with the test certificate and `extra` options.
fn sns_listener(extra: &[&str]) -> Listener {
    let cert = body_file(
        "sns-cert.pem",
        webhook_verify::TEST_CERTIFICATE_PEM.as_bytes(),
    );
    let mut args = vec![
        "--scheme",
        "sns",
        "--secret",
        SNS_TOPIC,
        "--cert-file",
        cert.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Listener::start(&args)
}

/// `webhook send` of an authentic SNS `SubscriptionConfirmation` whose `SubscribeURL` is `url`.
fn send_confirmation(listener: &Listener, name: &str, url: &str) -> (i32, String) {
    let body =
        format!(r#"{{"Type":"SubscriptionConfirmation","Token":"t0ken","SubscribeURL":"{url}"}}"#);
    let body = body_file(name, body.as_bytes());
    let args = [
        "--scheme",
        "sns",
        "--secret",
        SNS_TOPIC,
        "--body-file",
        body.to_str().unwrap(),
    ];
    send(&format!("{}sns", listener.url), &args)
}

const CONFIRMATION_ANSWER: &str = "200 OK\n{\"received\":\"SubscriptionConfirmation\"}\n";

#[test]
fn without_the_flag_an_sns_subscription_is_answered_and_awaits_confirmation() {
    let listener = sns_listener(&["--count", "1"]);
    let url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t0ken";
    let (code, answer) = send_confirmation(&listener, "await", url);
    assert_eq!((code, answer.as_str()), (0, CONFIRMATION_ANSWER));
    let line = listener.next_line();
    assert!(
        line.starts_with("subscription awaits confirmation: give --confirm-subscriptions"),
        "{line}"
    );
    assert_eq!(listener.next_line(), "handshake sns 200");
    assert_eq!(listener.wait(), 0);
}

#[test]
fn confirm_subscriptions_is_for_sns_only() {
    let output = Command::new(env!("CARGO_BIN_EXE_webhook"))
        .args([
            "listen",
            "--port",
            "0",
            "--secret",
            "s",
            "--confirm-subscriptions",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("give --scheme sns"), "{stderr}");
}

/// Without the `rustls` feature there is no HTTPS client: the flag is known, and refused.
#[cfg(not(feature = "rustls"))]
#[test]
fn confirm_subscriptions_needs_the_rustls_feature() {
    let cert = body_file(
        "sns-cert-2.pem",
        webhook_verify::TEST_CERTIFICATE_PEM.as_bytes(),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_webhook"))
        .args([
            "listen",
            "--port",
            "0",
            "--scheme",
            "sns",
            "--confirm-subscriptions",
        ])
        .arg("--cert-file")
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--features rustls"), "{stderr}");
}

/// With the flag, against the test provider server (its CA trusted, the SNS host and
/// `evil.example` resolved to it): the SNS `SubscribeURL` is fetched once, the foreign one never.
#[cfg(feature = "rustls")]
#[test]
fn with_the_flag_only_an_sns_host_s_subscribe_url_is_fetched() {
    use webhook_testkit::{CONFIRM_PATH, PROVIDER_CA_PEM, PROVIDER_HOSTS, ProviderServer};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(ProviderServer::start());
    let ca = body_file("provider-ca.pem", PROVIDER_CA_PEM.as_bytes());
    let sns = format!("{}={}", PROVIDER_HOSTS[0], server.addr());
    let evil = format!("evil.example={}", server.addr());
    let listener = sns_listener(&[
        "--confirm-subscriptions",
        "--tls-root-file",
        ca.to_str().unwrap(),
        "--resolve",
        &sns,
        "--resolve",
        &evil,
        "--count",
        "2",
    ]);

    let url = format!(
        "https://{}{CONFIRM_PATH}&TopicArn={SNS_TOPIC}&Token=t0ken",
        PROVIDER_HOSTS[0]
    );
    let (code, answer) = send_confirmation(&listener, "confirm", &url);
    assert_eq!((code, answer.as_str()), (0, CONFIRMATION_ANSWER));
    assert_eq!(listener.next_line(), "subscription confirmed");
    assert_eq!(listener.next_line(), "handshake sns 200");
    assert_eq!(server.requests_for(CONFIRM_PATH), 1, "{:?}", server.paths());
    assert_eq!(server.paths(), [&url[url.find(CONFIRM_PATH).unwrap()..]]);

    // Authentic, but off the SNS hosts: refused before any connection. The library answers the
    // confirmation 200 all the same (it is authentic), and nothing is confirmed.
    let (code, answer) = send_confirmation(
        &listener,
        "evil",
        "https://evil.example/?Action=ConfirmSubscription&Token=t0ken",
    );
    assert_eq!((code, answer.as_str()), (0, CONFIRMATION_ANSWER));
    assert_eq!(listener.next_line(), "handshake sns 200");
    assert_eq!(server.requests(), 1, "{:?}", server.paths());
    assert_eq!(listener.wait(), 0);
}

#[test]
fn the_dashboard_shows_the_deliveries_to_the_token_only() {
    let listener = Listener::start(&[
        "--scheme",
        "standard",
        "--secret",
        SECRET,
        "--dashboard",
        "--dashboard-token",
        "a-dashboard-token",
    ]);
    let body = body_file("dashboard", br#"{"type":"order.completed","data":{}}"#);
    let body = body.to_str().unwrap();
    let delivery = |secret: &str, id: &str| {
        let url = format!("{}webhooks", listener.url);
        let args = [
            "--scheme",
            "standard",
            "--secret",
            secret,
            "--body-file",
            body,
            "--id",
            id,
        ];
        send(&url, &args)
    };
    assert_eq!(delivery(SECRET, "msg_dash_signed").0, 0);
    assert_ne!(delivery(OTHER_SECRET, "msg_dash_forged").0, 0);
    assert!(
        listener
            .next_line()
            .starts_with("valid standard msg_dash_signed")
    );
    assert!(listener.next_line().starts_with("invalid "));

    assert_eq!(get(&listener.url, "/_webhooks/").0, 401);
    let wrong = "Authorization: Bearer another-token\r\n";
    assert_eq!(get_with(&listener.url, "/_webhooks/", wrong).0, 401);
    let bearer = "Authorization: Bearer a-dashboard-token\r\n";
    let (status, page) = get_with(&listener.url, "/_webhooks/", bearer);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("msg_dash_signed"), "{page}");
    // A forgery's id is not shown: nothing of an unauthenticated delivery is trusted.
    assert!(!page.contains("msg_dash_forged"), "{page}");
    assert!(page.contains("<li id=accepted>1 accepted"), "{page}");
    assert!(page.contains("refused (signature)"), "{page}");
    // Other paths are still the receiver's: an unsigned GET is refused as before, not a page.
    let (status, answer) = get(&listener.url, "/webhooks");
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains(r#"{"error":"#), "{answer}");
}

#[test]
fn the_dashboard_without_a_token_is_served_on_loopback_only() {
    let listener = Listener::start(&[
        "--secret",
        SECRET,
        "--dashboard",
        "--dashboard-without-token",
    ]);
    let (status, page) = get(&listener.url, "/_webhooks/");
    assert_eq!(status, 200, "{page}");

    let refused = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_webhook"))
            .args(["listen", "--port", "0", "--secret", SECRET])
            .args(args)
            .env_remove("DASHBOARD_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("webhook listen runs");
        let stderr = String::from_utf8(output.stderr).expect("UTF-8");
        (output.status.code(), stderr)
    };
    let (code, stderr) = refused(&["--dashboard"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--dashboard-token"), "{stderr}");
    let (code, stderr) = refused(&[
        "--dashboard",
        "--dashboard-without-token",
        "--bind",
        "0.0.0.0",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
    let (code, stderr) = refused(&["--dashboard", "--dashboard-token", " "]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
}
