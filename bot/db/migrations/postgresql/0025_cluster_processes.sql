-- PostgreSQL twin of ../0025_cluster_processes.sql. Several processes of one bot, each running some of its shards
-- (SHARDS): each one's heartbeat, and which process holds a delivery's claim.
CREATE TABLE status_processes (
    instance   TEXT    PRIMARY KEY,
    slot       TEXT    NOT NULL,
    host       TEXT    NOT NULL,
    pid        BIGINT  NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('running', 'stopped')),
    started_at TEXT    NOT NULL,
    beat_at    TEXT    NOT NULL,
    latency_ms DOUBLE PRECISION,
    guilds     BIGINT  NOT NULL CHECK (guilds >= 0),
    jobs       BIGINT  NOT NULL CHECK (jobs >= 0)
);

ALTER TABLE deliveries ADD COLUMN claim_process TEXT;
