-- Rows for 0026_server_event_ping.sql (bot/milestones/repository.py): an event added with /event add ping: False,
-- whose reminders post without pinging the announcement role.

INSERT INTO server_events (id, guild_id, channel_id, title, description, starts_at, zone, reminders, status,
                           paused_reason, created_by, created_at, announce_from, ping) VALUES
    (26, 1183449152834830386, 1183449153304596562, 'Webinar: writing your personal statement', '',
     '2026-06-02T23:00:00.000000+00:00', 'Asia/Kolkata', '1d,0', 'active', NULL, 889013374520442910,
     '2026-05-20T09:00:00.000000+00:00', '2026-05-20T09:00:00.000000+00:00', 0);
