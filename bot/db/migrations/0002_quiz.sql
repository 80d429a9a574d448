-- Knowledge quizzes: running and past quiz runs, and every answer given.

-- One row per quiz. While a quiz runs, `state` holds its session as JSON so that it survives a bot restart; when it
-- ends, the state is cleared (the answers table keeps what stats need), so no one's answers linger in a blob.
CREATE TABLE quiz_runs (
    id          INTEGER PRIMARY KEY,
    mode        TEXT    NOT NULL CHECK (mode IN ('solo', 'review', 'group')),
    status      TEXT    NOT NULL CHECK (status IN ('running', 'finished', 'stopped', 'expired')),
    guild_id    INTEGER,                 -- NULL for a quiz in direct messages
    channel_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,        -- the player (solo, review) or the member who started it (group)
    topic       TEXT,                    -- NULL for a mixed quiz
    started_at  TEXT    NOT NULL,        -- ISO 8601 UTC, microseconds, so text order is time order
    updated_at  TEXT    NOT NULL,
    finished_at TEXT,
    state       TEXT    NOT NULL DEFAULT '{}'
);

-- One running quiz per user (solo and review count as one) and one running group quiz per channel. The service checks
-- first to give a friendly message; these indexes make two simultaneous starts impossible anyway.
CREATE UNIQUE INDEX quiz_runs_one_running_per_user
    ON quiz_runs (user_id) WHERE status = 'running' AND mode IN ('solo', 'review');
CREATE UNIQUE INDEX quiz_runs_one_running_per_channel
    ON quiz_runs (channel_id) WHERE status = 'running' AND mode = 'group';
CREATE INDEX quiz_runs_status ON quiz_runs (status);

-- One row per answer. `position` is the question's place in its run, so a member is recorded at most once per question.
CREATE TABLE quiz_answers (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES quiz_runs (id) ON DELETE SET NULL,
    position    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    guild_id    INTEGER,
    question_id TEXT    NOT NULL,
    topic       TEXT    NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points      INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    answered_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX quiz_answers_once_per_question ON quiz_answers (run_id, position, user_id);
CREATE INDEX quiz_answers_user_question ON quiz_answers (user_id, question_id, answered_at);
CREATE INDEX quiz_answers_guild_time ON quiz_answers (guild_id, answered_at);
