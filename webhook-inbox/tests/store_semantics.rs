//! The idempotency store semantics suite of `webhook_testkit::store_suite` (the one the memory
//! and Redis stores run) on a real SQLite file and on the real PostgreSQL server.

mod support;

webhook_testkit::store_semantics_suite!(sqlite, |run| {
    let db = super::support::TestDb::sqlite();
    run(db.inbox().await.store()).await
});

webhook_testkit::store_semantics_suite!(postgres, |run| {
    let db = super::support::TestDb::postgres();
    run(db.inbox().await.store()).await
});
