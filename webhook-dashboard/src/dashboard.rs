//! The dashboard: where its data comes from, who may see it, and the answer to each request.

use std::sync::Arc;

use webhook_inbox::Inbox;
use webhook_queue::Queue;

use crate::csrf::{Csrf, same_origin};
use crate::pages;
use crate::{Access, Answer, DeliveryLog, Request, TokenError};

/// The dashboard: the in-process [`DeliveryLog`] (every answer the receiver gave, refusals
/// included), and when given, a [`Queue`]'s counts and dead letters and an [`Inbox`]'s kept
/// deliveries.
///
/// ```
/// use webhook_dashboard::{Dashboard, DeliveryLog, Request};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), webhook_dashboard::TokenError> {
/// let dashboard = Dashboard::new(DeliveryLog::new(10), "t0k")?;
/// let get = |authorization| Request { method: "GET", path: "/", authorization, ..Default::default() };
/// assert_eq!(dashboard.answer(get(Some("Bearer t0k"))).await.status, 200);
/// assert_eq!(dashboard.answer(get(Some("Bearer nope"))).await.status, 401);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Dashboard {
    pub(crate) log: DeliveryLog,
    pub(crate) queue: Option<Arc<dyn Queue>>,
    pub(crate) inbox: Option<Inbox>,
    pub(crate) csrf: Csrf,
    access: Access,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("access", &self.access)
            .field("queue", &self.queue.as_ref().map(|q| q.name().to_owned()))
            .field("inbox", &self.inbox.is_some())
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard over `log`, open to requests carrying `token`; an empty or blank token is
    /// refused.
    ///
    /// ```
    /// # use webhook_dashboard::{Dashboard, DeliveryLog, TokenError};
    /// assert_eq!(Dashboard::new(DeliveryLog::new(1), " ").unwrap_err(), TokenError::Empty);
    /// ```
    pub fn new(log: DeliveryLog, token: impl Into<String>) -> Result<Self, TokenError> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err(TokenError::Empty);
        }
        Ok(Self::with_access(log, Access::Token(token.into_bytes())))
    }

    /// A dashboard open to anyone who reaches it: only for a server bound to loopback, as its
    /// caller must check (`webhook listen --dashboard-without-token` does).
    ///
    /// ```
    /// # use webhook_dashboard::{Dashboard, DeliveryLog};
    /// let open = Dashboard::without_token_on_loopback(DeliveryLog::new(1));
    /// # let _ = open;
    /// ```
    pub fn without_token_on_loopback(log: DeliveryLog) -> Self {
        Self::with_access(log, Access::LoopbackWithoutToken)
    }

    fn with_access(log: DeliveryLog, access: Access) -> Self {
        Self {
            log,
            queue: None,
            inbox: None,
            csrf: Csrf::random(),
            access,
        }
    }

    /// Shows `queue`'s counts (pending, in flight, retrying, dead) and its dead letters, each
    /// with a replay button.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use webhook_dashboard::{Dashboard, DeliveryLog};
    /// let queue = Arc::new(webhook_queue::MemoryQueue::new("orders", Default::default()));
    /// let dashboard = Dashboard::new(DeliveryLog::new(100), "t0k")?.queue(queue);
    /// # Ok::<(), webhook_dashboard::TokenError>(())
    /// ```
    pub fn queue(mut self, queue: Arc<dyn Queue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Shows `inbox`'s deliveries (rows by status, the latest, each with its kept headers and
    /// raw body, failed and dead ones with a replay button) and its refusal counts.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// # use webhook_dashboard::{Dashboard, DeliveryLog};
    /// let inbox = webhook_inbox::Inbox::connect("sqlite:deliveries.db").await?;
    /// let dashboard = Dashboard::new(DeliveryLog::new(100), "t0k")?.inbox(inbox);
    /// # let _ = dashboard; Ok(()) }
    /// ```
    pub fn inbox(mut self, inbox: Inbox) -> Self {
        self.inbox = Some(inbox);
        self
    }

    /// The answer to `request`: `401` without the token, then the pages (`GET`/`HEAD`) and the
    /// replay (`POST /replay`: `403` without this dashboard's CSRF token or from another
    /// origin).
    pub async fn answer(&self, request: Request<'_>) -> Answer {
        if !self.access.allows(request.authorization) {
            let mut answer = Answer::html(401, pages::login());
            answer.headers.push((
                "www-authenticate",
                "Basic realm=\"webhook dashboard\", charset=\"UTF-8\"",
            ));
            return answer;
        }
        let path = request.path.trim_start_matches('/');
        match request.method {
            "GET" | "HEAD" => self.page(path).await,
            "POST" if path == "replay" => self.replay(&request).await,
            "POST" => pages::not_found(),
            _ => {
                let mut answer =
                    Answer::html(405, pages::message("Not allowed", "Method not allowed."));
                answer.headers.push(("allow", "GET, HEAD, POST"));
                answer
            }
        }
    }

    async fn page(&self, path: &str) -> Answer {
        if path.is_empty() {
            return Answer::html(200, pages::index(self).await);
        }
        if path == "dead" {
            return pages::dead_letters(self).await;
        }
        if let Some(id) = path.strip_prefix("deliveries/") {
            return match id.parse().ok().and_then(|id| self.log.get(id)) {
                Some(entry) => Answer::html(200, pages::logged_delivery(&entry)),
                None => pages::not_found(),
            };
        }
        if let Some(id) = path.strip_prefix("inbox/") {
            return pages::kept_delivery(self, id).await;
        }
        pages::not_found()
    }

    /// `POST /replay` with `csrf` and either `dead` (a queue's dead-letter id) or `row` (an
    /// inbox row's id): replays it and sends the browser back to where it was.
    async fn replay(&self, request: &Request<'_>) -> Answer {
        let form: Vec<(String, String)> =
            form_urlencoded::parse(request.body).into_owned().collect();
        let field = |name: &str| {
            let mut values = form
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str());
            match (values.next(), values.next()) {
                (Some(value), None) => Some(value),
                _ => None,
            }
        };
        let token_ok = field("csrf").is_some_and(|token| self.csrf.matches(token));
        if !token_ok || !same_origin(request.origin, request.host) {
            return Answer::html(
                403,
                pages::message(
                    "Forbidden",
                    "A replay needs the form of this dashboard, sent from its own page.",
                ),
            );
        }
        match (field("dead"), field("row")) {
            (Some(dead), None) => pages::replay_dead(self, dead).await,
            (None, Some(row)) => pages::replay_row(self, row).await,
            _ => Answer::html(
                400,
                pages::message("Bad request", "Say which delivery to replay."),
            ),
        }
    }
}
