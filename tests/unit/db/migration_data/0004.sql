-- Rows for the tables created by 0004_milestones.sql (bot/milestones/repository.py, bot/scheduling/delivery.py):
-- an active and a paused subscription, an active and a paused event, and deliveries in every status.

INSERT INTO milestone_subscriptions (guild_id, channel_id, role_id, reminders, status, paused_reason, configured_by,
                                     active_since, created_at, updated_at) VALUES
    (1183449152834830386, 1183449153304596562, 1183449152834830390, '7d,1d,0', 'active', NULL, 889013374520442910,
     '2026-01-10T08:00:00.000000+00:00', '2026-01-10T08:00:00.000000+00:00', '2026-01-10T08:00:00.000000+00:00'),
    (1098765432109876543, 1098765432109876600, NULL, NULL, 'paused', 'missing_permissions', 776553290118815744,
     '2026-02-01T12:30:00.000000+00:00', '2025-12-20T17:45:10.000000+00:00', '2026-02-03T09:12:00.400000+00:00');

INSERT INTO server_events (id, guild_id, channel_id, title, description, starts_at, zone, reminders, status,
                           paused_reason, created_by, created_at) VALUES
    (1, 1183449152834830386, 1183449153304596562, 'Mock interview night', 'Bring your ERAS experiences list.',
     '2026-04-18T14:00:00.000000+00:00', 'America/New_York', '1d,0', 'active', NULL, 889013374520442910,
     '2026-03-01T18:20:05.000000+00:00'),
    (2, 1098765432109876543, 1098765432109876600, 'Step 2 CK study hall', '', '2026-02-20T23:30:00.000000+00:00',
     'Asia/Kolkata', '0', 'paused', 'channel_deleted', 776553290118815744, '2026-02-05T10:00:00.000000+00:00');

INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('m:1183449152834830386:eras-opens-2026:1d:20260605T1500Z', 'm:1183449152834830386:eras-opens-2026:20260605T1500Z',
     1183449152834830386, 1183449153304596562, 'milestone', 'eras-opens-2026', 86400,
     '2026-06-05T15:00:00.000000+00:00', '2026-06-04T15:00:00.000000+00:00', 'dagmk73a26z43mdiml27pwzn2', 0,
     'claimed', NULL, NULL, '2026-06-04T15:00:00.210000+00:00', NULL),
    ('m:1183449152834830386:rol-deadline-2027:7d:20270304T0200Z',
     'm:1183449152834830386:rol-deadline-2027:20270304T0200Z', 1183449152834830386, 1183449153304596562, 'milestone',
     'rol-deadline-2027', 604800, '2027-03-04T02:00:00.000000+00:00', '2027-02-25T02:00:00.000000+00:00',
     'nhvlbaerpi7xtksi3tly5zdsq', 1, 'sent', NULL, 1345678901234567890, '2027-02-25T02:03:10.000000+00:00',
     '2027-02-25T02:03:10.650000+00:00'),
    ('m:1183449152834830386:rol-deadline-2027:0:20270304T0200Z',
     'm:1183449152834830386:rol-deadline-2027:20270304T0200Z', 1183449152834830386, 1183449153304596562, 'milestone',
     'rol-deadline-2027', 0, '2027-03-04T02:00:00.000000+00:00', '2027-03-04T02:00:00.000000+00:00',
     '5rz6vs3iu3vb6vh5bnvng5cgc', 0, 'skipped', 'missed beyond the grace window', NULL, NULL,
     '2027-03-05T08:00:00.000000+00:00'),
    ('e:1183449152834830386:1:1d:20260418T140000Z', 'e:1183449152834830386:1:20260418T140000Z', 1183449152834830386,
     1183449153304596562, 'event', '1', 86400, '2026-04-18T14:00:00.000000+00:00', '2026-04-17T14:00:00.000000+00:00',
     'eocxblygnsj3nedyfinr2k2n4', 0, 'failed', 'missing_permissions', NULL, '2026-04-17T14:00:00.050000+00:00',
     '2026-04-17T14:00:01.000000+00:00');
