//! The dashboard (issue 15), mounted in an axum and an actix-web receiver: one table of
//! requests, the same answers from both. Each receiver verifies and deduplicates `/webhooks`
//! into its delivery log and has a queue holding one dead letter; the table then checks the
//! token (`401`), the pages, the replay's CSRF and `Origin` checks (`403`), the form limit
//! (`413`), and that a replayed dead letter leaves the dead-letter list.
mod support;

use std::sync::Arc;

use actix_web::web;

use support::*;
use webhook_dashboard::{Dashboard, DeliveryLog, FORM_LIMIT};
use webhook_idempotency::{IdempotencyGuard, MemoryStore};
use webhook_queue::Queue;

const TOKEN: &str = "dashboard-token-123";

/// A verifier recording into `log`, and a queue holding one dead letter (its worker stopped).
async fn parts() -> (webhook_verify::Verifier, Dashboard, Arc<dyn Queue>) {
    let log = DeliveryLog::new(100);
    let verifier = recording_verifier(&log);
    let dead = DeadLetterQueue::start().await;
    dead.stop.cancel();
    dead.worker.await.unwrap().unwrap();
    let dashboard = Dashboard::new(log, TOKEN)
        .unwrap()
        .queue(dead.queue.clone());
    (verifier, dashboard, dead.queue)
}

/// The axum receiver: `/webhooks`, the dashboard under `/_webhooks`; its base URL.
async fn axum_app() -> (String, Arc<dyn Queue>) {
    let (verifier, dashboard, queue) = parts().await;
    let url = axum_receiver(receiver_app(verifier, dashboard)).await;
    (url.trim_end_matches("/webhooks").to_owned(), queue)
}

/// The same in actix-web.
async fn actix_app() -> (ActixReceiver, Arc<dyn Queue>) {
    let (verifier, dashboard, queue) = parts().await;
    let guard = IdempotencyGuard::new(MemoryStore::new());
    let receiver = ActixReceiver::start(move |config| {
        config
            .service(
                web::resource("/webhooks")
                    .wrap(webhook_actix::Idempotency::new(guard.clone()))
                    .wrap(webhook_actix::VerifyWebhook::new(verifier.clone()))
                    .route(web::post().to(|| async { "ok" })),
            )
            .service(webhook_actix::dashboard::scope(
                "/_webhooks",
                dashboard.clone(),
            ));
    });
    (receiver, queue)
}

/// Signed, duplicate and forged deliveries, one with a `<script>` payload.
async fn deliver(base: &str) {
    let client = client();
    let hook = format!("{base}/webhooks");
    let body = br#"{"id":"evt_1","type":"user.created","name":"<script>alert(1)</script>"}"#;
    assert_eq!(post(&client, &hook, &sign(body), body).await.status, 200);
    assert_eq!(post(&client, &hook, &sign(body), body).await.status, 200);
    let forged = [(
        "x-webhook-signature".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    assert_eq!(
        post(&client, &hook, &forged, b"<script>x</script>")
            .await
            .status,
        401
    );
}

/// One row: a request below `/_webhooks` and what both must answer. In `path` and `form`,
/// `{csrf}` and `{dead}` stand for the dashboard's CSRF token and the dead letter's id.
struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    auth: Auth,
    origin: Option<&'static str>,
    form: Option<&'static str>,
    status: u16,
    /// Text the body must hold, and text it must not.
    holds: &'static [&'static str],
    lacks: &'static [&'static str],
    header: Option<(&'static str, &'static str)>,
}

#[derive(Clone, Copy)]
enum Auth {
    None,
    Bearer(&'static str),
    Basic(&'static str),
}

const OK: Case = Case {
    name: "",
    method: "GET",
    path: "/",
    auth: Auth::Bearer(TOKEN),
    origin: None,
    form: None,
    status: 200,
    holds: &[],
    lacks: &["<script>", TOKEN, SECRET],
    header: None,
};

fn table() -> Vec<Case> {
    vec![
        Case {
            name: "no token",
            auth: Auth::None,
            status: 401,
            header: Some((
                "www-authenticate",
                "Basic realm=\"webhook dashboard\", charset=\"UTF-8\"",
            )),
            ..OK
        },
        Case {
            name: "wrong bearer",
            auth: Auth::Bearer("dashboard-token-12"),
            status: 401,
            ..OK
        },
        Case {
            name: "wrong basic",
            auth: Auth::Basic("wrong"),
            status: 401,
            ..OK
        },
        Case {
            name: "prefix without slash",
            path: "",
            holds: &[
                "<li id=accepted>1 accepted",
                "<li id=duplicate>1 duplicate",
                "<li id=refused>1 refused",
            ],
            ..OK
        },
        Case {
            name: "index",
            auth: Auth::Basic(TOKEN),
            holds: &[
                "<li id=accepted>1 accepted",
                "<li id=duplicate>1 duplicate",
                "<li id=refused>1 refused",
                "refused (signature)",
                "<li id=dead>1 dead",
                "<li id=pending>0 pending",
                "<svg id=chart",
                "<td>127.0.0.1",
            ],
            header: Some((
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            )),
            ..OK
        },
        Case {
            name: "first delivery, escaped",
            path: "/deliveries/1",
            holds: &[
                "&lt;script&gt;alert(1)&lt;/script&gt;",
                "&quot;type&quot;: &quot;user.created&quot;",
                "x-webhook-signature",
            ],
            ..OK
        },
        Case {
            name: "the forgery",
            path: "/deliveries/3",
            holds: &[
                "no signature matches the body",
                "&lt;script&gt;x&lt;/script&gt;",
            ],
            ..OK
        },
        Case {
            name: "no such delivery",
            path: "/deliveries/99",
            status: 404,
            ..OK
        },
        Case {
            name: "no such page",
            path: "/nope",
            status: 404,
            ..OK
        },
        Case {
            name: "dead letters",
            path: "/dead",
            holds: &[
                "evt_dead",
                "the handler failed &lt;b&gt;",
                "name=csrf value=\"{csrf}\"",
                "name=dead value=\"{dead}\"",
            ],
            ..OK
        },
        Case {
            name: "method",
            method: "DELETE",
            status: 405,
            header: Some(("allow", "GET, HEAD, POST")),
            ..OK
        },
        Case {
            name: "replay without token",
            method: "POST",
            path: "/replay",
            auth: Auth::None,
            form: Some("csrf={csrf}&dead={dead}"),
            status: 401,
            ..OK
        },
        Case {
            name: "replay without csrf",
            method: "POST",
            path: "/replay",
            form: Some("dead={dead}"),
            status: 403,
            ..OK
        },
        Case {
            name: "replay with a wrong csrf",
            method: "POST",
            path: "/replay",
            form: Some("csrf=00{csrf}&dead={dead}"),
            status: 403,
            ..OK
        },
        Case {
            name: "replay from another origin",
            method: "POST",
            path: "/replay",
            origin: Some("http://evil.example"),
            form: Some("csrf={csrf}&dead={dead}"),
            status: 403,
            ..OK
        },
        Case {
            name: "replay of nothing",
            method: "POST",
            path: "/replay",
            form: Some("csrf={csrf}"),
            status: 400,
            ..OK
        },
        Case {
            name: "replay",
            method: "POST",
            path: "/replay",
            origin: Some("{origin}"),
            form: Some("csrf={csrf}&dead={dead}"),
            status: 303,
            header: Some(("location", "dead")),
            ..OK
        },
        Case {
            name: "replayed already",
            method: "POST",
            path: "/replay",
            form: Some("csrf={csrf}&dead={dead}"),
            status: 409,
            ..OK
        },
        Case {
            name: "dead letters after the replay",
            path: "/dead",
            holds: &["<p id=none>No dead letters."],
            lacks: &["evt_dead"],
            ..OK
        },
    ]
}

/// Runs the table against the dashboard at `base`/_webhooks; returns each answer's summary.
async fn run_table(base: &str) -> Vec<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let dead_page = client
        .get(format!("{base}/_webhooks/dead"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hidden = |name: &str| {
        let start = dead_page
            .find(&format!("name={name} value=\""))
            .expect(name)
            + name.len()
            + 13;
        dead_page[start..].split('"').next().unwrap().to_owned()
    };
    let (csrf, dead) = (hidden("csrf"), hidden("dead"));
    let fill = |text: &str| {
        text.replace("{csrf}", &csrf)
            .replace("{dead}", &dead)
            .replace("{origin}", base)
    };
    let mut answers = Vec::new();
    for case in table() {
        let url = format!("{base}/_webhooks{}", case.path);
        let mut request = client.request(case.method.parse().unwrap(), &url);
        request = match case.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic(password) => request.basic_auth("anyone", Some(password)),
        };
        if let Some(origin) = case.origin {
            request = request.header("origin", fill(origin));
        }
        if let Some(form) = case.form {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(fill(form));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let header = case.header.map(|(name, _)| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        });
        let body = response.text().await.unwrap();
        let name = case.name;
        assert_eq!(status, case.status, "{name}: {body}");
        for text in case.holds {
            assert!(body.contains(&fill(text)), "{name}: no {text:?} in {body}");
        }
        for text in case.lacks {
            assert!(!body.contains(text), "{name}: {text:?} in {body}");
        }
        if let (Some((header_name, value)), Some(found)) = (case.header, header) {
            assert_eq!(found.as_deref(), Some(value), "{name}: {header_name}");
        }
        answers.push(format!("{name}: {status}"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_dashboards_answer_the_table_alike() {
    let (axum_base, axum_queue) = axum_app().await;
    let (actix, actix_queue) = actix_app().await;
    let actix_base = actix.url().trim_end_matches("/webhooks").to_owned();
    deliver(&axum_base).await;
    deliver(&actix_base).await;
    let axum_answers = run_table(&axum_base).await;
    let actix_answers = run_table(&actix_base).await;
    assert_eq!(axum_answers, actix_answers);
    for queue in [axum_queue, actix_queue] {
        let counts = queue.counts().await.unwrap();
        assert_eq!(
            (counts.dead, counts.pending),
            (0, 1),
            "the replayed letter is queued again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_over_the_limit_is_413_on_both() {
    let (axum_base, _q1) = axum_app().await;
    let (actix, _q2) = actix_app().await;
    let actix_base = actix.url().trim_end_matches("/webhooks").to_owned();
    for base in [axum_base, actix_base] {
        let answer = reqwest::Client::new()
            .post(format!("{base}/_webhooks/replay"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("x".repeat(FORM_LIMIT + 1))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 413, "{base}");
    }
}
