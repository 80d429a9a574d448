-- PostgreSQL twin of ../0011_studygroup_nudges_stopped.sql: when the bot switched a member's streak nudges off.
ALTER TABLE study_member_settings ADD COLUMN nudges_stopped_at TEXT;
