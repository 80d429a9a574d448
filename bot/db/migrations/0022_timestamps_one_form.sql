-- Issue 15, point 4: every stored moment in one form, UTC with microseconds (bot/db/timestamps.py), so that comparing
-- the text compares the instants (ORDER BY, < and > in SQL).
--
-- Two writers used another form before: readiness (readiness_sessions.started_at and updated_at,
-- readiness_results.saved_at) left the fraction out when it was zero, '2026-03-01T09:00:00+00:00', which sorts
-- before '2026-03-01T09:00:00.000000+00:00' although it is the same instant; knowledge votes (entry_votes.voted_at)
-- were written as the caller gave them, so possibly with another offset as well. Every other column was always written
-- in the one form. Each value of these columns of the shape 'YYYY-MM-DDTHH:MM:SS[.digits]+HH:MM' (or -HH:MM) that is
-- not already in the one form is rewritten: the seconds moved to UTC by SQLite (given without the fraction, which it
-- would round to milliseconds), then the fraction padded to six digits, then '+00:00'. The instant never changes;
-- anything of another shape is left as it is. Running it on rows already in the one form changes nothing.

UPDATE readiness_sessions
SET started_at = strftime('%Y-%m-%dT%H:%M:%S', substr(started_at, 1, 19) || substr(started_at, -6)) || '.'
    || CASE WHEN length(started_at) = 25 THEN '000000'
            ELSE substr(substr(started_at, 21, length(started_at) - 26) || '000000', 1, 6) END
    || '+00:00'
WHERE started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
  AND (length(started_at) = 25
       OR (substr(started_at, 20, 1) = '.' AND length(started_at) BETWEEN 27 AND 32
           AND substr(started_at, 21, length(started_at) - 26) NOT GLOB '*[^0-9]*'))
  AND NOT (length(started_at) = 32 AND substr(started_at, -6) = '+00:00');

UPDATE readiness_sessions
SET updated_at = strftime('%Y-%m-%dT%H:%M:%S', substr(updated_at, 1, 19) || substr(updated_at, -6)) || '.'
    || CASE WHEN length(updated_at) = 25 THEN '000000'
            ELSE substr(substr(updated_at, 21, length(updated_at) - 26) || '000000', 1, 6) END
    || '+00:00'
WHERE updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
  AND (length(updated_at) = 25
       OR (substr(updated_at, 20, 1) = '.' AND length(updated_at) BETWEEN 27 AND 32
           AND substr(updated_at, 21, length(updated_at) - 26) NOT GLOB '*[^0-9]*'))
  AND NOT (length(updated_at) = 32 AND substr(updated_at, -6) = '+00:00');

UPDATE readiness_results
SET saved_at = strftime('%Y-%m-%dT%H:%M:%S', substr(saved_at, 1, 19) || substr(saved_at, -6)) || '.'
    || CASE WHEN length(saved_at) = 25 THEN '000000'
            ELSE substr(substr(saved_at, 21, length(saved_at) - 26) || '000000', 1, 6) END
    || '+00:00'
WHERE saved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
  AND (length(saved_at) = 25
       OR (substr(saved_at, 20, 1) = '.' AND length(saved_at) BETWEEN 27 AND 32
           AND substr(saved_at, 21, length(saved_at) - 26) NOT GLOB '*[^0-9]*'))
  AND NOT (length(saved_at) = 32 AND substr(saved_at, -6) = '+00:00');

UPDATE entry_votes
SET voted_at = strftime('%Y-%m-%dT%H:%M:%S', substr(voted_at, 1, 19) || substr(voted_at, -6)) || '.'
    || CASE WHEN length(voted_at) = 25 THEN '000000'
            ELSE substr(substr(voted_at, 21, length(voted_at) - 26) || '000000', 1, 6) END
    || '+00:00'
WHERE voted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*[+-][0-9][0-9]:[0-9][0-9]'
  AND (length(voted_at) = 25
       OR (substr(voted_at, 20, 1) = '.' AND length(voted_at) BETWEEN 27 AND 32
           AND substr(voted_at, 21, length(voted_at) - 26) NOT GLOB '*[^0-9]*'))
  AND NOT (length(voted_at) = 32 AND substr(voted_at, -6) = '+00:00');
