//! The `axum_receiver` and `actix_receiver` examples as processes, as a user runs them: a free
//! port (`PORT=0`), `WEBHOOK_SECRET`, signed deliveries over the socket, and their stdout read
//! line by line. With `REDIS_URL` both share a testkit `redis-server`.
//!
//! "No new line" is checked without sleeping: after the delivery that must print nothing, a
//! second, different event is sent and its line awaited. A process's stdout arrives in order,
//! so any line printed before it has been read by then.
mod support;

use std::time::Duration;

use futures_util::{StreamExt as _, stream};
use support::*;

const PRINT_TIMEOUT: Duration = Duration::from_secs(30);

/// `processed <key> <type>`: what the examples print once per event.
fn processed_line(body: &[u8], event_type: &str) -> String {
    format!("processed {} {event_type}", body_key(body))
}

/// Sends a fresh signed event to `example` and waits for its line: every line the example
/// printed before is then in `example.lines()`.
async fn sync_stdout(client: &reqwest::Client, example: &ExampleProcess, tag: &str) {
    let body = notification("user.updated", &format!("user_sentinel_{tag}"));
    let answer = post(client, example.url(), &sign(&body), &body).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    example
        .wait_for_line(&processed_line(&body, "user.updated"), PRINT_TIMEOUT)
        .await;
}

async fn prints_each_event_once_and_nothing_for_a_duplicate_or_a_forgery(name: &str) {
    let example = ExampleProcess::start(name, &[]);
    let client = client();
    let body = notification("user.created", &format!("user_{name}"));
    let headers = sign(&body);
    let line = processed_line(&body, "user.created");

    let first = post(&client, example.url(), &headers, &body).await;
    assert_eq!((first.status, first.body.as_str()), (200, "ok"));
    example.wait_for_line(&line, PRINT_TIMEOUT).await;

    // The sender's duplicate: the very same request.
    let again = post(&client, example.url(), &headers, &body).await;
    assert_eq!((again.status, again.body.as_str()), (200, DUPLICATE));

    // A forged delivery: another body, signed with a secret that is not the receiver's.
    let forged_body = notification("user.deleted", &format!("user_{name}"));
    let forged = post(
        &client,
        example.url(),
        &sign_with("not-the-secret", &forged_body),
        &forged_body,
    )
    .await;
    assert_eq!(forged.status, 401, "{forged:?}");
    // The genuine body under the real signature of another body: refused too.
    let tampered = post(&client, example.url(), &headers, &forged_body).await;
    assert_eq!(tampered.status, 401, "{tampered:?}");

    sync_stdout(&client, &example, name).await;
    let lines = example.lines();
    let processed: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("processed "))
        .collect();
    assert_eq!(
        processed.iter().filter(|l| ***l == line).count(),
        1,
        "{lines:?}"
    );
    assert_eq!(
        processed.len(),
        2,
        "the event and the sentinel only: {lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains(&body_key(&forged_body))),
        "a refused delivery was processed: {lines:?}"
    );
}

#[tokio::test]
async fn axum_receiver_example_prints_each_event_once_and_nothing_for_a_duplicate_or_a_forgery() {
    prints_each_event_once_and_nothing_for_a_duplicate_or_a_forgery("axum_receiver").await;
}

#[tokio::test]
async fn actix_receiver_example_prints_each_event_once_and_nothing_for_a_duplicate_or_a_forgery() {
    prints_each_event_once_and_nothing_for_a_duplicate_or_a_forgery("actix_receiver").await;
}

#[tokio::test]
async fn one_event_sent_to_both_examples_sharing_redis_is_processed_once_in_total() {
    let redis = RedisServer::start();
    let url = redis.url();
    let examples = [
        ExampleProcess::start("axum_receiver", &[("REDIS_URL", &url)]),
        ExampleProcess::start("actix_receiver", &[("REDIS_URL", &url)]),
    ];
    let client = client();
    let body = notification("user.created", "user_shared");
    let headers = sign(&body);
    let line = processed_line(&body, "user.created");

    // Twenty deliveries of the one event at once, alternating between the two processes.
    let answers: Vec<Answer> = stream::iter(0..20)
        .map(|i| post(&client, examples[i % 2].url(), &headers, &body))
        .buffer_unordered(20)
        .collect()
        .await;
    let mut ran = 0;
    for answer in &answers {
        match (answer.status, answer.body.as_str()) {
            (200, "ok") => ran += 1,
            (200, DUPLICATE) | (409, _) => {}
            _ => panic!("unexpected answer {answer:?}"),
        }
    }
    assert_eq!(ran, 1, "{answers:?}");
    // Once the first delivery is done, both answer the duplicate.
    for example in &examples {
        let again = post(&client, example.url(), &headers, &body).await;
        assert_eq!((again.status, again.body.as_str()), (200, DUPLICATE));
    }

    for (i, example) in examples.iter().enumerate() {
        sync_stdout(&client, example, &format!("shared_{i}")).await;
    }
    let printed: usize = examples.iter().map(|e| e.count_lines(|l| l == line)).sum();
    assert_eq!(
        printed,
        1,
        "axum printed {:?}, actix printed {:?}",
        examples[0].lines(),
        examples[1].lines()
    );
}

/// `DASHBOARD_TOKEN` set: each example serves the dashboard at `/_webhooks/`, `401` without the
/// token, and with it shows what the example answered (and its queue, for the queued ones).
#[tokio::test]
async fn every_example_serves_the_dashboard_with_dashboard_token() {
    const TOKEN: &str = "example-dashboard-token";
    let client = client();
    for name in [
        "axum_receiver",
        "actix_receiver",
        "axum_queue_receiver",
        "actix_queue_receiver",
    ] {
        let example = ExampleProcess::start(name, &[("DASHBOARD_TOKEN", TOKEN)]);
        let body = event(&format!("evt_dashboard_{name}"), "user.created");
        let answer = post(&client, example.url(), &sign(&body), &body).await;
        assert!(answer.status < 300, "{name}: {answer:?}");
        let forged = [(
            "x-webhook-signature".to_owned(),
            format!("sha256={}", "0".repeat(64)),
        )];
        assert_eq!(
            post(&client, example.url(), &forged, &body).await.status,
            401
        );
        let page = example.url().replace("/webhooks", "/_webhooks/");
        let anonymous = client.get(&page).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{name}");
        let shown = client
            .get(&page)
            .basic_auth("me", Some(TOKEN))
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 200, "{name}");
        let html = shown.text().await.unwrap();
        assert!(
            html.contains("<li id=accepted>1 accepted"),
            "{name}: {html}"
        );
        assert!(html.contains("<li id=refused>1 refused"), "{name}: {html}");
        assert_eq!(
            html.contains("<li id=pending>"),
            name.contains("queue"),
            "{name}: {html}"
        );
    }
}

/// Without `DASHBOARD_TOKEN` there is no dashboard; an empty one stops the example (exit 2).
#[tokio::test]
async fn no_dashboard_without_dashboard_token_and_an_empty_one_is_refused() {
    let example = ExampleProcess::start("axum_receiver", &[]);
    let page = example.url().replace("/webhooks", "/_webhooks/");
    assert_eq!(client().get(&page).send().await.unwrap().status(), 404);
    let status = std::process::Command::new(example_path("actix_receiver"))
        .env("DASHBOARD_TOKEN", " ")
        .env("PORT", "0")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&status.stderr).contains("DASHBOARD_TOKEN is empty"));
}
