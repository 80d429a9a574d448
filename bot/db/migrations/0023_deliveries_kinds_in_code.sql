-- Issue 15, point 6: the deliveries table stops listing every feature's target kinds. Its CHECK did, so each feature
-- that posted on a schedule had to rebuild the table (0006, 0007, 0009, 0017: SQLite cannot change a CHECK in place).
-- The kinds are now checked in code, in the one place that inserts rows (bot/scheduling/delivery.py TARGET_KINDS);
-- this is the last rebuild. The CHECKs on status and late stay: they are the delivery protocol's, not a feature's.
--
-- Rows, columns (in the same order) and the five indexes are kept as they were. The migration runner runs this file
-- in one transaction with the version bump (bot/db/connection.py), so a crash or an error leaves the old table and
-- version untouched. Nothing references deliveries by foreign key, so dropping the old table checks and cascades
-- nothing.
CREATE TABLE deliveries_new (
    key            TEXT    PRIMARY KEY,
    group_key      TEXT    NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL,
    target_ref     TEXT    NOT NULL,
    offset_seconds INTEGER NOT NULL,
    occurs_at      TEXT    NOT NULL,
    fire_at        TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    late           INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    status         TEXT    NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'failed')),
    reason         TEXT,
    message_id     INTEGER,
    claimed_at     TEXT,
    finished_at    TEXT
);
INSERT INTO deliveries_new (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                            fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at)
    SELECT key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at, fire_at, nonce,
           late, status, reason, message_id, claimed_at, finished_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_fire_at ON deliveries (fire_at);
CREATE INDEX deliveries_status ON deliveries (status);
CREATE INDEX deliveries_guild ON deliveries (guild_id, finished_at);
CREATE INDEX deliveries_target ON deliveries (target_kind, target_ref);
CREATE INDEX deliveries_finished ON deliveries (finished_at);
