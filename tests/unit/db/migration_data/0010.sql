-- Rows for 0010_study_checkins_latest.sql, which only adds an index on study_checkins (user_id, created_at): a later
-- check-in by the member of 0005.sql in the same group, so the index holds a member with several check-ins.
INSERT INTO study_checkins (id, group_id, guild_id, user_id, local_date, timezone, studied, questions,
                            percent_correct, minutes, blockers, created_at, updated_at) VALUES
    (90, 2, 1183449152834830386, 402117894126911488, '2026-03-02', 'Europe/Berlin', 'Step 2 CK NBME 11, reviewed',
     200, 68, 300, NULL, '2026-03-02T19:30:00.000000+00:00', '2026-03-02T19:30:00.000000+00:00');
