-- PostgreSQL twin of ../0018_vote_reasons.sql (issue 14, "👎 asks why"): the reason and note given with a vote.
ALTER TABLE entry_votes ADD COLUMN reason TEXT
    CHECK (reason IN ('wrong', 'unanswered', 'hard-to-read', 'not-my-situation', 'other'));
ALTER TABLE entry_votes ADD COLUMN reason_note TEXT;
ALTER TABLE entry_votes ADD COLUMN reason_guild_id BIGINT;
ALTER TABLE entry_votes ADD COLUMN reason_at TEXT;
CREATE INDEX entry_votes_reasons ON entry_votes (COALESCE(reason_guild_id, 0), reason_at) WHERE reason_at IS NOT NULL;
CREATE INDEX entry_votes_reason_at ON entry_votes (reason_at) WHERE reason_at IS NOT NULL;
