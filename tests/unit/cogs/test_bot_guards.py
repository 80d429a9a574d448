"""Whole-bot guards: every cog loads, names are unique, and every definition fits Discord's limits."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands

from bot.app import EXTENSIONS, ImgBot
from bot.content import Content
from bot.ui.checkin_button import STUDY_GROUPS_COG, CheckInButton, CheckInOpener
from bot.ui.knowledge_entry import EntryOpener
from bot.ui.permissions import ServerPermissionCheck
from bot.ui.quiz_buttons import QUIZ_COG, GroupAnswerButton, GroupAnswerTaker
from tests.conftest import make_settings

NAME = re.compile(r"^[-_'\w]{1,32}$")


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[ImgBot]:
    instance = ImgBot(make_settings(tmp_path), content)
    await instance.prepare()
    try:
        yield instance
    finally:
        await instance.close()


def walk(command: Any) -> Iterator[dict[str, Any]]:
    yield command
    for option in command.get("options", []):
        if option["type"] in (1, 2):
            yield from walk(option)


async def test_every_extension_loads(bot: ImgBot) -> None:
    assert set(bot.extensions) == set(EXTENSIONS)
    assert bot.cogs


async def test_command_definitions_fit_discord(bot: ImgBot) -> None:
    every = [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
    # Context-menu commands (Apps → …) have their own rules: a name as people read it, no description, 15 a type.
    menus = [p for p in every if p.get("type", 1) != 1]
    payloads = [p for p in every if p.get("type", 1) == 1]
    for menu in menus:
        assert 1 <= len(menu["name"]) <= 32 and not menu.get("description"), menu
    assert len({(m["type"], m["name"]) for m in menus}) == len(menus) <= 15
    names = [p["name"] for p in payloads]
    assert len(names) == len(set(names)), "duplicate top-level command names"
    assert len(payloads) <= 100
    for payload in payloads:
        for command in walk(payload):
            name = command["name"]
            assert NAME.match(name) and name == name.lower(), name
            assert 1 <= len(command["description"]) <= 100, name
            options = command.get("options", [])
            assert len(options) <= 25, name
            assert len({o["name"] for o in options}) == len(options), name
            for option in options:
                assert NAME.match(option["name"]) and option["name"] == option["name"].lower(), option
                assert 1 <= len(option["description"]) <= 100, (name, option["name"])
                choices = option.get("choices", [])
                assert len(choices) <= 25
                assert all(1 <= len(c["name"]) <= 100 for c in choices)


async def test_admin_commands_declare_and_check_permissions(bot: ImgBot) -> None:
    """Declared with default_permissions (Discord hides them) and checked at run time (cannot be bypassed).

    The run-time check is the server-level permission check (bot.ui.permissions), the same permissions as declared,
    or for owner-only commands the owner check: the bot's owners decide there, whatever their role in the server,
    and Administrator only keeps the command out of members' lists. discord.py's has_permissions reads the
    permissions resolved in the channel, where one channel's overwrite could grant them, so no command uses it."""
    # The loaded extension's own function (load_extension executes the module afresh, so not an import of it here).
    is_bot_owner = bot.extensions["cogs.status"].is_bot_owner
    checked = owner_only = 0
    for command in bot.tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        root = command.root_parent or command
        assert not any("has_permissions" in getattr(check, "__qualname__", "") for check in command.checks), (
            f"/{command.qualified_name} checks permissions in the channel; use server_permissions_check"
        )
        server_checks = [check for check in command.checks if isinstance(check, ServerPermissionCheck)]
        by_permission = bool(server_checks)
        by_owner = is_bot_owner in command.checks
        if root.default_permissions is not None and root.default_permissions.value:
            assert by_permission or by_owner, f"/{command.qualified_name} declares permissions but does not check them"
            checked += 1
        for check in server_checks:
            assert check.permissions == root.default_permissions, (
                f"/{command.qualified_name} checks {check.needed} but declares {root.default_permissions}"
            )
        if by_permission or by_owner:
            assert root.default_permissions is not None, command.qualified_name
        if by_owner:
            # A permission check next to the owner check would refuse an owner who lacks it here.
            assert not by_permission, f"/{command.qualified_name}: the owner check alone decides"
            owner_only += 1
    assert checked >= 1 and owner_only >= 1


async def test_definitions_hash_is_stable(bot: ImgBot) -> None:
    assert bot.command_definitions_hash() == bot.command_definitions_hash()


async def test_reloading_the_knowledge_extension_leaves_the_others_its_button(bot: ImgBot) -> None:
    """Quiz explanations, milestone posts and readiness results carry the button that opens a knowledge entry. It is
    defined outside every extension, so after /ask's extension is reloaded they still build the class it registers
    (an extension that defined it would leave them the old class), and the reloaded cog answers its clicks."""
    await bot.reload_extension("cogs.knowledge")
    assert isinstance(bot.get_cog("Knowledge"), EntryOpener)
    registered = sys.modules["cogs.knowledge"].OpenEntryButton
    for name in ("bot.ui.quiz_buttons", "bot.adapters.announcements", "cogs.readiness"):
        assert sys.modules[name].OpenEntryButton is registered, name


async def test_reloading_quiz_and_study_groups_leaves_the_adapters_the_buttons_they_register(bot: ImgBot) -> None:
    """The bot's adapters (bot/adapters/) send a group question's answer buttons and a prompt's Check in button, and
    the extensions register them. Both take them from bot/ui, so after a reload the extension registers the class the
    adapters send, and the reloaded cog answers its clicks."""
    await bot.reload_extension("cogs.quiz")
    await bot.reload_extension("cogs.studygroups")
    assert isinstance(bot.get_cog(QUIZ_COG), GroupAnswerTaker)
    assert isinstance(bot.get_cog(STUDY_GROUPS_COG), CheckInOpener)
    assert sys.modules["cogs.quiz"].GroupAnswerButton is GroupAnswerButton
    assert sys.modules["cogs.studygroups"].CheckInButton is CheckInButton
    assert sys.modules["bot.adapters.studygroup_posts"].CheckInButton is CheckInButton
