-- PostgreSQL twin of ../0021_server_entry_answers.sql (issue 18, part 3): how often each server entry answered /ask.
ALTER TABLE server_entries ADD COLUMN times_answered BIGINT NOT NULL DEFAULT 0 CHECK (times_answered >= 0);
ALTER TABLE server_entries ADD COLUMN last_answered TEXT;
