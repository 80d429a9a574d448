-- PostgreSQL twin of ../0001_init.sql (same tables, columns in the same order; INTEGER is BIGINT here, as Discord
-- ids need 64 bits). Foundation: bot metadata, knowledge-base feedback and unanswered questions.

CREATE TABLE bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One vote per user per entry; a second click changes the vote instead of adding one.
CREATE TABLE entry_votes (
    entry_id   TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL,
    helpful    BIGINT  NOT NULL CHECK (helpful IN (0, 1)),
    voted_at   TEXT    NOT NULL,
    PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX entry_votes_user ON entry_votes (user_id);

-- Questions the knowledge base could not answer: the text only (normalised), never who asked.
CREATE TABLE unanswered_questions (
    question   TEXT    PRIMARY KEY,
    times      BIGINT  NOT NULL DEFAULT 1,
    first_seen TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL
);
