-- PostgreSQL twin of ../0026_server_event_ping.sql: whether a server event's reminders ping the announcement role;
-- existing events keep pinging (DEFAULT 1).
ALTER TABLE server_events ADD COLUMN ping BIGINT NOT NULL DEFAULT 1 CHECK (ping IN (0, 1));
