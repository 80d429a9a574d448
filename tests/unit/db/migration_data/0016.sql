-- Rows for 0016_interviews.sql: a member's practice notes (one on a question the bank may later drop), and their
-- interview log: one program already placed in the rank draft with a note, one not placed yet, one with no
-- impression or notes; and another member's entry, which must stay theirs.
INSERT INTO interview_notes (id, user_id, question_id, question, note, created_at) VALUES
    (1, 731245678901234567, 'tell-me-about-yourself', 'Tell me about yourself.',
     'Too long (3 min). Start with Lagos, then ICU years, then why IM. Cut the school list.',
     '2026-12-08T14:02:11.000000+00:00'),
    (2, 731245678901234567, 'old-question-since-removed', 'Why should we choose you?',
     'Used the sepsis story; say the result in numbers.', '2026-12-09T09:30:00.000000+00:00');
INSERT INTO interview_log (id, user_id, program, interview_date, impression, notes, rank_position, rank_note,
                           created_at, updated_at) VALUES
    (1, 731245678901234567, 'Mercy Hospital Internal Medicine', '2026-12-15', 4,
     'Friendly residents; sponsors J-1 only. PD asked about my 2019 gap.', 1, 'J-1 is fine for me; strong fellowship match.',
     '2026-12-15T20:00:00.000000+00:00', '2026-12-20T08:00:00.000000+00:00'),
    (2, 731245678901234567, 'Riverside Community IM', '2027-01-08', 5, 'H-1B possible. Small program, good teaching.',
     NULL, NULL, '2027-01-08T22:10:00.000000+00:00', '2027-01-08T22:10:00.000000+00:00'),
    (3, 731245678901234567, 'Lakeview Family Medicine', '2027-01-20', NULL, NULL, NULL, NULL,
     '2027-01-20T18:00:00.000000+00:00', '2027-01-20T18:00:00.000000+00:00'),
    (4, 845129876543210987, 'Mercy Hospital Internal Medicine', '2026-12-16', 3, 'Long commute.', NULL, NULL,
     '2026-12-16T19:00:00.000000+00:00', '2026-12-16T19:00:00.000000+00:00');
