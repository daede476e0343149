//! Shared helpers of the integration tests: signing, requests, reading answers, capturing logs.
#![allow(dead_code, reason = "each test file uses its own subset")]

use std::io::Write;
use std::sync::Mutex;

use actix_http::BoxedPayloadStream;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, test, web};
use bytes::Bytes;
use futures_util::stream;
use webhook_verify::{Scheme, Verified};

pub const SECRET: &str = "your-webhook-secret";
pub const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const BODY: &[u8] =
    br#"{"event":"user.created","timestamp":"2023-06-20T14:15:30Z","data":{"id":"user_123"}}"#;

pub use webhook_testkit::{now, sign_at};

/// The signature headers of `body` under `scheme` and `secret`, signed now.
pub fn sign(scheme: Scheme, secret: &str, body: &[u8]) -> Vec<(String, String)> {
    sign_at(scheme, secret, now(), body)
}

/// A `POST uri` carrying `body` (with its `Content-Length`) and `headers`.
pub fn post(uri: &str, headers: Vec<(String, String)>, body: &[u8]) -> TestRequest {
    headers.into_iter().fold(
        TestRequest::post()
            .uri(uri)
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_vec()),
        |req, header| req.insert_header(header),
    )
}

/// A `POST uri` whose body arrives as `chunks`, without `Content-Length` (like a chunked body).
pub fn post_streamed(
    uri: &str,
    headers: Vec<(String, String)>,
    chunks: Vec<Result<Bytes, PayloadError>>,
) -> actix_http::Request {
    let req = headers
        .into_iter()
        .fold(
            TestRequest::post()
                .uri(uri)
                .insert_header(("content-type", "application/json")),
            |req, header| req.insert_header(header),
        )
        .to_request();
    let stream: BoxedPayloadStream = Box::pin(stream::iter(chunks));
    req.replace_payload(Payload::from(stream)).0
}

/// `body` cut into chunks of `size` bytes, each an `Ok`.
pub fn chunks_of(body: &[u8], size: usize) -> Vec<Result<Bytes, PayloadError>> {
    body.chunks(size)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect()
}

/// Status and body of a response.
pub async fn answer<B: MessageBody>(res: ServiceResponse<B>) -> (u16, String) {
    let status = res.status().as_u16();
    let body = test::read_body(res).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The handler most tests use: echoes the verified bytes, with what verification learned in
/// response headers.
pub async fn echo(body: web::Bytes, verified: web::ReqData<Verified<'static>>) -> HttpResponse {
    with_verified(HttpResponse::Ok(), &verified).body(body)
}

/// Adds `x-scheme`, `x-secret-index`, `x-webhook-id` and `x-timestamp` from `verified`.
pub fn with_verified(
    mut response: actix_web::HttpResponseBuilder,
    verified: &Verified<'static>,
) -> actix_web::HttpResponseBuilder {
    response
        .insert_header(("x-scheme", verified.scheme))
        .insert_header(("x-secret-index", verified.secret_index.to_string()))
        .insert_header((
            "x-webhook-id",
            verified.webhook_id.as_deref().unwrap_or("-").to_owned(),
        ))
        .insert_header((
            "x-timestamp",
            verified.timestamp.map_or("-".to_owned(), |t| t.to_string()),
        ));
    response
}

/// A response header as text.
pub fn header<B>(res: &ServiceResponse<B>, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Everything written by `tracing` while the returned guard lives.
///
/// One subscriber is installed for the whole test binary, once, as the global default, and never
/// replaced: swapping per-test subscribers (`set_default`) races with the global callsite-interest
/// cache when tests run in parallel, which made span assertions flaky. Captures are serialized by a
/// lock, and each starts with an empty buffer.
pub struct CapturedLogs {
    _serial: std::sync::MutexGuard<'static, ()>,
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static SERIAL: Mutex<()> = Mutex::new(());

impl CapturedLogs {
    pub fn start() -> Self {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(|| BufferWriter)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
        });
        let serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        LOGS.lock().unwrap().clear();
        Self { _serial: serial }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
    }
}

struct BufferWriter;

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
