-- Issue 17, interview practice and the rank draft: what a member chooses to keep, for themselves only.
--
-- interview_notes: a note on a practice answer ("Note my answer"). The question is copied as it was asked, so the
-- note still reads right when the bank rewords or drops the question later; question_id links it back while it
-- exists.
--
-- interview_log: the member's own interviews (/interview log), one row each. rank_position is the place in the rank
-- draft once the member has moved something there (NULL: not placed yet; the draft then orders by impression and
-- date); rank_note is the draft's note on that program. Nothing here is ever posted or sent to NRMP.
CREATE TABLE interview_notes (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    question_id TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE INDEX interview_notes_by_user ON interview_notes (user_id, id);

CREATE TABLE interview_log (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL,
    program        TEXT    NOT NULL,
    interview_date TEXT    NOT NULL,
    impression     INTEGER CHECK (impression BETWEEN 1 AND 5),
    notes          TEXT,
    rank_position  INTEGER,
    rank_note      TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX interview_log_by_user ON interview_log (user_id, interview_date);
