//! Load target for `scripts/bench-axum.sh`: the same 1 KiB `POST /webhooks` endpoint with and
//! without [`VerifyWebhookLayer`], on a single-threaded runtime so that one pinned core serves it.
//!
//! ```sh
//! axum_bench_server serve plain|layer|handler|outer|identity|extractor|manual PORT  # serve until killed
//! axum_bench_server request BODY_FILE               # write the 1 KiB body, print its signature
//! axum_bench_server measure-verify [N]              # CPU ns per Verifier::verify of it (N = 1e6)
//! axum_bench_server measure-router N [MODE...]      # ns per request in process, no network,
//!                                                   # and per verify, 30 interleaved batches
//! axum_bench_server count MODE|verify N             # N requests (or verifies), untimed: run it
//!                                                   # under `valgrind --tool=callgrind` and
//!                                                   # compare instruction counts per request
//! ```

use std::hint::black_box;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::handler::Handler;
use axum::routing::post;
use http::{HeaderMap, HeaderName, HeaderValue};
use tower_layer::Layer;
use webhook_axum::{VerifyWebhook, VerifyWebhookLayer, Webhook};
use webhook_verify::{Scheme, Signer, Verifier};

const SECRET: &str = "bench-secret";
const BODY_LEN: usize = 1024;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["serve", mode, port] => serve(mode, port.parse()?),
        ["request", path] => {
            std::fs::write(path, body())?;
            println!("{}", signature()?);
            Ok(())
        }
        ["measure-verify"] => measure_verify(1_000_000),
        ["measure-verify", n] => measure_verify(n.parse()?),
        ["measure-router", n] => measure_router(n.parse()?, &["plain", "manual", "layer"]),
        ["measure-router", n, modes @ ..] => measure_router(n.parse()?, modes),
        ["count", mode, n] => count(mode, n.parse()?),
        _ => Err(
            "usage: axum_bench_server serve plain|layer|handler|outer|identity|extractor|manual PORT | request BODY_FILE | measure-verify [N]"
                .into(),
        ),
    }
}

/// A 1 KiB event in the seed documents' `{id, type, created_at, data: {object}}` envelope.
fn body() -> Vec<u8> {
    let head = r#"{"id":"evt_bench","type":"resource.created","created_at":"2025-02-18T10:30:00Z","data":{"object":{"pad":""#;
    let tail = r#""}},"previous_data":null}"#;
    let mut body = head.as_bytes().to_vec();
    body.resize(BODY_LEN - tail.len(), b'x');
    body.extend_from_slice(tail.as_bytes());
    body
}

fn signature() -> Result<String, Error> {
    let headers = Signer::new(Scheme::hmac_sha256(), SECRET)?.sign("", 0, &body())?;
    Ok(headers.into_iter().next().ok_or("no signature header")?.1)
}

/// The endpoint, under one of these modes:
/// - `plain`: no verification;
/// - `layer`: `Router::layer(VerifyWebhookLayer)`, the usual way;
/// - `handler`: `post(handler.layer(VerifyWebhookLayer))`, on the one handler;
/// - `outer`: the [`VerifyWebhookLayer`] wrapped around the whole `Router` (a bare tower service);
/// - `identity`: `Router::layer` of a layer that does nothing, i.e. what axum charges for any
///   layer on a route (it boxes the layered service's clone and its future per request);
/// - `extractor`: the handler takes [`Webhook<Bytes>`](webhook_axum::Webhook), no layer;
/// - `manual`: the handler calls `Verifier::verify` itself (the least verification can cost in
///   situ).
fn app(mode: &str) -> Result<App, Error> {
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    let router = Router::new().route("/webhooks", post(echo_length));
    Ok(match mode {
        "plain" => App::Router(router),
        "layer" => App::Router(router.layer(VerifyWebhookLayer::new(verifier))),
        "handler" => App::Router(Router::new().route(
            "/webhooks",
            post(echo_length.layer(VerifyWebhookLayer::new(verifier))),
        )),
        "outer" => App::Outer(VerifyWebhookLayer::new(verifier).layer(router.with_state(()))),
        "identity" => App::Router(router.layer(tower::layer::layer_fn(|route| route))),
        "extractor" => App::Router(
            Router::new()
                .route(
                    "/webhooks",
                    post(
                        |webhook: Webhook<Bytes>| async move { webhook.payload.len().to_string() },
                    ),
                )
                .with_state(verifier),
        ),
        "manual" => App::Router(Router::new().route(
            "/webhooks",
            post(move |request: axum::extract::Request| async move {
                let (parts, body) = request.into_parts();
                let limit = verifier.body_limit();
                let Ok(body) = axum::body::to_bytes(body, limit).await else {
                    return Err(http::StatusCode::BAD_REQUEST);
                };
                match verifier.verify(&parts.headers, &body) {
                    Ok(_) => Ok(body.len().to_string()),
                    Err(_) => Err(http::StatusCode::UNAUTHORIZED),
                }
            }),
        )),
        _ => return Err(format!("unknown mode {mode}").into()),
    })
}

/// `POST /webhooks` with the body and its signature, as wrk sends it.
fn signed_request(body: &Bytes, signature: &str) -> http::Result<axum::extract::Request> {
    http::Request::post("/webhooks")
        .header("content-type", "application/json")
        .header("x-webhook-signature", signature)
        .body(axum::body::Body::from(body.clone()))
}

/// The handler of every mode but `manual`.
async fn echo_length(body: Bytes) -> String {
    body.len().to_string()
}

/// A benchmarked app: a `Router`, or the verify layer around one.
#[derive(Clone)]
enum App {
    Router(Router),
    Outer(VerifyWebhook<Router>),
}

impl App {
    /// Turns handlers into routes once, as `axum::serve` does.
    fn ready(self) -> Self {
        match self {
            Self::Router(router) => Self::Router(router.with_state(())),
            outer => outer,
        }
    }

    /// One request through the app, as `oneshot` on a fresh clone (what hyper does per request).
    async fn call(&self, request: axum::extract::Request) -> axum::response::Response {
        use tower::ServiceExt;
        let response = match self {
            Self::Router(router) => router.clone().oneshot(request).await,
            Self::Outer(service) => service.clone().oneshot(request).await,
        };
        match response {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// In-process, no network, all in one process on the same body: `BATCHES` interleaved batches of
/// `n / BATCHES` requests through each router and of `Verifier::verify` calls on the same bytes
/// and headers (the verify batch runs right after the routers', so it is as warm as they are).
/// Prints, per mode and for `verify`, the fastest batch and the median batch in ns per call.
fn measure_router(n: u32, modes: &[&str]) -> Result<(), Error> {
    const BATCHES: usize = 30;
    let per_batch = (n as usize / BATCHES).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let body = Bytes::from(body());
    let signature = signature()?;
    let request = || signed_request(&body, &signature);
    let apps = modes
        .iter()
        .map(|&mode| Ok((mode, app(mode)?.ready())))
        .collect::<Result<Vec<(&str, App)>, Error>>()?;
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    let headers = request()?.into_parts().0.headers;
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(BATCHES); apps.len() + 1];
    // One untimed round to warm up, then the timed ones.
    for batch in 0..=BATCHES {
        for (i, (_, app)) in apps.iter().enumerate() {
            let start = Instant::now();
            runtime.block_on(async {
                for _ in 0..per_batch {
                    let response = app.call(request()?).await;
                    assert_eq!(response.status(), 200);
                }
                Ok::<_, Error>(())
            })?;
            if batch > 0 {
                times[i].push(start.elapsed().as_secs_f64() * 1e9 / per_batch as f64);
            }
        }
        let start = Instant::now();
        for _ in 0..per_batch {
            assert!(black_box(
                verifier
                    .verify(black_box(&headers), black_box(&body))
                    .is_ok()
            ));
        }
        if batch > 0 {
            times[apps.len()].push(start.elapsed().as_secs_f64() * 1e9 / per_batch as f64);
        }
    }
    let names = apps.iter().map(|(mode, _)| *mode).chain(["verify"]);
    for (name, mut batches) in names.zip(times) {
        batches.sort_by(f64::total_cmp);
        println!(
            "{name} fastest_ns={:.1} median_ns={:.1}",
            batches[0],
            batches[batches.len() / 2]
        );
    }
    Ok(())
}

/// `n` requests through the router of `mode`, or `n` verifications when `mode` is `verify`, with
/// nothing timed: instruction counts under callgrind are repeatable on a shared machine.
fn count(mode: &str, n: u32) -> Result<(), Error> {
    let body = Bytes::from(body());
    let signature = signature()?;
    let request = || signed_request(&body, &signature);
    if mode == "verify" {
        let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
        let headers = request()?.into_parts().0.headers;
        for _ in 0..n {
            assert!(black_box(
                verifier
                    .verify(black_box(&headers), black_box(&body))
                    .is_ok()
            ));
        }
        return Ok(());
    }
    let app = app(mode)?.ready();
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        for _ in 0..n {
            let response = app.call(request()?).await;
            assert_eq!(response.status(), 200);
        }
        Ok(())
    })
}

fn serve(mode: &str, port: u16) -> Result<(), Error> {
    let app = app(mode)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        match app {
            App::Router(router) => axum::serve(listener, router).await?,
            App::Outer(service) => {
                let make = axum::ServiceExt::<axum::extract::Request>::into_make_service(service);
                axum::serve(listener, make).await?;
            }
        }
        Ok(())
    })
}

/// Times `n` verifications of the 1 KiB body, with the headers in an `http::HeaderMap` as the
/// layer sees them; prints CPU and wall nanoseconds per verify.
fn measure_verify(n: u32) -> Result<(), Error> {
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    let body = body();
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-webhook-signature"),
        HeaderValue::from_str(&signature()?)?,
    );
    headers.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    for _ in 0..n / 10 {
        black_box(
            verifier
                .verify(black_box(&headers), black_box(&body))
                .is_ok(),
        );
    }
    let (cpu, wall) = (cpu_seconds()?, Instant::now());
    for _ in 0..n {
        assert!(black_box(
            verifier
                .verify(black_box(&headers), black_box(&body))
                .is_ok()
        ));
    }
    let cpu = cpu_seconds()? - cpu;
    let wall = wall.elapsed().as_secs_f64();
    println!(
        "verify_cpu_ns={:.1} verify_wall_ns={:.1}",
        cpu * 1e9 / f64::from(n),
        wall * 1e9 / f64::from(n)
    );
    Ok(())
}

/// utime + stime of this process from `/proc/self/stat`, in seconds (`CLK_TCK` from the
/// environment, default 100).
fn cpu_seconds() -> Result<f64, Error> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("bad /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    let hz: f64 = std::env::var("CLK_TCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100.0);
    Ok(ticks as f64 / hz)
}
