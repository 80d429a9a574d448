-- PostgreSQL twin of ../0014_server_welcomes.sql (issue 14): the one welcome the bot posts when it joins a server.
CREATE TABLE server_welcomes (
    guild_id   BIGINT  PRIMARY KEY,
    status     TEXT    NOT NULL CHECK (status IN ('claimed', 'sent')),
    channel_id BIGINT,
    message_id BIGINT,
    claimed_at TEXT    NOT NULL,
    sent_at    TEXT
);
