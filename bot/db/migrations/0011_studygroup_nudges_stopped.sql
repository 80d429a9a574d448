-- When the bot switched a member's streak nudges off because a DM could not reach them, so /settings can say why
-- their reminders are off. NULL when it did not, and again once the member changes their settings themselves.
ALTER TABLE study_member_settings ADD COLUMN nudges_stopped_at TEXT;
