//! What every check shares: the signed events it sends, the HTTP client, and the ledger of which
//! event must be processed once and which never.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use reqwest::{Client, Url, redirect};
use serde_json::Value;
use webhook_verify::{Request, Scheme, Secret, Signer};

use super::CheckId;
use super::retries::Schedule;
use crate::error::CliError;
use crate::events::{self, Envelope, EventType};
use crate::ids;
use crate::options::HeaderArg;
use crate::ordered::Field;

/// The options the checks read.
pub struct Settings {
    /// `--scheme`: how every delivery is signed.
    pub scheme: Scheme,
    /// `--header`: added to every request.
    pub headers: Vec<HeaderArg>,
    /// `--event`: the payloads' type.
    pub event: EventType,
    /// `--deadline`: how long an answer may take.
    pub deadline: Duration,
    /// `--slow-limit`: how long a slow body or head may be held open.
    pub slow_limit: Duration,
    /// `--concurrency`: copies sent at once.
    pub concurrency: u32,
    /// `--idle`: idle connections held open.
    pub idle: u32,
    /// `--time-scale`: seconds of retry schedule per real second.
    pub time_scale: f64,
    /// `--schedule`: whose retry schedule.
    pub schedule: Schedule,
    /// `--insecure`: accept any certificate.
    pub insecure: bool,
}

/// One event: its `id` and its payload, compact JSON as senders send it.
#[derive(Clone)]
pub struct Event {
    /// The envelope's `id` (`evt_...`), also the delivery id signed.
    pub id: String,
    /// The payload's bytes.
    pub body: Vec<u8>,
}

/// A delivery ready to send: its headers (signature and extra) and its body.
#[derive(Clone)]
pub struct Delivery {
    /// The signature headers and the `--header`s.
    pub headers: Vec<(String, String)>,
    /// The body to send.
    pub body: Vec<u8>,
}

/// What the receiver answered.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The headers and body, as text, to look for leaked signatures.
    pub text: String,
    /// How long the answer took.
    pub elapsed: Duration,
}

impl Answer {
    /// `200 OK in 12 ms`.
    pub fn describe(&self) -> String {
        format!("{} in {} ms", self.status, self.elapsed.as_millis())
    }
}

/// How often an event must have been processed at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Accepted (a 2xx): processed exactly once.
    Once,
    /// Only ever refused: never processed.
    Never,
}

/// The shared state of a run.
pub struct Tester {
    /// The receiver's endpoint (its port chosen, with `--exec` and port 0).
    pub url: Url,
    /// The options.
    pub settings: Settings,
    signer: Signer,
    wrong_signer: Signer,
    client: Client,
    /// A client that never reuses a connection, for `idle-connections`.
    fresh_client: Client,
    /// Every event sent: which check sent it and how often it must be processed.
    ledger: Mutex<HashMap<String, (CheckId, Expect)>>,
}

impl Tester {
    /// Builds the signers and clients.
    pub fn new(url: Url, secrets: Vec<Secret>, settings: Settings) -> Result<Self, CliError> {
        let wrong: Vec<Secret> = secrets.iter().map(|s| wrong_secret(s.expose())).collect();
        let signer =
            Signer::with_secrets(settings.scheme.clone(), secrets).map_err(CliError::config)?;
        let wrong_signer =
            Signer::with_secrets(settings.scheme.clone(), wrong).map_err(CliError::config)?;
        let client = client_with(&settings, usize::MAX)?;
        let fresh_client = client_with(&settings, 0)?;
        Ok(Self {
            url,
            settings,
            signer,
            wrong_signer,
            client,
            fresh_client,
            ledger: Mutex::new(HashMap::new()),
        })
    }

    /// Why check `id` cannot run against this receiver, if it cannot.
    pub fn not_applicable(&self, id: CheckId, exec: bool) -> Option<String> {
        let scheme = &self.settings.scheme;
        match id {
            CheckId::StaleTimestamp | CheckId::FutureTimestamp if !scheme.is_timestamped() => {
                Some(format!("{} signs no timestamp", scheme.name()))
            }
            CheckId::Oversize
            | CheckId::SlowBody
            | CheckId::SlowHeaders
            | CheckId::IdleConnections
                if self.url.scheme() != "http" =>
            {
                Some("the raw-connection checks speak plain http:// only".to_owned())
            }
            CheckId::ProcessedOnce if !exec => {
                Some("needs --exec to see what the receiver processes".to_owned())
            }
            _ => None,
        }
    }

    /// A fresh event of the chosen type, recorded as sent by `check`: expected `Never`
    /// processed until [`accepted`](Self::accepted) says otherwise.
    pub fn event(&self, check: CheckId) -> Result<Event, String> {
        let payload = events::payload(self.settings.event, Envelope::Object, ids::now_unix())
            .map_err(|_| "cannot build the payload".to_owned())?;
        let id = payload
            .0
            .iter()
            .find_map(|(name, field)| match (name, field) {
                (&"id", Field::Json(Value::String(id))) => Some(id.clone()),
                _ => None,
            })
            .ok_or("the payload has no id")?;
        let body = serde_json::to_vec(&payload).map_err(|err| err.to_string())?;
        self.record(&id, check, Expect::Never);
        Ok(Event { id, body })
    }

    /// Records that the receiver accepted `event`: it must be processed exactly once.
    pub fn accepted(&self, event: &Event, check: CheckId) {
        self.record(&event.id, check, Expect::Once);
    }

    fn record(&self, id: &str, check: CheckId, expect: Expect) {
        if let Ok(mut ledger) = self.ledger.lock() {
            ledger.insert(id.to_owned(), (check, expect));
        }
    }

    /// Every event sent so far, with the check that sent it and what is expected of it.
    pub fn ledger(&self) -> Vec<(String, CheckId, Expect)> {
        self.ledger.lock().map_or_else(
            |_| Vec::new(),
            |ledger| {
                ledger
                    .iter()
                    .map(|(id, (check, expect))| (id.clone(), *check, *expect))
                    .collect()
            },
        )
    }

    /// `body` signed now with the right secret, delivery id `id`.
    pub fn sign(&self, id: &str, body: &[u8]) -> Result<Delivery, String> {
        self.sign_with(&self.signer, id, ids::now_unix(), body)
    }

    /// `body` signed at `timestamp` with the right secret.
    pub fn sign_at(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<Delivery, String> {
        self.sign_with(&self.signer, id, timestamp, body)
    }

    /// `body` signed now with a secret one character off.
    pub fn sign_wrong(&self, id: &str, body: &[u8]) -> Result<Delivery, String> {
        self.sign_with(&self.wrong_signer, id, ids::now_unix(), body)
    }

    fn sign_with(
        &self,
        signer: &Signer,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Delivery, String> {
        let url = self.url.as_str();
        let request = Request::post(url);
        let signed = signer
            .sign_delivery(Some(&request), id, timestamp, body)
            .map_err(|err| format!("cannot sign: {err}"))?;
        let mut headers = signed.headers;
        for extra in &self.settings.headers {
            let value = String::from_utf8_lossy(extra.value.as_bytes()).into_owned();
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(extra.name.as_str()));
            headers.push((extra.name.to_string(), value));
        }
        Ok(Delivery {
            headers,
            body: signed.body,
        })
    }

    /// The names of the headers that carry the signature.
    pub fn signature_headers(&self) -> Vec<String> {
        self.settings
            .scheme
            .signature_headers()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// POSTs `delivery` and waits (up to the deadline) for the answer.
    pub async fn post(&self, delivery: &Delivery) -> Result<Answer, String> {
        self.send(&self.client, Method::POST, delivery).await
    }

    /// POSTs on a new connection, never a pooled one.
    pub async fn post_fresh(&self, delivery: &Delivery) -> Result<Answer, String> {
        self.send(&self.fresh_client, Method::POST, delivery).await
    }

    /// Sends `delivery` with `method`.
    pub async fn send_method(&self, method: Method, delivery: &Delivery) -> Result<Answer, String> {
        self.send(&self.client, method, delivery).await
    }

    async fn send(
        &self,
        client: &Client,
        method: Method,
        delivery: &Delivery,
    ) -> Result<Answer, String> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, user_agent());
        for (name, value) in &delivery.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|err| err.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|err| err.to_string())?;
            headers.append(name, value);
        }
        let started = Instant::now();
        let response = client
            .request(method, self.url.clone())
            .headers(headers)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|err| describe_error(&err, self.settings.deadline))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut text = String::new();
        for (name, value) in response.headers() {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|err| describe_error(&err, self.settings.deadline))?;
        text.push_str(&String::from_utf8_lossy(&body));
        Ok(Answer {
            status,
            retry_after,
            text,
            elapsed: started.elapsed(),
        })
    }
}

/// `webhook-cli/<version>`.
pub fn user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("webhook-cli/", env!("CARGO_PKG_VERSION")))
}

fn client_with(settings: &Settings, idle_per_host: usize) -> Result<Client, CliError> {
    // Senders do not follow redirects.
    let builder = Client::builder()
        .timeout(settings.deadline)
        .redirect(redirect::Policy::none())
        .pool_max_idle_per_host(idle_per_host);
    #[cfg(feature = "rustls")]
    let builder = builder.danger_accept_invalid_certs(settings.insecure);
    #[cfg(not(feature = "rustls"))]
    let _ = settings.insecure; // https:// is refused earlier without the feature
    builder
        .build()
        .map_err(|err| CliError::Failed(format!("error: cannot build the HTTP client: {err}")))
}

fn describe_error(err: &reqwest::Error, deadline: Duration) -> String {
    if err.is_timeout() {
        return format!(
            "no answer within the deadline ({} s)",
            deadline.as_secs_f64()
        );
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// The secret with one character changed (the first after any `whsec_`-style prefix, to the
/// next letter or digit), so that it keeps its format and signs differently.
fn wrong_secret(secret: &str) -> Secret {
    let start = secret.rfind('_').map_or(0, |i| i + 1);
    let mut chars: Vec<char> = secret.chars().collect();
    let skip = secret[..start].chars().count();
    if let Some(c) = chars
        .iter_mut()
        .skip(skip)
        .find(|c| c.is_ascii_alphanumeric())
    {
        *c = match *c {
            '9' => '0',
            'z' => 'a',
            'Z' => 'A',
            other => char::from(other as u8 + 1),
        };
    } else {
        chars.push('x');
    }
    Secret::from(chars.into_iter().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_secret_keeps_the_prefix_and_changes_one_character() {
        assert_eq!(wrong_secret("s3cret").expose(), "t3cret");
        assert_eq!(wrong_secret("whsec_MfKQ").expose(), "whsec_NfKQ");
        assert_eq!(wrong_secret("z9").expose(), "a9");
        assert_eq!(wrong_secret("__").expose(), "__x");
    }
}
