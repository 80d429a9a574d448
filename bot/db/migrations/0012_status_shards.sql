-- The bot's gateway shards as of its last heartbeat, for `imgbot status` (another process). Replaced at every beat
-- together with status_heartbeat; no rows before the first heartbeat of a bot that shards (every bot since 0012).
-- state: 'ready' once the shard's servers have all arrived (or it resumed), 'connecting' while it identifies or waits
-- for its turn, 'disconnected' while its connection is down. latency_ms is NULL until it acknowledged a heartbeat.
CREATE TABLE status_shards (
    shard_id   INTEGER PRIMARY KEY CHECK (shard_id >= 0),
    state      TEXT    NOT NULL CHECK (state IN ('ready', 'connecting', 'disconnected')),
    latency_ms REAL,
    guilds     INTEGER NOT NULL CHECK (guilds >= 0)
);
