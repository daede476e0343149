-- One row per delivery (or per guard claim): the idempotency claim, the queue entry and the
-- audit record in one. Times are Unix milliseconds.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    queue           TEXT,
    idem_key        TEXT UNIQUE,
    received_at     BIGINT NOT NULL,
    scheme          TEXT,
    webhook_id      TEXT,
    delivery_key    TEXT,
    body_sha256     TEXT,
    body            BYTEA,
    headers         TEXT,
    secret_index    INTEGER,
    signed_at       BIGINT,
    event_type      TEXT,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    claim_token     TEXT,
    expires_at      BIGINT,
    last_error      TEXT,
    processed_at    BIGINT,
    answered_status INTEGER,
    dead_at         BIGINT
);
CREATE INDEX webhook_deliveries_work ON webhook_deliveries (queue, status, next_attempt_at);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
