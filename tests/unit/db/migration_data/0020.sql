-- Rows for 0020_server_entries.sql: two entries of one server (one with other names and a link, edited by a second
-- moderator; one whose author deleted their data, so it names nobody) and one of a server the bot was removed from.
INSERT INTO server_entries (id, guild_id, title, title_key, aliases, answer, link, created_by, created_at, updated_by,
                            updated_at) VALUES
    (1, 1183440317201907712, 'Study hall hours', 'study hall hours', 'study hall, voice room',
     'The study hall voice room is open every evening from 8 to 11 p.m. IST; see <#1183440317201907713>.',
     'https://example.org/img-study-hall/schedule', 402117894126911488, '2026-03-05T10:00:00.000000+00:00',
     511234987650123776, '2026-03-07T08:30:00.000000+00:00'),
    (2, 1183440317201907712, 'Mentorship program', 'mentorship program', '',
     'Matched residents mentor two members each cycle. Ask in #mentorship to join.', NULL, 0,
     '2026-03-06T12:00:00.000000+00:00', 0, '2026-03-06T12:00:00.000000+00:00'),
    (3, 1190021588230107136, 'Night owls Q-bank rules', 'night owls q-bank rules', 'qbank rules',
     'One block a night, timed, random; post your score in #late-night-qbank.', NULL, 889013374520442910,
     '2026-03-08T23:00:00.000000+00:00', 889013374520442910, '2026-03-08T23:00:00.000000+00:00');
INSERT INTO server_entries_departures (guild_id, left_at) VALUES
    (1190021588230107136, '2026-03-20T09:15:00.000000+00:00');
