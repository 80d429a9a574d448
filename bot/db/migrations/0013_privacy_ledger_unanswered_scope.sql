-- Issue 13, deletion and retention.
--
-- Unanswered questions belong to the server they were asked in: /knowledge report shows each server only its own.
-- guild_id is NULL for a question asked in a DM, and for the rows recorded before this migration, whose server was
-- never kept: they are visible to no server (only `imgbot kb report` lists them) and are purged like every row, 90
-- days after they were last asked (bot/knowledge/repository.py). The table is rebuilt because one question may now
-- be asked in many servers (the old primary key was the question alone).
CREATE TABLE unanswered_questions_0013 (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,
    question   TEXT    NOT NULL,
    times      INTEGER NOT NULL DEFAULT 1,
    first_seen TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL
);
INSERT INTO unanswered_questions_0013 (guild_id, question, times, first_seen, last_seen)
    SELECT NULL, question, times, first_seen, last_seen FROM unanswered_questions;
DROP TABLE unanswered_questions;
ALTER TABLE unanswered_questions_0013 RENAME TO unanswered_questions;
-- One row per question per server (DM questions share "server" 0, which is never a Discord id); the same index
-- serves a server's report (WHERE COALESCE(guild_id, 0) = ?).
CREATE UNIQUE INDEX unanswered_questions_per_server ON unanswered_questions (COALESCE(guild_id, 0), question);
CREATE INDEX unanswered_questions_last_seen ON unanswered_questions (last_seen);

-- The deletions this database has applied (bot/deletion_ledger.py). The ledger itself is a file beside the database,
-- which a restore does not replace; an entry there that is missing here is a deletion this database has not seen
-- (it was restored from an older backup), so it is applied again at start-up. Only a random entry id and a keyed hash
-- of the member's id (the key is in bot_meta and in the ledger file), never the id itself.
CREATE TABLE deletion_ledger (
    entry     TEXT PRIMARY KEY,
    user_hash TEXT NOT NULL
);
