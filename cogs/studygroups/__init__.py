"""Peer study groups: /studygroup (members), /studygroup-admin (Manage Channels), /studygroup-retention (Manage
Server), /checkin, /progress and /settings; streak nudges by DM; members leaving and coming back (the member
events, and a daily check with Discord for what happened while the bot was offline). /privacy and /mydata, which
cover every feature, are ``cogs.privacy``.

Managing groups sits in its own command, because ``default_permissions`` applies to a whole top-level command:
on /studygroup it would hide join and list from the members the groups are for. Personal screens are ephemeral.
Buttons are DynamicItems whose state is in the custom_id (the group id), so they keep working after a restart.
The rules live in ``bot.studygroups``; this package only turns its values into messages: ``commands`` holds the
commands, ``checkin`` and ``progress`` their modal and buttons, ``member_events`` the member events. The scheduled
prompts, recaps and nudges go through ``bot.adapters.studygroup_posts``, the daily member check through
``bot.adapters.member_directory``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ui.checkin_button import CheckInButton
from cogs.studygroups.checkin import FixCheckInButton
from cogs.studygroups.commands import StudyGroupsCog
from cogs.studygroups.member_events import StudyGroupMembersCog
from cogs.studygroups.progress import ShareProgressButton

if TYPE_CHECKING:
    from bot.app import ImgBot


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(CheckInButton, FixCheckInButton, ShareProgressButton)
    await bot.add_cog(StudyGroupsCog(bot))
    await bot.add_cog(StudyGroupMembersCog(bot))
