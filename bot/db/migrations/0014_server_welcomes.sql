-- Issue 14, onboarding: the one welcome the bot posts when it joins a server, ever.
--
-- The row is written before the message is sent (status 'claimed') and completed after it ('sent', with where the
-- message went), so neither a restart nor the bot being removed and invited again posts a second welcome. A crash
-- between the two leaves 'claimed', and that server is not welcomed again either: a second welcome is worse than
-- none. A welcome that could not be posted at all (no channel the bot may write in) leaves no row, so a later
-- invitation with the permissions in place welcomes the server then. Servers only, never a person.
CREATE TABLE server_welcomes (
    guild_id   INTEGER PRIMARY KEY,
    status     TEXT    NOT NULL CHECK (status IN ('claimed', 'sent')),
    channel_id INTEGER,
    message_id INTEGER,
    claimed_at TEXT    NOT NULL,
    sent_at    TEXT
);
