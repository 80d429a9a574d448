-- PostgreSQL twin of ../0023_deliveries_kinds_in_code.sql (issue 15, point 6): the deliveries table stops listing
-- every feature's target kinds; they are checked in code (bot/scheduling/delivery.py TARGET_KINDS). SQLite rebuilds
-- the table; here the CHECK is dropped in place. Rows, columns, the other CHECKs and the five indexes are untouched.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_target_kind_check;
