-- PostgreSQL twin of ../0022_timestamps_one_form.sql (issue 15, point 4): every stored moment in one form, UTC with
-- microseconds (bot/db/timestamps.py), so that comparing the text compares the instants.
--
-- The same rows are rewritten to the same values as in SQLite: a value of the shape
-- 'YYYY-MM-DDTHH:MM:SS[.1 to 6 digits]+HH:MM' (or -HH:MM) that is not already in the one form gets its seconds moved
-- to UTC, its fraction padded to six digits, then '+00:00'. One regular expression states SQLite's GLOB and length
-- conditions together (a PostgreSQL substr with a negative length raises, and AND does not promise to short-circuit).
-- Anything of another shape is left as it is; rows already in the one form are not touched.

UPDATE readiness_sessions
SET started_at = to_char((substr(started_at, 1, 19) || right(started_at, 6))::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || '.' || rpad(COALESCE(substring(started_at FROM '^.{19}\.([0-9]{1,6})'), ''), 6, '0') || '+00:00'
WHERE started_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[+-][0-9]{2}:[0-9]{2}$'
  AND NOT (length(started_at) = 32 AND right(started_at, 6) = '+00:00');

UPDATE readiness_sessions
SET updated_at = to_char((substr(updated_at, 1, 19) || right(updated_at, 6))::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || '.' || rpad(COALESCE(substring(updated_at FROM '^.{19}\.([0-9]{1,6})'), ''), 6, '0') || '+00:00'
WHERE updated_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[+-][0-9]{2}:[0-9]{2}$'
  AND NOT (length(updated_at) = 32 AND right(updated_at, 6) = '+00:00');

UPDATE readiness_results
SET saved_at = to_char((substr(saved_at, 1, 19) || right(saved_at, 6))::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || '.' || rpad(COALESCE(substring(saved_at FROM '^.{19}\.([0-9]{1,6})'), ''), 6, '0') || '+00:00'
WHERE saved_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[+-][0-9]{2}:[0-9]{2}$'
  AND NOT (length(saved_at) = 32 AND right(saved_at, 6) = '+00:00');

UPDATE entry_votes
SET voted_at = to_char((substr(voted_at, 1, 19) || right(voted_at, 6))::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || '.' || rpad(COALESCE(substring(voted_at FROM '^.{19}\.([0-9]{1,6})'), ''), 6, '0') || '+00:00'
WHERE voted_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?[+-][0-9]{2}:[0-9]{2}$'
  AND NOT (length(voted_at) = 32 AND right(voted_at, 6) = '+00:00');
