-- PostgreSQL twin of ../0010_study_checkins_latest.sql: a member's latest check-in in any server, read by the nudge
-- poll. id is in the index so that ORDER BY created_at DESC, id DESC is read from it (SQLite's rowid is implicit).
CREATE INDEX study_checkins_user_latest ON study_checkins (user_id, created_at, id);
