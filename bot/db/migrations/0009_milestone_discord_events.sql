-- Discord scheduled events for the big milestones (Match Week, SOAP, Match Day), created once per server that opted
-- in (bot/milestones/discord_events.py). Creating one goes through the exactly-once deliveries (claim, create,
-- record), so the deliveries table is rebuilt with one more target kind (SQLite cannot change a CHECK constraint in
-- place); rows, columns and indexes are kept as they were.
CREATE TABLE deliveries_new (
    key            TEXT    PRIMARY KEY,
    group_key      TEXT    NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                           'studygroup-recap', 'studygroup-nudge', 'discord-event')),
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

-- A server's choice (/announcements scheduled-events). problem: why creating stopped (Discord refused: the bot lacks
-- Manage Events), NULL while all is well; switching it on again clears it. Who switched it is not stored: a refusal
-- is told to the admin who set up the announcements (milestone_subscriptions.configured_by), else the owner.
CREATE TABLE milestone_discord_event_settings (
    guild_id   INTEGER PRIMARY KEY,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    problem    TEXT,
    updated_at TEXT    NOT NULL
);

-- The Discord event made for one milestone in one server, so it is made once and moved (PATCH) when the data file's
-- date changes. fingerprint: a digest of the name, description, location and times last sent; state 'gone' when an
-- admin deleted the event in Discord (it is not made again).
CREATE TABLE milestone_discord_events (
    guild_id      INTEGER NOT NULL,
    milestone_uid TEXT    NOT NULL,
    match_year    INTEGER NOT NULL,
    event_id      INTEGER NOT NULL,
    starts_at     TEXT    NOT NULL,
    ends_at       TEXT    NOT NULL,
    projected     INTEGER NOT NULL CHECK (projected IN (0, 1)),
    fingerprint   TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('active', 'gone')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, milestone_uid, match_year)
);
