-- Issue 16 part 2: several processes of one bot, each running some of its shards (SHARDS), sharing one database.
--
-- Each process's heartbeat (status_heartbeat keeps the one of a bot run as one process, as before): `imgbot status`
-- lists them, and a process tells from them whether the claim another process holds is still being worked on. The
-- instance is new at every start (slot, then a random part); slot is the process's shards ('0-3/8').
CREATE TABLE status_processes (
    instance   TEXT    PRIMARY KEY,
    slot       TEXT    NOT NULL,
    host       TEXT    NOT NULL,
    pid        INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('running', 'stopped')),
    started_at TEXT    NOT NULL,
    beat_at    TEXT    NOT NULL,
    latency_ms REAL,
    guilds     INTEGER NOT NULL CHECK (guilds >= 0),
    jobs       INTEGER NOT NULL CHECK (jobs >= 0)
);

-- Which process claimed a delivery (NULL: a process that was not part of a cluster, or a claim from before this
-- migration). Another process recovers the claim only once that one is gone (bot/scheduling/delivery.py). Not named
-- claimed_by: to the privacy check (bot/privacy.py) a column ending in _by holds a person's id.
ALTER TABLE deliveries ADD COLUMN claim_process TEXT;
