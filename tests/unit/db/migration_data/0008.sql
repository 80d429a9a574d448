-- Rows for the tables created by 0008_status.sql: a bot that was running a minute before the snapshot, and two errors.
INSERT INTO status_heartbeat (id, pid, state, started_at, beat_at, latency_ms, guilds, jobs) VALUES
    (1, 48213, 'running', '2026-02-16T05:40:00.000000+00:00', '2026-02-16T07:41:00.250000+00:00', 42.5, 2, 17);
INSERT INTO error_log (reference, occurred_at, summary) VALUES
    ('3f9a1c', '2026-02-16T06:02:11.412000+00:00', '/ask: RuntimeError: search index not loaded'),
    ('b07e44', '2026-02-16T07:15:59.003000+00:00', 'ms:2027:eras-opens:7d: HTTPException: 503 Service Unavailable');
