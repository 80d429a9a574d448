-- A member's latest check-in in any server (StudyGroupRepository.latest_check_in: WHERE user_id = ? ORDER BY
-- created_at DESC, id DESC LIMIT 1) gives the zone of a member who asked for streak nudges without setting one; the
-- nudge poll asks it for every such member every ten minutes. The existing index on check-ins starts with guild_id,
-- so without this one each lookup scanned the whole table. The rowid (id) follows created_at in every index entry,
-- so the ORDER BY is read from the index too.
CREATE INDEX study_checkins_user_latest ON study_checkins (user_id, created_at);
