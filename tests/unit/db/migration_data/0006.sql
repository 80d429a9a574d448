-- Rows for the deliveries table as rebuilt by 0006_studygroup_deliveries.sql: a study group's prompt that was sent,
-- one skipped beyond its grace window, and a weekly recap left claimed by a crash.
INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('sg:prompt:2:2026-02-16', 'sg:2', 1183449152834830386, 1183449153304596563, 'studygroup-prompt', '2', 0,
     '2026-02-16T05:45:00.000000+00:00', '2026-02-16T05:45:00.000000+00:00', 'qk4r2jxw7mb5tzn6yfh3cd8pa', 0, 'sent',
     NULL, 1345678901234567999, '2026-02-16T05:45:00.120000+00:00', '2026-02-16T05:45:00.480000+00:00'),
    ('sg:prompt:2:2026-02-18', 'sg:2', 1183449152834830386, 1183449153304596563, 'studygroup-prompt', '2', 0,
     '2026-02-18T05:45:00.000000+00:00', '2026-02-18T05:45:00.000000+00:00', 'b7ns2qd5xh4vwe3rkt6mz8lcy', 0,
     'skipped', 'missed beyond the grace window', NULL, NULL, '2026-02-18T09:12:00.000000+00:00'),
    ('sg:recap:3:2026-W07', 'sg:3', 1098765432109876543, 1098765432109876601, 'studygroup-recap', '3', 0,
     '2026-02-15T17:30:00.000000+00:00', '2026-02-15T17:30:00.000000+00:00', 'h2mx6vb9pq4dz7ks3wn5rte8f', 1,
     'claimed', NULL, NULL, '2026-02-15T18:02:00.000000+00:00', NULL);
