//! Load target for `scripts/bench-actix.sh`: the same 1 KiB `POST /webhooks` endpoint with and
//! without [`VerifyWebhook`], served by one actix-web worker so that one pinned core serves it.
//! Mirrors `webhook-axum`'s `bench_server` (same body, secret and modes).
//!
//! ```sh
//! bench_server serve plain|middleware|handler PORT  # serve until killed ("handler": the
//!                                                  # handler verifies, no middleware)
//! bench_server request BODY_FILE            # write the 1 KiB body, print its X-Webhook-Signature
//! bench_server measure-verify [N]           # CPU ns per Verifier::verify of that body (N = 1e6)
//! bench_server measure-inproc               # no socket: fastest ns per request through
//!                                           # `actix_web::test::call_service`, plain vs middleware,
//!                                           # and per verify, over 30 interleaved batches
//! ```

use std::hint::black_box;
use std::time::Instant;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{App, HttpServer, web};
use webhook_actix::{ActixHeaders, VerifyWebhook};
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
        ["measure-inproc"] => measure_inproc(2_000, 30),
        ["measure-verify"] => measure_verify(1_000_000),
        ["measure-verify", n] => measure_verify(n.parse()?),
        _ => Err(
            "usage: bench_server serve plain|middleware|handler PORT | request BODY_FILE | measure-verify [N] | measure-inproc"
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

/// The handler of both modes: reads the body with `web::Bytes`, answers its length.
async fn receive(body: web::Bytes) -> String {
    body.len().to_string()
}

/// Reference mode `handler`: no middleware, the handler verifies the bytes itself.
async fn receive_and_verify(
    req: actix_web::HttpRequest,
    body: web::Bytes,
    verifier: web::Data<Verifier>,
) -> actix_web::HttpResponse {
    match verifier.verify(&ActixHeaders::new(req.headers()), &body) {
        Ok(_) => actix_web::HttpResponse::Ok().body(body.len().to_string()),
        Err(_) => actix_web::HttpResponse::Unauthorized().finish(),
    }
}

fn serve(mode: &str, port: u16) -> Result<(), Error> {
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    if !matches!(mode, "plain" | "middleware" | "handler") {
        return Err(format!("unknown mode {mode}").into());
    }
    let mode = mode.to_owned();
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let resource = web::resource("/webhooks");
            // The same resource in every mode; `App::service` takes all shapes.
            match mode.as_str() {
                "middleware" => App::new().service(
                    resource
                        .wrap(VerifyWebhook::new(verifier.clone()))
                        .route(web::post().to(receive)),
                ),
                "handler" => App::new()
                    .app_data(web::Data::new(verifier.clone()))
                    .service(resource.route(web::post().to(receive_and_verify))),
                _ => App::new().service(resource.route(web::post().to(receive))),
            }
        })
        .workers(1)
        .bind(("127.0.0.1", port))?
        .run()
        .await?;
        Ok(())
    })
}

/// Times `n` verifications of the 1 KiB body, with the headers in an actix `HeaderMap` read
/// through [`ActixHeaders`] as the middleware sees them; prints CPU and wall ns per verify.
fn measure_verify(n: u32) -> Result<(), Error> {
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    let body = body();
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("host"),
        HeaderValue::from_static("127.0.0.1:3000"),
    );
    headers.insert(
        HeaderName::from_static("content-length"),
        HeaderValue::from_static("1024"),
    );
    headers.insert(
        HeaderName::from_static("x-webhook-signature"),
        HeaderValue::from_str(&signature()?)?,
    );
    headers.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    let headers = ActixHeaders::new(&headers);
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

/// The same endpoint without a socket: `rounds` interleaved batches of `batch` requests through
/// `actix_web::test::call_service` (requests built outside the timed loop), plain and with the
/// middleware, and `batch` verifications; prints the fastest batch of each, in ns per request.
/// Competing load only adds time, so the fastest batch is the least disturbed.
fn measure_inproc(batch: u32, rounds: u32) -> Result<(), Error> {
    use actix_web::test;

    let signature = signature()?;
    let body = body();
    let verifier = Verifier::new(Scheme::hmac_sha256(), SECRET)?;
    let request = || {
        test::TestRequest::post()
            .uri("/webhooks")
            .insert_header(("content-type", "application/json"))
            .insert_header(("x-webhook-signature", signature.as_str()))
            .set_payload(body.clone())
            .to_request()
    };
    actix_web::rt::System::new().block_on(async {
        let plain = test::init_service(
            App::new().service(web::resource("/webhooks").route(web::post().to(receive))),
        )
        .await;
        let middleware = test::init_service(
            App::new().service(
                web::resource("/webhooks")
                    .wrap(VerifyWebhook::new(verifier.clone()))
                    .route(web::post().to(receive)),
            ),
        )
        .await;
        let headers = test::TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .insert_header(("x-webhook-signature", signature.as_str()))
            .insert_header(("content-length", "1024"))
            .to_http_request();
        let headers = ActixHeaders::new(headers.headers());
        let mut best = [f64::MAX; 3];
        for _ in 0..rounds {
            for (slot, best) in best.iter_mut().enumerate() {
                let requests: Vec<_> = (0..batch).map(|_| request()).collect();
                let start = Instant::now();
                for req in requests {
                    let ok = match slot {
                        0 => test::call_service(&plain, req).await.status().is_success(),
                        1 => test::call_service(&middleware, req)
                            .await
                            .status()
                            .is_success(),
                        _ => verifier
                            .verify(black_box(&headers), black_box(&body))
                            .is_ok(),
                    };
                    assert!(black_box(ok));
                }
                let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(batch);
                *best = best.min(ns);
            }
        }
        println!(
            "inproc_plain_ns={:.0} inproc_middleware_ns={:.0} inproc_verify_ns={:.0}",
            best[0], best[1], best[2]
        );
    });
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
