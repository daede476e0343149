//! The dashboard (issue 15) in a real headless Chromium, driven through WebDriver
//! (`chromedriver`, Debian's `chromium-driver`; `scripts/test.sh` installs it when missing).
//! Signed, duplicate and forged deliveries go to an axum receiver; the browser logs in with the
//! token (HTTP Basic), reads the counts, the rows and a refusal's reason, sees a `<script>`
//! payload rendered as text, and replays a dead letter that is then processed. Screenshots go
//! to `target/tmp/screenshots/`.
mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use support::*;
use webhook_dashboard::{Dashboard, DeliveryLog};

const TOKEN: &str = "browser-dashboard-token";
const SCRIPT_TITLE: &str = "pwned";

/// `chromedriver` on a free port, killed when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Self {
        let driver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            std::path::Path::new(&driver).is_file(),
            "{driver} is missing: install Debian's chromium and chromium-driver (scripts/test.sh does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {driver}: {err}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }

    async fn browser(&self) -> Client {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let options = serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1600"],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session in headless Chromium")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn screenshot(browser: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn text(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_chromium_shows_deliveries_escaped_and_replays_a_dead_letter() {
    let driver = ChromeDriver::start();
    let log = DeliveryLog::new(100);
    let verifier = recording_verifier(&log);
    let dead = DeadLetterQueue::start().await;
    let dashboard = Dashboard::new(log, TOKEN)
        .unwrap()
        .queue(dead.queue.clone());
    let hook = axum_receiver(receiver_app(verifier, dashboard)).await;

    let client = client();
    let order = event("evt_order", "order.created");
    let script = format!(
        r#"{{"id":"evt_script","type":"user.created","name":"<script>document.title='{SCRIPT_TITLE}'</script>"}}"#
    );
    assert_eq!(
        post(&client, &hook, &sign(&order), &order).await.status,
        200
    );
    assert_eq!(
        post(&client, &hook, &sign(&order), &order).await.status,
        200
    ); // duplicate
    assert_eq!(
        post(&client, &hook, &sign(script.as_bytes()), script.as_bytes())
            .await
            .status,
        200
    );
    let forged = [(
        "x-webhook-signature".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    assert_eq!(post(&client, &hook, &forged, &order).await.status, 401);

    let browser = driver.browser().await;
    let base = hook
        .replace("http://", &format!("http://anyone:{TOKEN}@"))
        .replace("/webhooks", "/_webhooks/");
    browser.goto(&base).await.unwrap();
    screenshot(&browser, "index").await;
    assert_eq!(browser.title().await.unwrap(), "Webhook deliveries");
    assert_eq!(text(&browser, "#accepted").await, "2 accepted");
    assert_eq!(text(&browser, "#duplicate").await, "1 duplicate");
    assert_eq!(text(&browser, "#refused").await, "1 refused");
    assert_eq!(text(&browser, "#dead").await, "1 dead");
    assert!(text(&browser, "#reasons").await.contains("signature 1"));
    let rows = browser
        .find_all(Locator::Css(
            "#deliveries tr.accepted, #deliveries tr.duplicate, #deliveries tr.refused",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        text(&browser, "#deliveries tr.refused")
            .await
            .contains("refused (signature)")
    );
    assert!(
        browser
            .find(Locator::Css("#chart rect.refused"))
            .await
            .is_ok(),
        "the chart shows the refusal"
    );

    // The `<script>` payload, newest accepted: its page shows it as text and runs nothing.
    browser
        .find(Locator::Css("#deliveries tr.accepted a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    screenshot(&browser, "script-payload").await;
    assert_ne!(browser.title().await.unwrap(), SCRIPT_TITLE);
    assert!(
        text(&browser, "#body")
            .await
            .contains("<script>document.title="),
        "shown as text"
    );
    assert!(
        browser
            .find_all(Locator::Css("script"))
            .await
            .unwrap()
            .is_empty()
    );

    // Replay the dead letter; the handler now succeeds and the letter is processed.
    dead.failing.store(false, Ordering::SeqCst);
    browser.goto(&format!("{base}dead")).await.unwrap();
    assert!(text(&browser, "#dead-letters").await.contains("evt_dead"));
    screenshot(&browser, "dead-letters").await;
    browser
        .find(Locator::Css("#dead-letters button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    dead.wait_until("the replayed letter processed", |c| {
        c.dead == 0 && c.is_drained()
    })
    .await;
    assert_eq!(dead.processed.load(Ordering::SeqCst), 1);
    assert_eq!(text(&browser, "#none").await, "No dead letters.");
    screenshot(&browser, "after-replay").await;
    browser.goto(&base).await.unwrap();
    assert_eq!(text(&browser, "#dead").await, "0 dead");
    browser.close().await.unwrap();
    dead.stop.cancel();
}
