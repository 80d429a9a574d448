-- PostgreSQL twin of ../0009_milestone_discord_events.sql: Discord scheduled events for the big milestones. One more
-- delivery target kind, replaced in place where SQLite rebuilds the table.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_target_kind_check,
    ADD CONSTRAINT deliveries_target_kind_check CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                                  'studygroup-recap', 'studygroup-nudge', 'discord-event'));

CREATE TABLE milestone_discord_event_settings (
    guild_id   BIGINT  PRIMARY KEY,
    enabled    BIGINT  NOT NULL CHECK (enabled IN (0, 1)),
    problem    TEXT,
    updated_at TEXT    NOT NULL
);

CREATE TABLE milestone_discord_events (
    guild_id      BIGINT  NOT NULL,
    milestone_uid TEXT    NOT NULL,
    match_year    BIGINT  NOT NULL,
    event_id      BIGINT  NOT NULL,
    starts_at     TEXT    NOT NULL,
    ends_at       TEXT    NOT NULL,
    projected     BIGINT  NOT NULL CHECK (projected IN (0, 1)),
    fingerprint   TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('active', 'gone')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, milestone_uid, match_year)
);
