-- PostgreSQL twin of ../0007_studygroup_nudges.sql: one more delivery target kind (streak nudges), replaced in place
-- where SQLite rebuilds the table.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_target_kind_check,
    ADD CONSTRAINT deliveries_target_kind_check CHECK (target_kind IN ('milestone', 'event', 'studygroup-prompt',
                                                                  'studygroup-recap', 'studygroup-nudge'));
-- Finding one member's nudges (export, delete) without scanning every delivery.
CREATE INDEX deliveries_target ON deliveries (target_kind, target_ref);
