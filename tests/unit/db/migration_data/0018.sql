-- Rows for 0018_vote_reasons.sql: a not-helpful vote with a reason and a note given in a server, one with a note but
-- no reason given in a DM, and one explained earlier whose reason was a choice only.
INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at, reason, reason_note, reason_guild_id, reason_at) VALUES
    ('soap', 402117894126911488, 0, '2026-03-05T10:00:00.000000+00:00', 'wrong',
     'The SOAP dates are last year''s: round 1 moved to Tuesday', 1183440317201907712,
     '2026-03-05T10:00:41.250000+00:00'),
    ('j1-waiver', 889013374520442910, 0, '2026-03-06T22:10:00.000000+00:00', NULL,
     'Nothing about the Conrad 30 in my state', NULL, '2026-03-06T22:11:05.000000+00:00'),
    ('step-2-ck', 511234987650123776, 0, '2026-03-07T08:00:00.000000+00:00', 'hard-to-read', NULL,
     1190021588230107136, '2026-03-07T08:00:09.500000+00:00');
