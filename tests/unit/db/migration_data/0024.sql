-- Rows for 0024_community_questions.sql: a server with a forum as its help channel; a named question answered, an
-- anonymous one not yet answered, one whose asker was forgotten (asked_by 0) and one being posted (no thread yet).
INSERT INTO community_settings (guild_id, help_channel_id, updated_at) VALUES
    (1183440317201907712, 1183440317201907720, '2026-03-10T08:00:00.000000+00:00');
INSERT INTO community_questions (id, guild_id, channel_id, thread_id, message_id, question, stage, asked_by, anonymous,
                                 asked_at, answer_message_id, answered_at) VALUES
    (1, 1183440317201907712, 1183440317201907720, 1183440317201907801, 1183440317201907801,
     'Does the NBME score converter still work for the new Step 2 CK scale?', 'usmle', 402117894126911488, 0,
     '2026-03-11T19:05:00.000000+00:00', 1183440317201907855, '2026-03-12T07:40:00.000000+00:00'),
    (2, 1183440317201907712, 1183440317201907720, 1183440317201907802, 1183440317201907802,
     'Can I apply to prelim surgery and categorical IM in the same cycle?', 'eras', 511234987650123776, 1,
     '2026-03-14T22:30:00.000000+00:00', NULL, NULL),
    (3, 1183440317201907712, 1183440317201907720, 1183440317201907803, 1183440317201907803,
     'Where do people in this server study at night?', 'other', 0, 1,
     '2025-11-02T01:10:00.000000+00:00', NULL, NULL),
    (4, 1183440317201907712, 1183440317201907720, NULL, NULL,
     'Is a 6-month observership enough USCE?', 'usce', 889013374520442910, 0,
     '2026-03-15T10:00:00.000000+00:00', NULL, NULL);
