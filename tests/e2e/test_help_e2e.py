"""/help against the real bot process: a member sees every members' command and no moderator's; a moderator sees
theirs too; ``command:`` explains one command (or a group) with its options, with autocomplete on the names; an
unknown name gets suggestions; in a DM it works too. What /help lists is compared with what the bot registered with
Discord (the emulator's record), so the two cannot drift apart.
"""

from __future__ import annotations

import pytest

from discord_emulator import Emulator, Reply
from discord_emulator.models import JsonDict
from tests.e2e.conftest import Live

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def registered(emu: Emulator) -> dict[str, tuple[str, bool, list[JsonDict]]]:
    """Every registered slash command by qualified name: its description, whether Discord hides it from members
    (default permissions), and its options."""
    found: dict[str, tuple[str, bool, list[JsonDict]]] = {}

    def walk(prefix: str, spec: JsonDict, restricted: bool) -> None:
        subs = [o for o in spec.get("options", []) if o.get("type") in (1, 2)]
        if not subs:
            found[prefix] = (str(spec["description"]), restricted, list(spec.get("options", [])))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub, restricted)

    for command in emu.commands.available_in(None):
        if command.type == 1:
            spec = {"description": command.description, "options": command.options}
            walk(command.name, spec, command.default_member_permissions is not None)
    return found


def lines(reply: Reply) -> dict[str, str]:
    """Each listed command's line, by name, from every embed's fields."""
    out: dict[str, str] = {}
    for embed in reply.embeds:
        for field in embed.get("fields", []):
            for line in str(field["value"]).splitlines():
                name, _, description = line.partition(": ")
                out[name.strip("`").lstrip("/").rstrip(":").rstrip("`")] = description
    return out


async def help_reply(live: Live, user: str, options: dict[str, str] | None = None, *, dm: bool = False) -> Reply:
    emu = live.emu
    who = emu.world.users[user]
    channel = emu.world.dm_channel_for(who) if dm else emu.world.channel("general")
    reply = await (await emu.slash("help", options, user=who, channel=channel)).response()
    assert reply.ephemeral, "/help is private"
    return reply


async def test_a_member_sees_every_members_command_and_no_moderators(live: Live) -> None:
    commands = registered(live.emu)
    reply = await help_reply(live, "bob")
    assert [e["title"] for e in reply.embeds] == ["What I can do"]
    shown = lines(reply)
    members = {name for name, (_, restricted, _) in commands.items() if not restricted}
    assert set(shown) == members
    for name in members:
        assert commands[name][0].startswith(shown[name].rstrip("…")), f"/{name}: its registered description"
    assert "setup" not in shown and "announcements setup" not in shown


async def test_a_moderator_also_sees_theirs(live: Live) -> None:
    emu = live.emu
    commands = registered(emu)
    moderators = {name for name, (_, restricted, _) in commands.items() if restricted}
    # The server's owner may do everything, so every command is listed (/status too: Discord shows it to
    # administrators, the bot's owners decide).
    owner = await help_reply(live, "dr_admin")
    assert [e["title"] for e in owner.embeds] == ["What I can do", "For moderators"]
    assert set(lines(owner)) == set(commands)
    assert {"setup", "announcements setup", "studygroup-admin create", "event add"} <= moderators
    for name in moderators:
        assert commands[name][0].startswith(lines(owner)[name].rstrip("…")), f"/{name}: its registered description"

    # A moderator by role (Manage Server, Manage Channels), no administrator: everything but /status.
    hall = emu.world.guild("IMG Study Hall")
    await emu.add_member(hall, emu.world.add_user("mod_mia", "Mia"), roles=[hall.role("Moderators")])
    staff = await help_reply(live, "mod_mia")
    assert set(lines(staff)) == set(commands) - {"status"}


async def test_one_command_in_detail_with_autocomplete(live: Live) -> None:
    emu = live.emu
    bob, admin, general = emu.world.users["bob"], emu.world.users["dr_admin"], emu.world.channel("general")
    member_choices = await emu.autocomplete("help", {"command": "quiz"}, user=bob, channel=general)
    names = [c["value"] for c in member_choices]
    assert names[0] == "quiz" and "quiz start" in names and all(c["name"] == f"/{c['value']}" for c in member_choices)
    assert await emu.autocomplete("help", {"command": "announcements"}, user=bob, channel=general) == []
    mod_choices = await emu.autocomplete("help", {"command": "announcements"}, user=admin, channel=general)
    assert "announcements setup" in [c["value"] for c in mod_choices]

    reply = await help_reply(live, "dr_admin", {"command": "announcements setup"})
    embed = reply.embeds[0]
    description, _, options = registered(emu)["announcements setup"]
    assert embed["title"] == "/announcements setup" and embed["description"] == description
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    for option in options:
        need = "required" if option.get("required") else "optional"
        assert f"`{option['name']}` (" in fields["Options"] and option["description"] in fields["Options"]
        assert need in fields["Options"]
    assert "`channel` (channel, required)" in fields["Options"]
    assert "Manage Server" in fields["Who can use it"]

    group = await help_reply(live, "bob", {"command": "quiz"})
    assert group.embeds[0]["title"] == "/quiz"
    assert "`/quiz start`:" in group.embeds[0]["description"] and "`/quiz stop`:" in group.embeds[0]["description"]

    plain = await help_reply(live, "bob", {"command": "/timeline"})
    assert plain.embeds[0]["title"] == "/timeline"
    assert "`match_year` (whole number, required)" in plain.embeds[0]["fields"][0]["value"]

    unknown = await help_reply(live, "bob", {"command": "quiz strat"})
    assert not unknown.embeds and "There is no command" in unknown.content and "`/quiz start`" in unknown.content


async def test_help_in_a_direct_message(live: Live) -> None:
    reply = await help_reply(live, "bob", dm=True)
    assert [e["title"] for e in reply.embeds] == ["What I can do"]
    assert "moderators also see their own commands" in reply.embeds[0]["description"]
    assert "ask" in lines(reply) and "setup" not in lines(reply)
