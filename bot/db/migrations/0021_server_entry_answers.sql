-- Issue 18, part 3, "What moderators learn": how often each of a server's own entries was the answer to /ask, so
-- /knowledge report can show the entries asked for most (candidates for the curated base).
--
-- A count on the entry, of the server's members together, never of who asked: it goes with the entry (removed, or
-- the server's data deleted after the bot left), and editing the entry keeps it. last_answered is when /ask last
-- answered with it (NULL: never), which breaks ties in the report.
ALTER TABLE server_entries ADD COLUMN times_answered INTEGER NOT NULL DEFAULT 0 CHECK (times_answered >= 0);
ALTER TABLE server_entries ADD COLUMN last_answered TEXT;
