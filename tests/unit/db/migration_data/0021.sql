-- Rows for 0021_server_entry_answers.sql: an entry of a server that /ask answered with 14 times, the last on
-- 2026-03-21 (the entries of 0020 keep 0 and NULL).
INSERT INTO server_entries (id, guild_id, title, title_key, aliases, answer, link, created_by, created_at, updated_by,
                            updated_at, times_answered, last_answered) VALUES
    (4, 1183440317201907712, 'Resources channel', 'resources channel', 'free resources, pdfs',
     'Pinned in <#1183440317201907714>: the NBME score converter, the ERAS checklist and last cycle''s program list.',
     NULL, 402117894126911488, '2026-03-09T09:00:00.000000+00:00', 402117894126911488,
     '2026-03-09T09:00:00.000000+00:00', 14, '2026-03-21T18:42:10.125000+00:00');
