-- Rows for 0022_timestamps_one_form.sql, which rewrites readiness and vote times in the one form
-- (bot/db/timestamps.py): what the code writes since, a fraction of zero included. A member who resumed an assessment
-- on the hour, saved its result and voted on an answer.
INSERT INTO readiness_sessions (user_id, answers, step_id, completed, started_at, updated_at) VALUES
    (511234987650123776, '{"graduation_year": 2022, "step1": "pass"}', 'step2ck', 0,
     '2026-03-10T08:00:00.000000+00:00', '2026-03-10T08:04:12.250000+00:00');

INSERT INTO readiness_results (id, user_id, saved_at, overall) VALUES
    (4, 511234987650123776, '2026-03-10T09:00:00.000000+00:00', 'needs_work');

INSERT INTO readiness_result_areas (result_id, area, status) VALUES
    (4, 'usmle', 'needs_work'),
    (4, 'visa', 'ready');

INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES
    ('match-week', 511234987650123776, 1, '2026-03-10T09:01:00.000000+00:00');
