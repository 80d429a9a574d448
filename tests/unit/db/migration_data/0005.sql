-- Rows for the tables created by 0005_studygroups.sql (bot/studygroups/repository.py): an active and an archived
-- group with the same name (allowed by the partial unique index), current and former members, check-ins with and
-- without the optional figures, and the settings and departure tables.

INSERT INTO study_groups (id, guild_id, channel_id, name, name_key, checkin_time, timezone, weekdays, created_at,
                          updated_at, archived_at) VALUES
    (1, 1183449152834830386, 1183449153304596563, 'Step 2 CK — Früh', 'step 2 ck — früh', '07:30',
     'Europe/Berlin', 'mon,tue,wed,thu,fri', '2026-01-05T06:00:00.000000+00:00', '2026-01-05T06:00:00.000000+00:00',
     '2026-02-01T10:00:00.000000+00:00'),
    (2, 1183449152834830386, 1183449153304596563, 'Step 2 CK — früh', 'step 2 ck — früh', '06:45',
     'Europe/Berlin', 'mon,wed,fri', '2026-02-01T10:05:00.000000+00:00', '2026-02-15T19:22:31.440000+00:00', NULL),
    (3, 1098765432109876543, 1098765432109876601, 'ERAS writers', 'eras writers', '21:00', 'Asia/Kolkata', 'sun',
     '2026-02-08T15:30:00.000000+00:00', '2026-02-08T15:30:00.000000+00:00', NULL);

INSERT INTO study_group_members (group_id, guild_id, user_id, joined_at, left_at, left_reason) VALUES
    (1, 1183449152834830386, 402117894126911488, '2026-01-05T06:10:00.000000+00:00', NULL, NULL),
    (2, 1183449152834830386, 402117894126911488, '2026-02-01T10:06:00.000000+00:00', NULL, NULL),
    (2, 1183449152834830386, 889013374520442910, '2026-02-02T07:00:00.000000+00:00',
     '2026-02-20T12:00:00.000000+00:00', 'left'),
    (2, 1183449152834830386, 776553290118815744, '2026-02-03T05:55:00.000000+00:00',
     '2026-02-25T08:30:00.000000+00:00', 'left_server'),
    (3, 1098765432109876543, 776553290118815744, '2026-02-08T15:31:00.000000+00:00', NULL, NULL);

INSERT INTO study_checkins (id, group_id, guild_id, user_id, local_date, timezone, studied, questions,
                            percent_correct, minutes, blockers, created_at, updated_at) VALUES
    (1, 2, 1183449152834830386, 402117894126911488, '2026-02-16', 'Europe/Berlin',
     'UWorld cardiology block, reviewed all incorrects', 40, 72, 185, NULL, '2026-02-16T06:50:00.000000+00:00',
     '2026-02-16T20:14:09.300000+00:00'),
    (2, 2, 1183449152834830386, 402117894126911488, '2026-02-17', 'Europe/Berlin', 'Anki only', NULL, NULL, 30,
     'Night shift', '2026-02-17T21:45:00.000000+00:00', '2026-02-17T21:45:00.000000+00:00'),
    (3, 3, 1098765432109876543, 776553290118815744, '2026-02-15', 'Asia/Kolkata',
     'Drafted the personal statement opening', NULL, NULL, NULL, NULL, '2026-02-15T16:05:00.000000+00:00',
     '2026-02-15T16:05:00.000000+00:00');

INSERT INTO study_member_settings (user_id, timezone, nudge, updated_at) VALUES
    (402117894126911488, 'Europe/Berlin', 1, '2026-02-01T10:06:30.000000+00:00'),
    (776553290118815744, NULL, 0, '2026-02-08T15:31:10.000000+00:00');

INSERT INTO study_guild_settings (guild_id, retention_days, updated_at) VALUES
    (1183449152834830386, 14, '2026-01-05T06:02:00.000000+00:00'),
    (1098765432109876543, 0, '2026-02-08T15:29:00.000000+00:00');

INSERT INTO study_departures (guild_id, user_id, left_at) VALUES
    (1183449152834830386, 776553290118815744, '2026-02-25T08:30:00.000000+00:00');
