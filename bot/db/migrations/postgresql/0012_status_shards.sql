-- PostgreSQL twin of ../0012_status_shards.sql: the bot's gateway shards as of its last heartbeat.
CREATE TABLE status_shards (
    shard_id   BIGINT  PRIMARY KEY CHECK (shard_id >= 0),
    state      TEXT    NOT NULL CHECK (state IN ('ready', 'connecting', 'disconnected')),
    latency_ms DOUBLE PRECISION,
    guilds     BIGINT  NOT NULL CHECK (guilds >= 0)
);
