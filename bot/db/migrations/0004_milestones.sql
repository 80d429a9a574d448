-- Milestone announcements and server events: what must be posted, where, and what was posted.
-- Schedules are derived from these tables at every start (bot/milestones/announcer.py); nothing lives only in memory.
-- Timestamps are ISO 8601 UTC text with microseconds, so they compare correctly as text.

-- One subscription per server. reminders NULL: each milestone kind's own defaults (bot/cycle/models.py KIND_INFO);
-- otherwise offsets before each milestone such as '7d,1d,0'. Nothing due before active_since is posted (it is set
-- on setup and on resume), so subscribing or resuming never posts old reminders as "late".
CREATE TABLE milestone_subscriptions (
    guild_id      INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL,
    role_id       INTEGER,
    reminders     TEXT,
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_reason TEXT,
    configured_by INTEGER NOT NULL,
    active_since  TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX milestone_subscriptions_status ON milestone_subscriptions (status);

-- A server's own dates (a mock exam, a webinar). starts_at is UTC; zone is the IANA zone it was given in.
CREATE TABLE server_events (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    starts_at     TEXT    NOT NULL,
    zone          TEXT    NOT NULL,
    reminders     TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_reason TEXT,
    created_by    INTEGER NOT NULL,
    created_at    TEXT    NOT NULL
);
CREATE INDEX server_events_guild ON server_events (guild_id, starts_at);
CREATE INDEX server_events_starts ON server_events (status, starts_at);

-- One row per delivery, keyed by server, milestone or event, occurrence and reminder: the exactly-once record.
-- status: claimed (before sending), sent, skipped (missed beyond the grace window, or superseded), failed (the
-- server must fix something). The target columns let a claim left by a crash be rebuilt and sent again.
CREATE TABLE deliveries (
    key            TEXT    PRIMARY KEY,
    group_key      TEXT    NOT NULL,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('milestone', 'event')),
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
CREATE INDEX deliveries_fire_at ON deliveries (fire_at);
CREATE INDEX deliveries_status ON deliveries (status);
CREATE INDEX deliveries_guild ON deliveries (guild_id, finished_at);
