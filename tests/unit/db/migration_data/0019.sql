-- Rows for 0019_mock_interviews.sql (bot/interviews/mock_repository.py): a finished session of three members
-- in a study group (one table, with a second interviewer) and its feedback, and a session still waiting in its lobby
-- in another channel.

INSERT INTO mock_sessions (id, guild_id, channel_id, group_id, started_by, minutes, seed, phase, round, phase_ends_at,
                           message_id, shown, created_at, updated_at) VALUES
    (1, 1183449152834830386, 1183449153304596562, 3, 889013374520442910, 10, 1804289383, 'done', 2, NULL,
     1371234567890120001, 'done:2', '2026-12-09T18:00:00.000000+00:00', '2026-12-09T18:26:00.000000+00:00'),
    (2, 1183449152834830386, 1183449153304596999, 4, 889013374520442911, 15, 846930886, 'lobby', 0,
     '2026-12-10T19:30:00.000000+00:00', 1371234567890120077, 'lobby:0', '2026-12-10T19:00:00.000000+00:00',
     '2026-12-10T19:02:00.000000+00:00');

INSERT INTO mock_participants (session_id, user_id, joined_at) VALUES
    (1, 889013374520442910, '2026-12-09T18:00:00.000000+00:00'),
    (1, 889013374520442912, '2026-12-09T18:00:40.000000+00:00'),
    (1, 889013374520442913, '2026-12-09T18:01:05.000000+00:00'),
    (2, 889013374520442911, '2026-12-10T19:00:00.000000+00:00');

INSERT INTO mock_seats (session_id, table_no, seat, user_id) VALUES
    (1, 1, 'first', 889013374520442910),
    (1, 1, 'second', 889013374520442912),
    (1, 1, 'extra', 889013374520442913);

-- Round 1: the first and the extra interviewed the second; round 2: the second and the extra interviewed the first.
-- One form of round 2 was given by an interviewer who later deleted their data (author 0).
INSERT INTO mock_feedback (id, session_id, round, author_id, user_id, clarity, structure, content, strength,
                           suggestion, created_at, updated_at) VALUES
    (1, 1, 1, 889013374520442910, 889013374520442912, 4, 3, 4, 'A vivid ICU example with a clear result.',
     'Answer the gap question in two sentences, then move on.', '2026-12-09T18:12:00.000000+00:00',
     '2026-12-09T18:12:00.000000+00:00'),
    (2, 1, 1, 889013374520442913, 889013374520442912, 5, 4, 4, 'Calm, and looked at us.',
     'Say why this program, not only why the specialty.', '2026-12-09T18:12:30.000000+00:00',
     '2026-12-09T18:14:00.000000+00:00'),
    (3, 1, 2, 0, 889013374520442910, 3, 3, 4, 'Honest about the exam attempt.',
     'End each story with what you learned.', '2026-12-09T18:26:10.000000+00:00',
     '2026-12-09T18:26:10.000000+00:00');
