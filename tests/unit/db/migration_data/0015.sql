-- Rows for 0015_server_event_edits.sql (bot/milestones/repository.py): an event moved by /event edit after its
-- "1d" reminder went out for its first time, so that reminder is recorded under the first time's key.

INSERT INTO server_events (id, guild_id, channel_id, title, description, starts_at, zone, reminders, status,
                           paused_reason, created_by, created_at, announce_from) VALUES
    (15, 1183449152834830386, 1183449153304596562, 'Mock OET speaking exam', 'Moved one hour later.',
     '2026-05-12T15:00:00.000000+00:00', 'America/New_York', '1d,0', 'active', NULL, 889013374520442910,
     '2026-04-20T09:00:00.000000+00:00', '2026-05-11T16:30:00.000000+00:00');

INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('e:1183449152834830386:15:1d:20260512T140000Z', 'e:1183449152834830386:15:20260512T140000Z',
     1183449152834830386, 1183449153304596562, 'event', '15', 86400, '2026-05-12T14:00:00.000000+00:00',
     '2026-05-11T14:00:00.000000+00:00', 'q3v8mrk0c1xw5ztj6ha2bn4de', 0, 'sent', NULL, 1371234567890123456,
     '2026-05-11T14:00:00.180000+00:00', '2026-05-11T14:00:00.640000+00:00');
