//! One semantics suite, written once (in `webhook_testkit::store_suite`) and run against both
//! stores: `MemoryStore` and a `RedisStore` on a real redis-server started by the test. The SQL
//! stores of `webhook-inbox` run the same suite.

mod common;

webhook_testkit::store_semantics_suite!(memory, |run| {
    run(webhook_idempotency::MemoryStore::new()).await
});

webhook_testkit::store_semantics_suite!(redis, |run| {
    let server = webhook_testkit::RedisServer::start();
    let store = super::common::redis_store(&server).await;
    run(store).await
});
