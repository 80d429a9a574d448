-- Study groups: groups bound to a channel, their members, daily check-ins, members' own settings, and how long a
-- server keeps the data of members who left. Times are ISO 8601 UTC text; local dates are YYYY-MM-DD text.
-- Deliveries (which prompt or recap went out) belong to bot/scheduling, not here.

-- A group posts its prompt in one channel or thread at checkin_time (HH:MM, wall clock in `timezone`, an IANA name)
-- on `weekdays` (e.g. 'mon,wed,fri'). Archiving keeps the group and its history but stops prompts and check-ins.
-- name_key is the name case-folded in Python (SQLite's lower() only folds ASCII), for uniqueness and lookups.
-- Who created a group is not kept: nothing needs it, and it would be one more personal datum to track.
CREATE TABLE study_groups (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    checkin_time TEXT    NOT NULL,
    timezone     TEXT    NOT NULL,
    weekdays     TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    archived_at  TEXT
);
CREATE UNIQUE INDEX study_groups_active_name ON study_groups (guild_id, name_key) WHERE archived_at IS NULL;
-- One active group per channel: the prompt's button must know which group it belongs to without asking.
CREATE UNIQUE INDEX study_groups_active_channel ON study_groups (channel_id) WHERE archived_at IS NULL;
CREATE INDEX study_groups_guild ON study_groups (guild_id);

-- Membership. Leaving sets left_at (and why) instead of deleting, so that a member who left the server gets their
-- groups back if they return within the retention period; the row goes when their data is purged or deleted.
CREATE TABLE study_group_members (
    group_id    INTEGER NOT NULL REFERENCES study_groups (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    joined_at   TEXT    NOT NULL,
    left_at     TEXT,
    left_reason TEXT CHECK (left_reason IN ('left', 'left_server')),
    PRIMARY KEY (group_id, user_id),
    CHECK ((left_at IS NULL) = (left_reason IS NULL))
);
CREATE INDEX study_group_members_user ON study_group_members (guild_id, user_id);

-- One check-in per member per local day per group; a second one that day updates the first (upsert).
-- local_date is the member's calendar day in `timezone`, their zone at the time of the check-in: it is never
-- recomputed, so a member who moves keeps their past days. Hours are kept as whole minutes so totals add up exactly.
CREATE TABLE study_checkins (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES study_groups (id) ON DELETE CASCADE,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    local_date      TEXT    NOT NULL,
    timezone        TEXT    NOT NULL,
    studied         TEXT    NOT NULL CHECK (length(studied) BETWEEN 1 AND 1000),
    questions       INTEGER CHECK (questions BETWEEN 0 AND 10000),
    percent_correct INTEGER CHECK (percent_correct BETWEEN 0 AND 100),
    minutes         INTEGER CHECK (minutes BETWEEN 0 AND 1440),
    blockers        TEXT    CHECK (blockers IS NULL OR length(blockers) <= 1000),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    UNIQUE (group_id, user_id, local_date)
);
CREATE INDEX study_checkins_member ON study_checkins (guild_id, user_id, local_date);
CREATE INDEX study_checkins_group_date ON study_checkins (group_id, local_date);

-- A member's own settings, the same in every server: their zone (for their days and times) and the opt-in nudge.
CREATE TABLE study_member_settings (
    user_id    INTEGER PRIMARY KEY,
    timezone   TEXT,
    nudge      INTEGER NOT NULL DEFAULT 0 CHECK (nudge IN (0, 1)),
    updated_at TEXT    NOT NULL
);

-- How long a server keeps the study-group data of a member who left it (default 30 days when there is no row).
CREATE TABLE study_guild_settings (
    guild_id       INTEGER PRIMARY KEY,
    retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 0 AND 365),
    updated_at     TEXT    NOT NULL
);

-- Members who left a server, and when: their data there is purged once the server's retention has passed, unless
-- they come back first (the row is then removed).
CREATE TABLE study_departures (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    left_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX study_departures_left ON study_departures (left_at);
