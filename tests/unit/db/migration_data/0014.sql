-- Rows for 0014_server_welcomes.sql: a server welcomed in its system channel, and one whose welcome was claimed when
-- the bot stopped before it could record the message (it is never welcomed again).
INSERT INTO server_welcomes (guild_id, status, channel_id, message_id, claimed_at, sent_at) VALUES
    (1183440317201907712, 'sent', 1183440317201907713, 1190021588230107200, '2026-03-03T08:00:00.000000+00:00',
     '2026-03-03T08:00:00.412000+00:00'),
    (1190021588230107136, 'claimed', NULL, NULL, '2026-03-04T17:45:10.000000+00:00', NULL);
