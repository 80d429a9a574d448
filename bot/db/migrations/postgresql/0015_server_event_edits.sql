-- PostgreSQL twin of ../0015_server_event_edits.sql (issue 14, /event edit): reminders due before announce_from are
-- not posted; for existing events it is when they were added.
ALTER TABLE server_events ADD COLUMN announce_from TEXT;
UPDATE server_events SET announce_from = created_at;
