-- Rows for the deliveries table as rebuilt by 0007_studygroup_nudges.sql: a streak nudge DM that was sent, and one
-- that failed because the member does not accept DMs (their nudges were then turned off). Nudges belong to no server
-- (guild_id 0) and are sent in a DM opened at send time (channel_id 0).
INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('sg:nudge:1183449153812250624:2026-02-18', 'sg-nudge:1183449153812250624', 0, 0, 'studygroup-nudge',
     '1183449153812250624', 0, '2026-02-18T15:30:00.000000+00:00', '2026-02-18T15:30:00.000000+00:00',
     'w3kq7mzx2bd5nt8vh4cy6rjpe', 0, 'sent', NULL, 1345678901234568123, '2026-02-18T15:30:02.110000+00:00',
     '2026-02-18T15:30:02.530000+00:00'),
    ('sg:nudge:1098765432109876777:2026-02-18', 'sg-nudge:1098765432109876777', 0, 0, 'studygroup-nudge',
     '1098765432109876777', 0, '2026-02-18T20:00:00.000000+00:00', '2026-02-18T20:00:00.000000+00:00',
     'p5tn8bx3mq6kd2zw7rh4cfy9s', 0, 'failed', 'no-permission: 403 50007 Cannot send messages to this user', NULL,
     '2026-02-18T20:00:01.000000+00:00', '2026-02-18T20:00:01.400000+00:00');
