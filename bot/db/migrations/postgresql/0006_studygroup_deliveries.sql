-- PostgreSQL twin of ../0006_studygroup_deliveries.sql: two more delivery target kinds. PostgreSQL replaces the CHECK
-- in place, where SQLite rebuilds the table; rows, columns and indexes are untouched.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_target_kind_check,
    ADD CONSTRAINT deliveries_target_kind_check CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                                  'studygroup-recap'));
