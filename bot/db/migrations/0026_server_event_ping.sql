-- /event add ping: whether a server event's reminders ping the server's announcement role. Until now every event's
-- reminders did, so existing events keep doing so (DEFAULT 1); /event add stores the moderator's choice, no ping
-- unless asked for.
ALTER TABLE server_events ADD COLUMN ping INTEGER NOT NULL DEFAULT 1 CHECK (ping IN (0, 1));
