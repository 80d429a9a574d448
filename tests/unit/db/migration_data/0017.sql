-- Rows for 0017_mydates.sql: a member's Step 2 CK exam and a custom date (one without reminders), another member's
-- interview; the second member could not be DMed, and shares (named) in one server while the first shares unnamed;
-- the first member's 7-day reminder was sent by DM (a delivery row of the new kind).
INSERT INTO my_dates (id, user_id, kind, title, starts_at, timezone, reminders, created_at) VALUES
    (1, 731245678901234567, 'step2ck', NULL, '2027-03-04T03:30:00.000000+00:00', 'Asia/Kolkata', '7d,1d,2h',
     '2026-12-01T10:00:00.000000+00:00'),
    (2, 731245678901234567, 'custom', 'Mock OET speaking', '2027-01-15T14:00:00.000000+00:00', 'Europe/London', '',
     '2026-12-02T09:15:00.000000+00:00'),
    (3, 845129876543210987, 'interview', 'Mayo Clinic IM', '2027-01-09T14:00:00.000000+00:00', 'America/Chicago',
     '1d,2h', '2026-12-03T18:00:00.000000+00:00');
INSERT INTO my_dates_dm_pauses (user_id, paused_at, about) VALUES
    (845129876543210987, '2027-01-08T14:00:00.412000+00:00', 'Interview: Mayo Clinic IM');
INSERT INTO my_dates_sharing (user_id, guild_id, named, updated_at) VALUES
    (731245678901234567, 1183440317201907712, 0, '2026-12-01T10:01:00.000000+00:00'),
    (845129876543210987, 1183440317201907712, 1, '2026-12-03T18:01:00.000000+00:00');
INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at,
                        fire_at, nonce, late, status, reason, message_id, claimed_at, finished_at) VALUES
    ('md:731245678901234567:1:604800', 'md:731245678901234567:1', 0, 0, 'mydate-reminder', '731245678901234567',
     604800, '2027-03-04T03:30:00.000000+00:00', '2027-02-25T03:30:00.000000+00:00', 'q3x7n2kd8w4m9c5b1v6z0t2yh',
     0, 'sent', NULL, 1190021588230107300, '2027-02-25T03:30:00.104000+00:00', '2027-02-25T03:30:00.388000+00:00');
