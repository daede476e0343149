-- One row per delivery (or per guard claim): the idempotency claim, the queue entry and the
-- audit record in one. Times are Unix milliseconds.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    queue           TEXT,
    idem_key        TEXT UNIQUE,
    received_at     INTEGER NOT NULL,
    scheme          TEXT,
    webhook_id      TEXT,
    delivery_key    TEXT,
    body_sha256     TEXT,
    body            BLOB,
    headers         TEXT,
    secret_index    INTEGER,
    signed_at       INTEGER,
    event_type      TEXT,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_until     INTEGER,
    claim_token     TEXT,
    expires_at      INTEGER,
    last_error      TEXT,
    processed_at    INTEGER,
    answered_status INTEGER,
    dead_at         INTEGER
);
CREATE INDEX webhook_deliveries_work ON webhook_deliveries (queue, status, next_attempt_at);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
