-- Readiness self-assessment: the assessment in progress (so a dismissed one can be resumed) and opt-in saved results.

-- One in-progress assessment per member. The answers are a small JSON document (bot/readiness/models.py Answers)
-- rather than one column per question: they only live until the member finishes or cancels, nothing queries inside
-- them, and questions can be added without a migration. step_id is the question being shown (NULL once all are
-- answered); completed = 1 once the result was shown, so it is offered for saving, not for resuming.
CREATE TABLE readiness_sessions (
    user_id    INTEGER PRIMARY KEY,
    answers    TEXT    NOT NULL,
    step_id    TEXT,
    completed  INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    started_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX readiness_sessions_updated ON readiness_sessions (updated_at);

-- Saved results ("track my progress"), only when the member asks. Only the levels are kept, never the answers:
-- /readiness history needs nothing more.
CREATE TABLE readiness_results (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL,
    saved_at TEXT    NOT NULL,
    overall  TEXT    NOT NULL CHECK (overall IN ('on_track', 'needs_work', 'at_risk'))
);
CREATE INDEX readiness_results_user ON readiness_results (user_id, saved_at);

CREATE TABLE readiness_result_areas (
    result_id INTEGER NOT NULL REFERENCES readiness_results (id) ON DELETE CASCADE,
    area      TEXT    NOT NULL,
    status    TEXT    NOT NULL CHECK (status IN ('ready', 'needs_work', 'red_flag')),
    PRIMARY KEY (result_id, area)
);
