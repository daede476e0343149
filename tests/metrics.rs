//! `GET /metrics` of every receiver example, scraped after real deliveries: each answer is
//! counted once, under its outcome, and a queue example's worker reports its work (the table is
//! in `webhook_verify::metrics`).
mod support;

use support::*;

/// The value of the sample `name{labels}` in a Prometheus text page (`0` when absent).
fn sample(page: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            series.split('{').next() == Some(name)
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.parse::<f64>().expect("a number"))
        .sum()
}

fn deliveries(page: &str, outcome: &str, reason: &str) -> f64 {
    let labels = [
        ("endpoint", "default"),
        ("scheme", "hmac-sha256"),
        ("outcome", outcome),
        ("reason", reason),
    ];
    sample(page, "webhook_deliveries_total", &labels)
}

async fn counts_every_outcome(name: &str) -> (ExampleProcess, String) {
    let example = ExampleProcess::start(name, &[]);
    let client = client();
    let body = notification("user.created", &format!("user_metrics_{name}"));
    let other = notification("user.created", &format!("user_metrics_other_{name}"));
    let first = post(&client, example.url(), &sign(&body), &body).await;
    assert!((200..300).contains(&first.status), "{}", first.status);
    let again = post(&client, example.url(), &sign(&body), &body).await;
    assert_eq!(again.status, 200);
    let forged = post(
        &client,
        example.url(),
        &sign_with("not-the-secret", &other),
        &other,
    )
    .await;
    assert_eq!(forged.status, 401);
    let tampered = post(&client, example.url(), &sign(&body), &other).await;
    assert_eq!(tampered.status, 401);

    let metrics_url = example.url().replace("/webhooks", "/metrics");
    let page = client.get(&metrics_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert_eq!(deliveries(&page, "accepted", ""), 1.0, "{name}:\n{page}");
    assert_eq!(deliveries(&page, "duplicate", ""), 1.0, "{name}:\n{page}");
    assert_eq!(
        deliveries(&page, "refused", "signature"),
        2.0,
        "{name}:\n{page}"
    );
    assert_eq!(deliveries(&page, "failed", ""), 0.0, "{name}:\n{page}");
    let labels = [("endpoint", "default"), ("scheme", "hmac-sha256")];
    for histogram in [
        "webhook_verify_seconds_count",
        "webhook_handler_seconds_count",
        "webhook_body_bytes_count",
    ] {
        assert_eq!(
            sample(&page, histogram, &labels),
            2.0,
            "{name} {histogram}:\n{page}"
        );
    }
    // No request-controlled text becomes a label: no event id, no path.
    assert!(!page.contains("user_metrics"), "{page}");
    (example, metrics_url)
}

/// A queue example's worker reports the one event it processed, and the queue's depth.
async fn reports_the_queue(name: &str) {
    let (_example, metrics_url) = counts_every_outcome(name).await;
    let client = client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let page = client.get(&metrics_url).send().await.unwrap();
        let page = page.text().await.unwrap();
        let succeeded = sample(
            &page,
            "webhook_queue_attempts_total",
            &[("result", "succeeded")],
        );
        let pending = sample(&page, "webhook_queue_entries", &[("state", "pending")]);
        let sampled = page.contains("webhook_queue_entries{");
        if succeeded == 1.0 && sampled && pending == 0.0 {
            assert_eq!(
                sample(
                    &page,
                    "webhook_queue_attempts_total",
                    &[("result", "failed")]
                ),
                0.0
            );
            assert_eq!(sample(&page, "webhook_queue_dead_letters_total", &[]), 0.0);
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: no queue metrics:\n{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn axum_receiver_counts_every_outcome() {
    counts_every_outcome("axum_receiver").await;
}

#[tokio::test]
async fn actix_receiver_counts_every_outcome() {
    counts_every_outcome("actix_receiver").await;
}

#[tokio::test]
async fn axum_queue_receiver_counts_every_outcome() {
    reports_the_queue("axum_queue_receiver").await;
}

#[tokio::test]
async fn actix_queue_receiver_counts_every_outcome() {
    reports_the_queue("actix_queue_receiver").await;
}
