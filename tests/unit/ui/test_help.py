"""/help's screens, read from the real command tree: every command listed once, for the right people, and every
screen inside Discord's limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.app import ImgBot
from bot.content import Content
from bot.ui import help as screens
from bot.ui.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from tests.conftest import make_settings

MEMBER = discord.Permissions.none()
CHANNELS_ONLY = discord.Permissions(manage_channels=True)
MODERATOR = discord.Permissions(manage_guild=True, manage_channels=True)
ADMIN = discord.Permissions(administrator=True)


@pytest.fixture
async def commands(tmp_path: Path, content: Content) -> AsyncIterator[tuple[screens.CommandInfo, ...]]:
    bot = ImgBot(make_settings(tmp_path), content)
    await bot.prepare()
    try:
        yield screens.catalog(bot.tree)
    finally:
        await bot.close()


def listed(embeds: list[discord.Embed]) -> list[str]:
    names = []
    for embed in embeds:
        for field in embed.fields:
            names += [line.split("`")[1].lstrip("/").rstrip(":") for line in str(field.value).splitlines()]
    return names


def assert_fits(embeds: list[discord.Embed]) -> None:
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL_LIMIT, "a message's embeds share Discord's 6,000 characters"
    for embed in embeds:
        assert len(embed.description or "") <= DESCRIPTION_LIMIT and len(embed.fields) <= 25
        for field in embed.fields:
            assert 1 <= len(str(field.value)) <= FIELD_VALUE_LIMIT and len(str(field.name)) <= 256


async def test_the_catalog_is_the_command_tree(commands: tuple[screens.CommandInfo, ...]) -> None:
    names = [info.name for info in commands]
    assert len(names) == len(set(names))
    assert {"help", "setup", "ask", "quiz start", "announcements setup", "studygroup-admin create"} <= set(names)
    assert all(info.topic != "Other" for info in commands), "every command belongs to a cog"
    setup = next(info for info in commands if info.name == "setup")
    assert (
        setup.for_moderators and not setup.in_dms and screens.permission_names(setup.permissions) == ["Manage Server"]
    )
    ask = next(info for info in commands if info.name == "ask")
    assert not ask.for_moderators and ask.in_dms and ask.options[0].name == "question"


async def test_each_reader_sees_the_commands_discord_shows_them(commands: tuple[screens.CommandInfo, ...]) -> None:
    everyone = {info.name for info in commands if not info.for_moderators}
    for permissions, in_server in ((MEMBER, True), (None, False)):
        embeds = screens.overview_embeds(commands, permissions, in_server=in_server)
        assert len(embeds) == 1 and sorted(listed(embeds)) == sorted(everyone)
    by_channels = listed(screens.overview_embeds(commands, CHANNELS_ONLY, in_server=True))
    assert "studygroup-admin create" in by_channels and "announcements setup" not in by_channels
    moderator = listed(screens.overview_embeds(commands, MODERATOR, in_server=True))
    assert "announcements setup" in moderator and "setup" in moderator and "status" not in moderator
    admin = screens.overview_embeds(commands, ADMIN, in_server=True)
    assert sorted(listed(admin)) == sorted(info.name for info in commands), "each command once"
    assert_fits(admin)
    assert all(len(line) <= screens.LINE_LIMIT for e in admin for f in e.fields for line in str(f.value).splitlines())


async def test_every_command_and_group_in_detail_fits(commands: tuple[screens.CommandInfo, ...]) -> None:
    for info in commands:
        embed = screens.details_embed(info)
        assert embed.title == f"/{info.name}" and embed.description == info.description
        assert_fits([embed])
    groups = {info.root for info in commands if " " in info.name}
    assert {"quiz", "announcements", "studygroup-admin"} <= groups
    for group in groups:
        members = [info for info in commands if info.root == group and " " in info.name]
        assert_fits([screens.group_embed(group, members)])


async def test_autocomplete_and_suggestions(commands: tuple[screens.CommandInfo, ...]) -> None:
    assert screens.choices(commands, "quiz")[:2] == ["quiz", "quiz leaderboard"]
    assert screens.choices(commands, "/ASK") == ["ask"]
    assert screens.choices(commands, "start") == ["quiz start", "readiness start"], "contained, not only leading"
    assert len(screens.choices(commands, "")) == 25
    assert screens.choices(commands, "no such thing") == []
    assert "quiz start" in screens.closest(commands, "quiz strat")
