//! The accept step on SQL, through the queue's `Acceptor`: the dedupe claim, the durable entry
//! and the audit record are one row written in one statement, on both backends. First delivery
//! 202 (one row), duplicate 200 (still one row), same key with another body 422, a guard's claim
//! in flight 409, 50 concurrent copies of one event one row.

mod support;

use std::sync::Arc;

use support::TestDb;
use webhook_idempotency::{Fingerprint, IdempotencyGuard, Outcome};
use webhook_inbox::{Inbox, ListFilter};
use webhook_queue::Acceptor;
use webhook_testkit::queue_suite::{event_body, fast_config};
use webhook_verify::{Scheme, Signer, Verifier};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn signed(id: &str, body: &[u8]) -> Vec<(String, String)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut headers = Signer::new(Scheme::standard(), SECRET)
        .unwrap()
        .sign(id, now, body)
        .unwrap();
    headers.push(("content-type".into(), "application/json".into()));
    headers
}

fn body(id: &str, amount: u32) -> Vec<u8> {
    event_body(id, "order.paid", serde_json::json!({ "amount": amount }))
}

/// Every row of the table, guard claims (rows without a queue) included.
async fn all_rows(db: &TestDb) -> i64 {
    use sqlx::Connection as _;
    let table = match &db.schema {
        Some(schema) => format!("\"{schema}\".webhook_deliveries"),
        None => "webhook_deliveries".to_owned(),
    };
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    count
}

async fn accept(acceptor: &Acceptor, id: &str, body: &[u8]) -> u16 {
    let verifier = Verifier::new(Scheme::standard(), SECRET).unwrap();
    let headers = signed(id, body);
    let verified = verifier.verify(&headers, body).unwrap();
    match acceptor.accept(&verified, &headers, body.to_vec()).await {
        Ok(accepted) => accepted.status,
        Err(refused) => refused.status(),
    }
}

fn acceptor(inbox: &Inbox) -> Acceptor {
    let guard = IdempotencyGuard::builder()
        .store(inbox.store())
        .endpoint("orders")
        .build();
    Acceptor::new(inbox.queue("orders", fast_config()), guard)
}

async fn one_row_scenario(db: TestDb) {
    let inbox = db.inbox().await;
    let acceptor = acceptor(&inbox);
    let first = body("evt_1", 1);
    assert_eq!(accept(&acceptor, "msg_1", &first).await, 202);
    assert_eq!(all_rows(&db).await, 1, "claim, entry and record: one row");
    let rows = inbox.list(&ListFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key.as_deref(), Some("msg_1"));
    assert_eq!(rows[0].status, "queued");
    assert_eq!(rows[0].event_type.as_deref(), Some("order.paid"));
    let shown = inbox.show(rows[0].id).await.unwrap().unwrap();
    assert_eq!(shown.body, first, "the raw body, byte for byte");
    assert_eq!(acceptor.queue().counts().await.unwrap().pending, 1);

    assert_eq!(accept(&acceptor, "msg_1", &first).await, 200, "duplicate");
    assert_eq!(
        accept(&acceptor, "msg_1", &body("evt_1", 2)).await,
        422,
        "same key, another body"
    );
    assert_eq!(all_rows(&db).await, 1, "nothing appended for a refusal");

    // A guard on the same store holds a key in flight: the accept step answers 409.
    let guard = IdempotencyGuard::builder()
        .store(inbox.store())
        .endpoint("orders")
        .build();
    let held = body("evt_2", 1);
    let Outcome::First(claim) = guard.begin("msg_2", &Fingerprint::of(&held)).await else {
        panic!("the guard's first claim");
    };
    assert_eq!(accept(&acceptor, "msg_2", &held).await, 409);
    claim.release().await.unwrap();
    assert_eq!(
        accept(&acceptor, "msg_2", &held).await,
        202,
        "released: taken"
    );
    assert_eq!(all_rows(&db).await, 2);
}

async fn concurrent_scenario(db: TestDb) {
    let inbox = db.inbox().await;
    let acceptor = Arc::new(acceptor(&inbox));
    let event = body("evt_c", 7);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (acceptor, event) = (acceptor.clone(), event.clone());
        tasks.spawn(async move { accept(&acceptor, "msg_c", &event).await });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 202].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(all_rows(&db).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_accept_is_one_row_in_one_statement() {
    one_row_scenario(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_accept_is_one_row_in_one_statement() {
    one_row_scenario(TestDb::postgres()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_copies_of_one_event_make_one_row() {
    concurrent_scenario(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_copies_of_one_event_make_one_row() {
    concurrent_scenario(TestDb::postgres()).await;
}
