-- Issue 18, part 2, "Ask the community" (bot/knowledge/community.py): each server's help channel, and the questions
-- members posted there from /ask when it had no reviewed answer.
--
-- The help channel a moderator set with /knowledge settings or /setup (a forum or a text channel); a server that has
-- none has no row. Servers only, never a person.
CREATE TABLE community_settings (
    guild_id        INTEGER PRIMARY KEY,
    help_channel_id INTEGER NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- One row per question posted. channel_id is the help channel it went to; thread_id the forum post or the thread on
-- the question's message, and message_id that message (NULL both while it is being posted: the row is written first,
-- so that the cooldown holds when a member presses twice, and removed if Discord refuses the post). stage is the
-- pathway stage the question was tagged with ('other': none). answer_message_id is the reply marked as the answer.
--
-- asked_by is the asker, kept privately also when they posted anonymously (anonymous = 1: the post shows no name):
-- so that they, and nobody else but moderators, can mark the answer, and find the question in /mydata export. It is
-- set to 0 (never a Discord id) ASKER_KEPT (90 days) after the question was asked, or at /mydata delete; the post
-- stays the server's. The rows go with the server's other data after its retention period once the bot is removed
-- from the server (server_entries_departures). Ids are never reused (AUTOINCREMENT).
CREATE TABLE community_questions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    thread_id         INTEGER UNIQUE,
    message_id        INTEGER,
    question          TEXT    NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    stage             TEXT    NOT NULL,
    asked_by          INTEGER NOT NULL,
    anonymous         INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    asked_at          TEXT    NOT NULL,
    answer_message_id INTEGER,
    answered_at       TEXT
);
-- The cooldown (a member's latest question in a server), /mydata, and forgetting askers after 90 days.
CREATE INDEX community_questions_asker ON community_questions (asked_by, guild_id, asked_at) WHERE asked_by != 0;
CREATE INDEX community_questions_asked_at ON community_questions (asked_at) WHERE asked_by != 0;
CREATE INDEX community_questions_guild ON community_questions (guild_id);
