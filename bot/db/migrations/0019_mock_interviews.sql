-- Issue 17, mock interviews in a study group (/interview mock).
--
-- mock_sessions: one session in a study group's channel. phase and round are where it is (bot/interviews/mock.py);
-- phase_ends_at is when its timer fires (re-armed from here at start-up). message_id is the session's latest public
-- message and shown the state it shows ('round:2'), so a message missed by a restart is posted once, not twice.
-- seed fixes the questions each table gets. started_by is 0 once the starter deleted their data (/mydata delete):
-- the session goes on for the others. At most one running session per channel (the partial unique index).
--
-- mock_participants: who joined, in order. mock_seats: the tables made at the start; seat 'first' interviews
-- 'second' in round 1 and the other way round in round 2, 'extra' interviews in both. Earlier sessions' seats are
-- the group's pair history.
--
-- mock_feedback: the short form an interviewer fills in for the candidate (user_id), read only by that candidate.
-- author_id is 0 once the interviewer deleted their data: the feedback stays with the candidate it was written for.
CREATE TABLE mock_sessions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    group_id      INTEGER NOT NULL,
    started_by    INTEGER NOT NULL,
    minutes       INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 60),
    seed          INTEGER NOT NULL,
    phase         TEXT    NOT NULL CHECK (phase IN ('lobby', 'round', 'break', 'done', 'cancelled')),
    round         INTEGER NOT NULL CHECK (round BETWEEN 0 AND 2),
    phase_ends_at TEXT,
    message_id    INTEGER,
    shown         TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX mock_sessions_running_in_channel ON mock_sessions (channel_id)
    WHERE phase IN ('lobby', 'round', 'break');
CREATE INDEX mock_sessions_by_group ON mock_sessions (group_id);

CREATE TABLE mock_participants (
    session_id INTEGER NOT NULL REFERENCES mock_sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    joined_at  TEXT    NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX mock_participants_by_user ON mock_participants (user_id);

CREATE TABLE mock_seats (
    session_id INTEGER NOT NULL REFERENCES mock_sessions (id) ON DELETE CASCADE,
    table_no   INTEGER NOT NULL CHECK (table_no >= 1),
    seat       TEXT    NOT NULL CHECK (seat IN ('first', 'second', 'extra')),
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id),
    UNIQUE (session_id, table_no, seat)
);
CREATE INDEX mock_seats_by_user ON mock_seats (user_id);

CREATE TABLE mock_feedback (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES mock_sessions (id) ON DELETE CASCADE,
    round      INTEGER NOT NULL CHECK (round IN (1, 2)),
    author_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    clarity    INTEGER NOT NULL CHECK (clarity BETWEEN 1 AND 5),
    structure  INTEGER NOT NULL CHECK (structure BETWEEN 1 AND 5),
    content    INTEGER NOT NULL CHECK (content BETWEEN 1 AND 5),
    strength   TEXT    NOT NULL,
    suggestion TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX mock_feedback_one_per_interviewer ON mock_feedback (session_id, round, author_id)
    WHERE author_id != 0;
CREATE INDEX mock_feedback_by_user ON mock_feedback (user_id);
CREATE INDEX mock_feedback_by_author ON mock_feedback (author_id);
