-- Rows for the tables created by 0002_quiz.sql (bot/quiz/repository.py): finished, stopped and expired runs, one
-- running solo quiz and one running group quiz (the partial unique indexes), and answers including one whose run was
-- deleted (run_id NULL after ON DELETE SET NULL).

INSERT INTO quiz_runs (id, mode, status, guild_id, channel_id, user_id, topic, started_at, updated_at, finished_at,
                       state) VALUES
    (1, 'solo', 'finished', 1183449152834830386, 1183449153304596560, 402117894126911488, 'documents',
     '2026-02-10T19:00:00.000001+00:00', '2026-02-10T19:04:12.482000+00:00', '2026-02-10T19:04:12.482000+00:00', '{}'),
    (2, 'group', 'stopped', 1183449152834830386, 1183449153304596561, 889013374520442910, NULL,
     '2026-02-11T20:30:00.000000+00:00', '2026-02-11T20:41:07.310955+00:00', '2026-02-11T20:41:07.310955+00:00', '{}'),
    (3, 'review', 'expired', NULL, 1207733186405101609, 402117894126911488, 'usmle',
     '2026-02-12T06:45:30.500000+00:00', '2026-02-12T07:45:30.500000+00:00', '2026-02-12T07:45:30.500000+00:00', '{}'),
    (4, 'solo', 'running', NULL, 1207733186405101609, 402117894126911488, 'ecfmg',
     '2026-03-01T10:00:00.000000+00:00', '2026-03-01T10:01:15.250000+00:00', NULL,
     '{"questions": ["ecfmg-pathway-deadline", "ecfmg-oet"], "position": 1, "score": 1}'),
    (5, 'group', 'running', 1183449152834830386, 1183449153304596561, 889013374520442910, 'eras',
     '2026-03-01T20:00:00.000000+00:00', '2026-03-01T20:02:40.000000+00:00', NULL,
     '{"questions": ["eras-opens", "eras-tokens"], "position": 0, "answers": {}}');

INSERT INTO quiz_answers (id, run_id, position, user_id, guild_id, question_id, topic, correct, points,
                          answered_at) VALUES
    (1, 1, 0, 402117894126911488, 1183449152834830386, 'documents-lor-per-program', 'documents', 1, 10,
     '2026-02-10T19:01:02.000000+00:00'),
    (2, 1, 1, 402117894126911488, 1183449152834830386, 'documents-lor-waive', 'documents', 0, 0,
     '2026-02-10T19:02:48.900000+00:00'),
    (3, 2, 0, 889013374520442910, 1183449152834830386, 'eras-opens', 'eras', 1, 7,
     '2026-02-11T20:31:10.000000+00:00'),
    (4, 2, 0, 402117894126911488, 1183449152834830386, 'eras-opens', 'eras', 1, 5,
     '2026-02-11T20:31:14.000000+00:00'),
    (5, 4, 0, 402117894126911488, NULL, 'ecfmg-pathway-deadline', 'ecfmg', 1, 10,
     '2026-03-01T10:01:15.250000+00:00'),
    (6, NULL, 3, 776553290118815744, 1183449152834830386, 'usmle-step2-score', 'usmle', 0, 0,
     '2026-01-05T15:20:00.000000+00:00');
