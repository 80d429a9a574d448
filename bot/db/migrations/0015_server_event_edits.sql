-- Issue 14, /event edit: a server event can be changed after it was added (its time, reminders, channel, text).
--
-- announce_from: reminders due before this instant are not posted. It is when the event was added (the rule so far,
-- read from created_at) or last moved to another time or given other reminders: a reminder whose new time has
-- already passed at the edit was never due and is not posted late. Reminders already posted for an earlier time of
-- the event are found in the deliveries table and are not posted again.
ALTER TABLE server_events ADD COLUMN announce_from TEXT;
UPDATE server_events SET announce_from = created_at;
