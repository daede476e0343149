//! Exactly once across frameworks (issue 6): an axum receiver (`IdempotencyLayer`) and an
//! actix-web receiver (`Idempotency`, on its own thread and actix system) sharing one real
//! `redis-server` through a `RedisStore` each, called over the socket with a pooled `reqwest`
//! client, as a sender's retries and duplicates would arrive.
mod support;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use axum::Extension;
use axum::http::StatusCode;
use futures_util::{StreamExt as _, stream};
use support::*;
use webhook_idempotency::{FailMode, IdempotencyGuard, IdempotencyKey, RedisStore};

const STORE_DOWN: &str = r#"{"error":"idempotency store unavailable; retry later"}"#;

/// What the receivers' handler did, summed over both receivers.
#[derive(Default)]
struct Tally {
    /// Runs of the handler, failed ones included.
    attempts: AtomicUsize,
    /// Runs that answered 200, per idempotency key.
    successes: Mutex<HashMap<String, usize>>,
    /// The first run answers 500.
    fail_first: bool,
    /// How long each run takes.
    delay: Duration,
}

impl Tally {
    fn new(fail_first: bool, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            fail_first,
            delay,
            ..Self::default()
        })
    }

    /// One run of the handler for `key`: the status it answers.
    async fn run(&self, key: &str) -> u16 {
        tokio::time::sleep(self.delay).await;
        let attempt = self.attempts.fetch_add(1, SeqCst) + 1;
        if self.fail_first && attempt == 1 {
            return 500;
        }
        *self
            .successes
            .lock()
            .unwrap()
            .entry(key.to_owned())
            .or_default() += 1;
        200
    }

    fn attempts(&self) -> usize {
        self.attempts.load(SeqCst)
    }

    fn successes(&self) -> usize {
        self.successes.lock().unwrap().values().sum()
    }

    fn successes_of(&self, key: &str) -> usize {
        self.successes
            .lock()
            .unwrap()
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

fn body_of(status: u16) -> &'static str {
    if status == 200 { "processed" } else { "failed" }
}

/// A guard on a fresh `RedisStore` connection; both receivers use the same prefix and
/// endpoint, so they share keys.
async fn redis_guard(redis: &RedisServer, mode: FailMode) -> IdempotencyGuard {
    let store = RedisStore::builder()
        .command_timeout(Duration::from_millis(500))
        .connect(&redis.url())
        .await
        .unwrap();
    IdempotencyGuard::builder()
        .store(store)
        .prefix("e2e")
        .endpoint("orders")
        .fail_mode(mode)
        .build()
}

/// One axum and one actix receiver, each with its own guard on `redis`, both running `tally`.
async fn receivers(redis: &RedisServer, mode: FailMode, tally: &Arc<Tally>) -> [Receiver; 2] {
    let axum_tally = tally.clone();
    let axum_handler = move |Extension(key): Extension<IdempotencyKey>| {
        let tally = axum_tally.clone();
        async move {
            let status = tally.run(key.as_str()).await;
            (StatusCode::from_u16(status).unwrap(), body_of(status))
        }
    };
    let app = webhook_axum::idempotency::router(
        "/webhooks",
        verifier(),
        redis_guard(redis, mode).await,
        axum_handler,
    );
    let axum_url = axum_receiver(app).await;

    let actix_guard = redis_guard(redis, mode).await;
    let actix_tally = tally.clone();
    let actix_handler = move |key: web::ReqData<IdempotencyKey>| {
        let tally = actix_tally.clone();
        async move {
            let status = tally.run(key.as_str()).await;
            let code = actix_web::http::StatusCode::from_u16(status).unwrap();
            HttpResponse::build(code).body(body_of(status))
        }
    };
    let actix = ActixReceiver::start(move |config| {
        config.service(webhook_actix::idempotency::resource(
            "/webhooks",
            verifier(),
            actix_guard.clone(),
            actix_handler.clone(),
        ));
    });
    [
        Receiver {
            name: "axum",
            url: axum_url,
            _actix: None,
        },
        Receiver {
            name: "actix",
            url: actix.url(),
            _actix: Some(actix),
        },
    ]
}

struct Receiver {
    name: &'static str,
    url: String,
    _actix: Option<ActixReceiver>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_delivered_1000_times_at_once_to_axum_and_actix_sharing_redis_runs_once() {
    let redis = RedisServer::start();
    let tally = Tally::new(false, Duration::from_secs(1));
    let receivers = receivers(&redis, FailMode::Closed, &tally).await;
    let body = event("evt_exactly_once", "order.completed");
    let headers = sign(&body);
    let client = client();

    let answers: Vec<Answer> = stream::iter(0..1000)
        .map(|i| post(&client, &receivers[i % 2].url, &headers, &body))
        .buffer_unordered(200)
        .collect()
        .await;

    let (mut processed, mut duplicate, mut in_flight, mut other) = (0, 0, 0, Vec::new());
    for answer in answers {
        match (
            answer.status,
            answer.body.as_str(),
            answer.retry_after.as_deref(),
        ) {
            (200, "processed", None) => processed += 1,
            (200, DUPLICATE, None) => duplicate += 1,
            (409, _, Some("5")) => in_flight += 1,
            _ => other.push(answer),
        }
    }
    eprintln!(
        "1,000 deliveries: {processed} processed, {duplicate} duplicate (200), {in_flight} in flight (409)"
    );
    assert!(other.is_empty(), "answers other than 200/409: {other:?}");
    assert_eq!(processed, 1);
    assert_eq!(processed + duplicate + in_flight, 1000);
    // The handler takes 1 s: deliveries arriving meanwhile found the event in flight.
    assert!(in_flight > 0, "no delivery overlapped the first one");
    assert_eq!((tally.attempts(), tally.successes()), (1, 1));
    // Afterwards both receivers answer the event as a duplicate.
    for receiver in &receivers {
        let answer = post(&client, &receiver.url, &headers, &body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, DUPLICATE),
            "{}",
            receiver.name
        );
    }
    assert_eq!(tally.attempts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_failing_the_first_time_answers_500_and_the_senders_retry_runs_it_once_more() {
    let redis = RedisServer::start();
    let tally = Tally::new(true, Duration::ZERO);
    let [axum, actix] = receivers(&redis, FailMode::Closed, &tally).await;
    let body = event("evt_fails_first", "payment.succeeded");
    let headers = sign(&body);
    let client = client();

    let first = post(&client, &axum.url, &headers, &body).await;
    assert_eq!((first.status, first.body.as_str()), (500, "failed"));
    // The claim was released before the 500 went out: the retry (on the other receiver) runs.
    let retry = post(&client, &actix.url, &headers, &body).await;
    assert_eq!((retry.status, retry.body.as_str()), (200, "processed"));
    for receiver in [&axum, &actix] {
        let again = post(&client, &receiver.url, &headers, &body).await;
        assert_eq!(
            (again.status, again.body.as_str()),
            (200, DUPLICATE),
            "{}",
            receiver.name
        );
    }
    assert_eq!(tally.attempts(), 2);
    assert_eq!(tally.successes_of("evt_fails_first"), 1);
    assert_eq!(tally.successes(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_load_answers_503_with_retry_after_runs_no_event_twice_and_both_recover() {
    const EVENTS: usize = 400;
    const STOP_AFTER: usize = 100;
    const CONCURRENCY: usize = 50;
    let mut redis = RedisServer::start();
    let tally = Tally::new(false, Duration::ZERO);
    let receivers = receivers(&redis, FailMode::Closed, &tally).await;
    let events: Vec<(String, Vec<u8>)> = (0..EVENTS)
        .map(|i| {
            let id = format!("evt_load_{i:04}");
            let body = event(&id, "order.created");
            (id, body)
        })
        .collect();
    let signed: Vec<_> = events.iter().map(|(_, body)| sign(body)).collect();
    let client = client();
    let deliver = |i: usize| {
        let (client, url) = (&client, &receivers[i % 2].url);
        let (body, headers) = (&events[i].1, &signed[i]);
        async move { (i, post(client, url, headers, body).await) }
    };

    // The load: Redis is SIGKILLed once STOP_AFTER answers are in.
    let mut unanswered = Vec::new(); // events to retry: answered other than 2xx
    let (mut ok, mut unavailable) = (0, 0);
    let mut answers = stream::iter(0..EVENTS)
        .map(deliver)
        .buffer_unordered(CONCURRENCY);
    let mut answered = 0;
    while let Some((i, answer)) = answers.next().await {
        answered += 1;
        if answered == STOP_AFTER {
            redis.stop();
        }
        match (
            answer.status,
            answer.body.as_str(),
            answer.retry_after.as_deref(),
        ) {
            (200, "processed", None) => ok += 1,
            (503, STORE_DOWN, Some("5")) => {
                unavailable += 1;
                unanswered.push(i);
            }
            _ => panic!("event {i}: unexpected answer {answer:?}"),
        }
    }
    drop(answers);
    eprintln!("before the restart: {ok} processed, {unavailable} answered 503");
    // Everything not yet sent when Redis died was refused: fail-closed.
    assert!(ok >= STOP_AFTER, "{ok} processed");
    assert!(
        unavailable >= EVENTS - STOP_AFTER - CONCURRENCY,
        "only {unavailable} answered 503"
    );
    assert_eq!(tally.successes(), ok);
    // While Redis is down, both receivers keep refusing.
    let (probe_id, probe) = ("evt_probe".to_owned(), event("evt_probe", "order.created"));
    for receiver in &receivers {
        let answer = post(&client, &receiver.url, &sign(&probe), &probe).await;
        assert_eq!(
            (
                answer.status,
                answer.body.as_str(),
                answer.retry_after.as_deref()
            ),
            (503, STORE_DOWN, Some("5")),
            "{}",
            receiver.name
        );
    }

    // Redis comes back (empty). The same receivers reconnect; the sender retries what was
    // refused until it is accepted.
    redis.restart();
    let mut recovered = [false, false];
    let deadline = Instant::now() + Duration::from_secs(60);
    while !unanswered.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} events still refused 60 s after the restart",
            unanswered.len()
        );
        let retried: Vec<_> = stream::iter(unanswered.clone())
            .map(deliver)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        unanswered.clear();
        for (i, answer) in retried {
            match (answer.status, answer.body.as_str()) {
                (200, "processed") => recovered[i % 2] = true,
                // Refused while the store reconnects: the sender retries later.
                (503, STORE_DOWN) | (409, _) => unanswered.push(i),
                _ => panic!("event {i} after the restart: unexpected answer {answer:?}"),
            }
        }
        if !unanswered.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(recovered, [true, true], "both receivers recover");
    for (id, _) in &events {
        assert_eq!(tally.successes_of(id), 1, "{id}");
    }
    assert_eq!(tally.successes(), EVENTS);
    assert_eq!(tally.successes_of(&probe_id), 0);
}

/// A `tracing` writer that keeps what it is given.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines_with(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|line| line.contains(needle))
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_open_runs_the_handler_on_both_receivers_while_redis_is_down_and_logs_a_warning() {
    // The only subscriber of this test binary: the receivers log on their own threads.
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();
    let mut redis = RedisServer::start();
    let tally = Tally::new(false, Duration::ZERO);
    let receivers = receivers(&redis, FailMode::Open, &tally).await;
    let body = event("evt_fail_open", "order.created");
    let headers = sign(&body);
    let client = client();

    redis.stop();
    for receiver in &receivers {
        let answer = post(&client, &receiver.url, &headers, &body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "processed"),
            "{}",
            receiver.name
        );
    }
    // At-least-once while the store is down: each receiver ran it.
    assert_eq!(tally.successes_of("evt_fail_open"), 2);
    let warnings = logs.lines_with("fail-open");
    assert!(
        warnings >= 2 && logs.lines_with("evt_fail_open") >= 2,
        "expected a fail-open warning per receiver, got:\n{}",
        String::from_utf8_lossy(&logs.0.lock().unwrap())
    );
}
