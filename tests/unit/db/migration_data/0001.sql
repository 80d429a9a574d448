-- Rows for the tables created by 0001_init.sql, as the bot writes them (bot/app.py, bot/knowledge/repository.py,
-- bot/scheduling/delivery.py). Discord ids are full-size snowflakes so that 64-bit integers are checked too.

INSERT INTO bot_meta (key, value) VALUES
    ('commands_hash:1183440317201907712:global', '5f0c3a9be2d14e7f8a61c0b2d9e3f4a7'),
    ('watermark:milestones', '2026-03-02T14:05:09.123456+00:00');

INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES
    ('ecfmg-certification', 402117894126911488, 1, '2026-02-11T09:12:44.518203+00:00'),
    ('ecfmg-certification', 889013374520442910, 0, '2026-02-12T21:40:03.004417+00:00'),
    ('cv-and-experiences', 402117894126911488, 1, '2026-02-14T07:01:59.771530+00:00');

INSERT INTO unanswered_questions (question, times, first_seen, last_seen) VALUES
    ('how many letters of recommendation for a prelim year', 3, '2026-01-20T18:22:10.000000+00:00',
     '2026-02-28T11:03:41.250000+00:00'),
    ('does the ecfmg accept a notarised copy of the diploma', 1, '2026-02-02T08:15:00.120000+00:00',
     '2026-02-02T08:15:00.120000+00:00');
