-- Rows for the table created by 0012_status_shards.sql: a bot of two shards, one of them reconnecting.
INSERT INTO status_shards (shard_id, state, latency_ms, guilds) VALUES
    (0, 'ready', 41.0, 1),
    (1, 'connecting', NULL, 1);
