-- Rows for 0025_cluster_processes.sql: two processes of a cluster, one running and one stopped, and a delivery one of
-- them claimed.
INSERT INTO status_processes (instance, slot, host, pid, state, started_at, beat_at, latency_ms, guilds, jobs) VALUES
    ('0-3/8:4f1c2a9e07b3', '0-3/8', 'bot-a', 4121, 'running', '2026-03-20T06:00:00.000000+00:00',
     '2026-03-20T09:41:00.000000+00:00', 41.5, 3011, 12),
    ('4-7/8:a9d03e5c11f2', '4-7/8', 'bot-b', 977, 'stopped', '2026-03-19T22:10:00.000000+00:00',
     '2026-03-20T05:59:30.000000+00:00', NULL, 2987, 12);
UPDATE deliveries SET claim_process = '0-3/8:4f1c2a9e07b3' WHERE key = (SELECT MIN(key) FROM deliveries);
