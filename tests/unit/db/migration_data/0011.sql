-- Rows for 0011_studygroup_nudges_stopped.sql: a member whose nudges the bot switched off after their DMs failed.
INSERT INTO study_member_settings (user_id, timezone, nudge, updated_at, nudges_stopped_at) VALUES
    (402117894126911511, 'Asia/Kolkata', 0, '2026-03-02T15:30:04.000000+00:00', '2026-03-02T15:30:04.000000+00:00');
