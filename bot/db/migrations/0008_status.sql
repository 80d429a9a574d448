-- Observability: the running bot's heartbeat, which `imgbot status` (another process) reads to tell whether the bot
-- is alive, and its recent errors with the reference shown to users and printed in the log line.

-- One row, replaced at every heartbeat (about every minute, at ready and at a clean stop). latency_ms is NULL until
-- the gateway acknowledged a heartbeat. A beat_at much older than a minute with state 'running' means the process
-- died without stopping cleanly.
CREATE TABLE status_heartbeat (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    pid        INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('running', 'stopped')),
    started_at TEXT    NOT NULL,
    beat_at    TEXT    NOT NULL,
    latency_ms REAL,
    guilds     INTEGER NOT NULL CHECK (guilds >= 0),
    jobs       INTEGER NOT NULL CHECK (jobs >= 0)
);

-- The last errors (the bot keeps about 100 rows): when, the reference, and where and what, never who. The full
-- traceback is in the log, on the line carrying the same reference.
CREATE TABLE error_log (
    id          INTEGER PRIMARY KEY,
    reference   TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    summary     TEXT    NOT NULL
);
CREATE INDEX error_log_occurred ON error_log (occurred_at);

-- `imgbot status` counts the deliveries finished in the last 24 hours.
CREATE INDEX deliveries_finished ON deliveries (finished_at);
