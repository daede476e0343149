-- Refused deliveries (bad signature, stale, oversize): a count per endpoint and reason, and a
-- bounded sample of the latest (time, reason, source address, size; never a body). Times are
-- Unix milliseconds.
CREATE TABLE webhook_refusal_counts (
    endpoint TEXT NOT NULL,
    reason   TEXT NOT NULL,
    refused  INTEGER NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (endpoint, reason)
);
CREATE TABLE webhook_refusal_samples (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint TEXT NOT NULL,
    at       INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    source   TEXT,
    size     INTEGER NOT NULL
);
CREATE INDEX webhook_refusal_samples_endpoint ON webhook_refusal_samples (endpoint, id);
