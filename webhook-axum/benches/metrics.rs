//! What an installed metrics recorder costs the verify layer, side by side in one run: the same
//! router (`VerifyWebhookLayer` and a handler answering 200) with no recorder (the `metrics`
//! facade's no-op) and with a `metrics-exporter-prometheus` recorder receiving every metric of
//! the table in `webhook_verify::metrics` (a counter and three histograms per delivery).
//!
//! ```sh
//! cargo bench -p webhook-axum --bench metrics
//! ```
//!
//! For instruction counts (stable on a busy machine), run one variant a fixed number of times
//! under callgrind and compare the totals:
//!
//! ```sh
//! cargo bench -p webhook-axum --bench metrics --no-run   # prints the binary's path
//! valgrind --tool=callgrind target/release/deps/metrics-<hash> count plain 20000
//! valgrind --tool=callgrind target/release/deps/metrics-<hash> count prometheus 20000
//! valgrind --tool=callgrind target/release/deps/metrics-<hash> count requests 20000
//! ```
//!
//! (`requests` only builds and signs them: subtract it from both.)
//!
//! Requests are built and signed outside the timed part; each iteration is one
//! `Router::oneshot` on a current-thread Tokio runtime, no socket, so what is measured is the
//! server's CPU per request. The recorder is installed for the timed closure only
//! (`metrics::with_local_recorder`), so both variants run in the same process.

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use criterion::{BatchSize, Criterion, criterion_group};
use http::Request;
use metrics_exporter_prometheus::PrometheusBuilder;
use tower::ServiceExt;
use webhook_axum::VerifyWebhookLayer;
use webhook_verify::{Scheme, Signer, Verifier};

const SECRET: &str = "bench-secret";

/// A signed 1 KiB `POST /webhooks`.
fn request(signer: &Signer) -> Request<Body> {
    let padding = "x".repeat(1024 - 80);
    let body =
        format!(r#"{{"id":"evt_1","type":"order.completed","data":{{"note":"{padding}"}}}}"#);
    let mut request = Request::post("/webhooks");
    for (name, value) in signer.sign("", 0, body.as_bytes()).unwrap() {
        request = request.header(name, value);
    }
    request.body(Body::from(body)).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let app = || {
        Router::new()
            .route("/webhooks", post(|| async { "processed" }))
            .route_layer(VerifyWebhookLayer::new(
                Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
            ))
    };
    // Two routers: a verifier registers its metric handles with the recorder of its first
    // delivery, so each variant keeps its own.
    let (plain, recorded) = (app(), app());
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let call = |app: &Router, request: Request<Body>| {
        let response = rt.block_on(app.clone().oneshot(request)).unwrap();
        black_box(response.status())
    };
    let call_recorded =
        |request| metrics::with_local_recorder(&recorder, || call(&recorded, request));

    // Both variants answer 200, and the recorder really receives the deliveries.
    assert_eq!(call(&plain, request(&signer)), 200);
    assert_eq!(call_recorded(request(&signer)), 200);
    call(&plain, request(&signer));
    let page = handle.render();
    assert!(
        page.contains("webhook_deliveries_total{endpoint=\"default\",scheme=\"hmac-sha256\",outcome=\"accepted\",reason=\"\"} 1"),
        "{page}"
    );

    let mut group = c.benchmark_group("metrics/1KiB");
    group.bench_function("verify layer, no recorder", |b| {
        b.iter_batched(
            || request(&signer),
            |r| call(&plain, r),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("verify layer, prometheus recorder", |b| {
        b.iter_batched(|| request(&signer), call_recorded, BatchSize::SmallInput)
    });
    group.finish();
}

/// `count plain|prometheus|requests N`: N requests through one variant (or only built), for an
/// instruction count.
fn count(variant: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let signer = Signer::new(Scheme::hmac_sha256(), SECRET).unwrap();
    let app = Router::new()
        .route("/webhooks", post(|| async { "processed" }))
        .route_layer(VerifyWebhookLayer::new(
            Verifier::new(Scheme::hmac_sha256(), SECRET).unwrap(),
        ));
    let recorder = PrometheusBuilder::new().build_recorder();
    let requests: Vec<_> = (0..n).map(|_| request(&signer)).collect();
    if variant == "requests" {
        black_box(requests); // building and signing only: subtract it
        return;
    }
    let run = || {
        for r in requests {
            let response = rt.block_on(app.clone().oneshot(r)).unwrap();
            assert_eq!(response.status(), 200);
        }
    };
    match variant {
        "plain" => run(),
        "prometheus" => metrics::with_local_recorder(&recorder, run),
        other => panic!("unknown variant {other}: plain, prometheus or requests"),
    }
}

criterion_group!(benches, bench);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, variant, n, ..] = args.as_slice()
        && mode == "count"
    {
        count(variant, n.parse().expect("a number of requests"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
