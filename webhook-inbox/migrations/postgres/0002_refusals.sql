-- Refused deliveries (bad signature, stale, oversize): a count per endpoint and reason, and a
-- bounded sample of the latest (time, reason, source address, size; never a body). Times are
-- Unix milliseconds.
CREATE TABLE webhook_refusal_counts (
    endpoint TEXT NOT NULL,
    reason   TEXT NOT NULL,
    refused  BIGINT NOT NULL,
    last_at  BIGINT NOT NULL,
    PRIMARY KEY (endpoint, reason)
);
CREATE TABLE webhook_refusal_samples (
    id       BIGSERIAL PRIMARY KEY,
    endpoint TEXT NOT NULL,
    at       BIGINT NOT NULL,
    reason   TEXT NOT NULL,
    source   TEXT,
    size     BIGINT NOT NULL
);
CREATE INDEX webhook_refusal_samples_endpoint ON webhook_refusal_samples (endpoint, id);
