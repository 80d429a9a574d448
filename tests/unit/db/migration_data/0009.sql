-- Rows for 0009_milestone_discord_events.sql: a server that opted in to Discord scheduled events and got Match Week
-- 2027 (projected) created, and a server whose bot lacked Manage Events (the refusal is recorded, creating stopped).
INSERT INTO milestone_discord_event_settings (guild_id, enabled, problem, updated_at) VALUES
    (1100000000000000001, 1, NULL, '2026-12-01T10:00:00.000000+00:00'),
    (1100000000000000002, 1, 'no-permission', '2026-12-01T11:00:00.000000+00:00');
INSERT INTO milestone_discord_events (guild_id, milestone_uid, match_year, event_id, starts_at, ends_at, projected,
                                      fingerprint, state, created_at, updated_at) VALUES
    (1100000000000000001, 'match-week-2027', 2027, 1300000000000000001, '2027-03-15T14:00:00.000000+00:00',
     '2027-03-15T15:00:00.000000+00:00', 1, '3f2a9c1d7e5b4a60', 'active', '2026-12-01T10:00:01.000000+00:00',
     '2026-12-01T10:00:01.000000+00:00');
INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('de:1100000000000000001:match-week-2027', 'de:1100000000000000001:match-week-2027', 1100000000000000001, 0,
     'discord-event', 'match-week-2027', 0, '2027-03-15T14:00:00.000000+00:00', '2026-12-01T10:00:00.000000+00:00',
     'k4d8s2m6q9w3x7b5n1r8t4y2c', 0, 'sent', NULL, 1300000000000000001, '2026-12-01T10:00:00.500000+00:00',
     '2026-12-01T10:00:01.000000+00:00');
