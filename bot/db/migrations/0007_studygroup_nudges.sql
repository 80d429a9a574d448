-- Streak nudges (a DM to a member whose streak breaks tonight) go through the same exactly-once deliveries as prompts
-- and recaps. SQLite cannot change a CHECK constraint in place, so the table is rebuilt with one more target kind;
-- rows, columns and indexes are kept as they were. A nudge row names its member (target_ref is the user id, and the
-- key holds it): /mydata delete removes those rows, and they are pruned a few days after their day (bot/privacy.py).
CREATE TABLE deliveries_new (
    key            TEXT    PRIMARY KEY,
    group_key      TEXT    NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                           'studygroup-recap', 'studygroup-nudge')),
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
-- Finding one member's nudges (export, delete) without scanning every delivery.
CREATE INDEX deliveries_target ON deliveries (target_kind, target_ref);
