-- Issue 17, part 3: a member's own dates (exams, interviews, deadlines), with reminders by DM.
--
-- Ids are never reused (AUTOINCREMENT): a reminder's delivery key names its date's id, and a new date taking the
-- id of a removed one would find that date's reminders already sent. A date passed more than 30 days ago is
-- forgotten by the daily purge (bot/mydates/service.py).
CREATE TABLE my_dates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('step2ck', 'oet', 'interview', 'pathways', 'visa', 'custom')),
    title      TEXT,
    starts_at  TEXT    NOT NULL,
    timezone   TEXT    NOT NULL,
    reminders  TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX my_dates_by_user ON my_dates (user_id, starts_at);
CREATE INDEX my_dates_by_start ON my_dates (starts_at);

-- A member whose reminder DM Discord refused (50007: they do not accept DMs from the bot): their reminders are
-- paused until they next use /mydates, which tells them so once and deletes the row.
CREATE TABLE my_dates_dm_pauses (
    user_id   INTEGER PRIMARY KEY,
    paused_at TEXT    NOT NULL,
    about     TEXT    NOT NULL
);

-- Per server, opt-in: a study group's weekly recap there may count the member's exams of the next 14 days, and
-- name them only with named = 1. No row: not counted.
CREATE TABLE my_dates_sharing (
    user_id    INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    named      INTEGER NOT NULL CHECK (named IN (0, 1)),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, guild_id)
);

-- Reminders go through the exactly-once deliveries (claim, DM, record) as target kind 'mydate-reminder', so the
-- deliveries table is rebuilt with one more kind (SQLite cannot change a CHECK constraint in place); rows, columns
-- and indexes are kept as they were (as in 0009).
CREATE TABLE deliveries_new (
    key            TEXT    PRIMARY KEY,
    group_key      TEXT    NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                           'studygroup-recap', 'studygroup-nudge', 'discord-event',
                                                           'mydate-reminder')),
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
