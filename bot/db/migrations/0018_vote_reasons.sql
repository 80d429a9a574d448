-- Issue 14, "👎 asks why": the reason a member gives for marking an answer not helpful, and an optional note in their
-- words, kept with their vote (bot/knowledge/feedback.py).
--
-- On the vote row, so they are the member's like the vote: /mydata export shows them and /mydata delete removes them
-- with it; a vote changed to helpful clears them. reason_guild_id is the server they were given in (NULL: in a DM),
-- the only server whose moderators see them, never with who gave them. reason_at is when they were last given or
-- changed: the retention sweep clears all four columns 90 days later (the vote stays). The note (at most 300 characters
-- as typed) is stored with its pings already neutralised.
ALTER TABLE entry_votes ADD COLUMN reason TEXT
    CHECK (reason IN ('wrong', 'unanswered', 'hard-to-read', 'not-my-situation', 'other'));
ALTER TABLE entry_votes ADD COLUMN reason_note TEXT;
ALTER TABLE entry_votes ADD COLUMN reason_guild_id INTEGER;
ALTER TABLE entry_votes ADD COLUMN reason_at TEXT;
-- A server's report (WHERE COALESCE(reason_guild_id, 0) = ?, as for unanswered questions) and the retention sweep
-- (reason_at < ?) read only the explained votes, a small share of all votes.
CREATE INDEX entry_votes_reasons ON entry_votes (COALESCE(reason_guild_id, 0), reason_at) WHERE reason_at IS NOT NULL;
CREATE INDEX entry_votes_reason_at ON entry_votes (reason_at) WHERE reason_at IS NOT NULL;
