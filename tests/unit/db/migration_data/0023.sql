-- Rows for 0023_deliveries_kinds_in_code.sql, which rebuilt the deliveries table without its list of target kinds: a
-- study group's weekly recap posted an hour late after a restart, and a Match Day announcement claimed when the
-- process stopped (its outcome unknown until the next start looks for it).
INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('sg:recap:2:2026-W11', 'sg:2', 1183449152834830386, 1183449153304596563, 'studygroup-recap', '2', 0,
     '2026-03-15T22:00:00.000000+00:00', '2026-03-15T22:00:00.000000+00:00', 'h3w8c5nq2ytk7mr4zb6dx9fpe', 1, 'sent',
     NULL, 1351234567890123456, '2026-03-15T23:02:11.402000+00:00', '2026-03-15T23:02:11.870000+00:00'),
    ('m:1183440317201907712:match-day-2026:0:20260320T1600Z', 'm:1183440317201907712:match-day-2026:20260320T1600Z',
     1183440317201907712, 1183440317201907714, 'milestone', 'match-day-2026', 0,
     '2026-03-20T16:00:00.000000+00:00', '2026-03-20T16:00:00.000000+00:00', 'p6v2k9xr4dm7tq3wn8cz5bfhy', 0, 'claimed',
     NULL, NULL, '2026-03-20T16:00:00.215000+00:00', NULL);
