-- Rows for 0013_privacy_ledger_unanswered_scope.sql: the same question asked in two servers and one asked in a DM, a
-- deletion this database has applied, and the ledger's key (bot/deletion_ledger.py writes it in bot_meta).
INSERT INTO unanswered_questions (guild_id, question, times, first_seen, last_seen) VALUES
    (1183440317201907712, 'night float schedule in pgy1', 2, '2026-03-01T10:00:00.000000+00:00',
     '2026-03-02T09:30:00.000000+00:00'),
    (1190021588230107136, 'night float schedule in pgy1', 1, '2026-03-02T11:12:13.000000+00:00',
     '2026-03-02T11:12:13.000000+00:00'),
    (NULL, 'best pizza near my rotation', 1, '2026-03-02T12:00:00.000000+00:00', '2026-03-02T12:00:00.000000+00:00');

INSERT INTO deletion_ledger (entry, user_hash) VALUES
    ('5b0e2f6f4c3a4d1e9a7b8c6d5e4f3a2b', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');

INSERT INTO bot_meta (key, value) VALUES
    ('deletion_ledger_key', '4e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f');
