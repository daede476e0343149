//! Typed dispatch: one handler per event type, the payload deserialized into the handler's type.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::{BoxFuture, FutureExt as _};
use http::HeaderName;
use serde::de::DeserializeOwned;

use crate::{Handler, HandlerError, Job};

type Route = Arc<dyn Fn(Job) -> BoxFuture<'static, Result<(), HandlerError>> + Send + Sync>;

/// Routes each job to the handler registered for its event type.
///
/// The event type is read from the body (`type` of the `{id, type, data}` envelope, `event` of
/// the `{event, timestamp, data}` one) or from a header ([`Router::event_type_header`], for
/// senders such as GitHub that name the event there). The handler's first argument is the body
/// deserialized into any type you choose, typically [`Envelope<T>`](webhook_verify::envelope::Envelope);
/// the [`Job`] gives the raw bytes and headers.
///
/// A body that does not deserialize into the handler's type fails the attempt (it is retried,
/// then dead-lettered with the serde error). Types with no handler go to the
/// [fallback](Router::fallback); without one, they fail the same way, so nothing is dropped
/// silently.
///
/// ```
/// use webhook_queue::{HandlerError, Job, Router};
/// use webhook_verify::envelope::Envelope;
///
/// #[derive(serde::Deserialize)]
/// struct Payment { id: String, amount: u64 }
///
/// let router = Router::new()
///     .on("payment.succeeded", |event: Envelope<Payment>, job: Job| async move {
///         let payment = match event {
///             Envelope::Event(e) => e.data.object,
///             Envelope::Notification(n) => n.data,
///         };
///         println!("attempt {}: payment {} of {}", job.attempt(), payment.id, payment.amount);
///         Ok::<_, HandlerError>(())
///     })
///     .fallback(|job: Job| async move {
///         println!("ignoring {} bytes of an unknown event", job.body().len());
///         Ok::<_, HandlerError>(())
///     });
/// # drop(router);
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct Router {
    routes: HashMap<String, Route>,
    fallback: Option<Route>,
    type_header: Option<HeaderName>,
}

impl Router {
    /// A router with no routes and no fallback.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles events of type `event_type` with `handler`, given the body deserialized as `T`.
    pub fn on<T, F, Fut, E>(mut self, event_type: impl Into<String>, handler: F) -> Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(T, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError>,
    {
        let event_type: Arc<str> = Arc::from(event_type.into());
        let name = event_type.to_string();
        let route: Route =
            Arc::new(
                move |job: Job| match serde_json::from_slice::<T>(job.body()) {
                    Ok(event) => handler(event, job).map(|r| r.map_err(Into::into)).boxed(),
                    Err(err) => {
                        let message = format!(
                            "payload of {event_type} does not deserialize into {}: {err}",
                            std::any::type_name::<T>()
                        );
                        std::future::ready(Err(HandlerError::msg(message))).boxed()
                    }
                },
            );
        self.routes.insert(name, route);
        self
    }

    /// Handles events of every type that has no route of its own (given the raw job).
    pub fn fallback<H: Handler>(mut self, handler: H) -> Self {
        self.fallback = Some(Arc::new(move |job| handler.call(job)));
        self
    }

    /// Reads the event type from this header instead of the body (`X-GitHub-Event`,
    /// `X-Shopify-Topic`). The header must be kept with the delivery.
    ///
    /// ```
    /// let router = webhook_queue::Router::new().event_type_header("x-github-event");
    /// # drop(router);
    /// ```
    pub fn event_type_header(mut self, name: &'static str) -> Self {
        self.type_header = Some(HeaderName::from_static(name));
        self
    }

    /// The event type of a job, as this router determines it.
    ///
    /// ```
    /// use webhook_queue::{Delivery, Job, Router, Verification};
    /// let job = Job::new(Delivery::new(&br#"{"event":"user.created","data":{}}"#[..], Verification::new("hmac-sha256")));
    /// assert_eq!(Router::new().event_type(&job).as_deref(), Some("user.created"));
    /// ```
    pub fn event_type(&self, job: &Job) -> Option<String> {
        if let Some(header) = &self.type_header {
            let value = job.delivery().headers().get(header)?;
            return value.to_str().ok().map(str::to_owned);
        }
        #[derive(serde::Deserialize)]
        struct Probe {
            #[serde(rename = "type")]
            kind: Option<serde_json::Value>,
            event: Option<serde_json::Value>,
        }
        let probe: Probe = serde_json::from_slice(job.body()).ok()?;
        match (probe.kind, probe.event) {
            (Some(serde_json::Value::String(t)), _) | (_, Some(serde_json::Value::String(t))) => {
                Some(t)
            }
            _ => None,
        }
    }
}

impl Handler for Router {
    fn call(&self, job: Job) -> BoxFuture<'static, Result<(), HandlerError>> {
        let event_type = self.event_type(&job);
        let route = event_type
            .as_deref()
            .and_then(|t| self.routes.get(t))
            .or(self.fallback.as_ref());
        match route {
            Some(route) => route(job),
            None => {
                let message = match event_type {
                    Some(t) => format!("no handler for event type {t:?} and no fallback"),
                    None => "event type could not be determined and no fallback".to_owned(),
                };
                std::future::ready(Err(HandlerError::msg(message))).boxed()
            }
        }
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut types: Vec<&str> = self.routes.keys().map(String::as_str).collect();
        types.sort_unstable();
        f.debug_struct("Router")
            .field("routes", &types)
            .field("fallback", &self.fallback.is_some())
            .field("type_header", &self.type_header)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Delivery, Verification};

    fn job(body: &'static [u8]) -> Job {
        Job::new(Delivery::new(body, Verification::new("github")).header("x-github-event", "push"))
    }

    #[tokio::test]
    async fn event_type_from_header_routes_to_its_handler() {
        let router = Router::new().event_type_header("x-github-event").on(
            "push",
            |body: serde_json::Value, _job: Job| async move {
                assert_eq!(body["ref"], "refs/heads/main");
                Ok::<_, HandlerError>(())
            },
        );
        assert_eq!(
            router
                .event_type(&job(br#"{"ref":"refs/heads/main"}"#))
                .as_deref(),
            Some("push")
        );
        assert!(
            router
                .call(job(br#"{"ref":"refs/heads/main"}"#))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn unknown_type_without_fallback_fails_with_the_type_named() {
        let err = Router::new()
            .call(job(br#"{"type":"invoice.paid"}"#))
            .await
            .unwrap_err();
        assert_eq!(
            err.message(),
            r#"no handler for event type "invoice.paid" and no fallback"#
        );
    }

    #[tokio::test]
    async fn body_that_is_not_json_goes_to_the_fallback() {
        let router = Router::new().fallback(|job: Job| async move {
            assert_eq!(job.body().as_ref(), b"not json");
            Ok::<_, HandlerError>(())
        });
        assert_eq!(router.event_type(&job(b"not json")), None);
        assert!(router.call(job(b"not json")).await.is_ok());
    }

    #[test]
    fn handler_error_from_an_error_keeps_its_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("charge failed")]
        struct Outer(#[source] std::io::Error);
        let err: HandlerError = Outer(std::io::Error::other("connection reset")).into();
        assert_eq!(err.message(), "charge failed: connection reset");
    }
}
