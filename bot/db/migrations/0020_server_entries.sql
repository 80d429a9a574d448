-- Issue 18, part 1: a server's own knowledge entries (/knowledge add), searched by /ask and /topic in that server only
-- and labelled as the server's, never as curated (bot/knowledge/server_entries.py).
--
-- An entry belongs to its server: created_by and updated_by name the moderators who added it and last changed it, shown
-- on the entry; /mydata export lists an entry to either of them, and /mydata delete un-names it (0 is never a Discord
-- id) and leaves it to the server. Titles are unique in a server by title_key (the title case-folded in Python, as
-- SQLite's lower() folds only ASCII). aliases are the "other names" as one comma-separated line, the way the form
-- shows and takes them: they are only ever read and written whole, with their entry. The text is kept as typed
-- (pings are neutralised where it is shown); the link is an https address, kept as typed. Ids are never reused
-- (AUTOINCREMENT): a button naming a removed entry must not open a new one.
CREATE TABLE server_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    title      TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    title_key  TEXT    NOT NULL,
    aliases    TEXT    NOT NULL DEFAULT '' CHECK (length(aliases) <= 1000),
    answer     TEXT    NOT NULL CHECK (length(answer) BETWEEN 1 AND 4000),
    link       TEXT    CHECK (link IS NULL OR length(link) <= 500),
    created_by INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    updated_by INTEGER NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE UNIQUE INDEX server_entries_title ON server_entries (guild_id, title_key);
CREATE INDEX server_entries_created_by ON server_entries (created_by) WHERE created_by != 0;
CREATE INDEX server_entries_updated_by ON server_entries (updated_by) WHERE updated_by != 0;

-- Servers the bot was removed from that still have entries: the entries go once the server's retention period (its
-- study-group setting, 30 days unless changed) has passed since left_at, unless the bot is back in the server first
-- (the row is then removed). Servers only, never a person.
CREATE TABLE server_entries_departures (
    guild_id INTEGER PRIMARY KEY,
    left_at  TEXT    NOT NULL
);
