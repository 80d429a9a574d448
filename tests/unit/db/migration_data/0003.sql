-- Rows for the tables created by 0003_readiness.sql (bot/readiness/repository.py): one assessment in progress, one
-- finished but not yet saved, and saved results with their areas.

INSERT INTO readiness_sessions (user_id, answers, step_id, completed, started_at, updated_at) VALUES
    (402117894126911488, '{"graduation_year": 2024, "step1": "pass", "step2_score": 238}', 'usce', 0,
     '2026-03-01T09:00:00+00:00', '2026-03-01T09:03:27.118000+00:00'),
    (889013374520442910, '{"ecfmg": "certified", "graduation_year": 2019, "visa": "j1"}', NULL, 1,
     '2026-02-27T22:10:00+00:00', '2026-02-27T22:16:45.002000+00:00');

INSERT INTO readiness_results (id, user_id, saved_at, overall) VALUES
    (1, 889013374520442910, '2026-01-15T12:00:00+00:00', 'at_risk'),
    (2, 889013374520442910, '2026-02-27T22:17:01.500000+00:00', 'needs_work'),
    (3, 776553290118815744, '2026-02-20T16:45:12+00:00', 'on_track');

INSERT INTO readiness_result_areas (result_id, area, status) VALUES
    (1, 'usmle', 'red_flag'),
    (1, 'ecfmg', 'needs_work'),
    (1, 'usce', 'needs_work'),
    (2, 'usmle', 'ready'),
    (2, 'ecfmg', 'ready'),
    (2, 'usce', 'needs_work'),
    (2, 'visa', 'needs_work'),
    (3, 'timing', 'ready'),
    (3, 'letters', 'ready');
