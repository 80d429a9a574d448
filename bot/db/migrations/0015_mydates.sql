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
