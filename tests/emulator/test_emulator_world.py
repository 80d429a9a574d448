"""The emulated world: the default servers, Discord's permission rules, mentions, and big generated worlds."""

from __future__ import annotations

import time

from discord_emulator import ChannelType, Perm, World
from discord_emulator.mentions import resolve_mentions
from discord_emulator.snowflake import SnowflakeFactory, snowflake_time


def test_default_world_has_the_documented_servers_channels_roles_and_users() -> None:
    world = World.default()
    hall = world.guild("IMG Study Hall")
    owls = world.guild("Night Owls Study Group")
    assert world.user(hall.owner_id).username == "dr_admin"
    assert world.user(owls.owner_id).username == "night_admin"
    assert {"general", "announcements", "study-room", "USMLE Step 1 prep", "read-only", "old-resources"} <= {
        c.name for c in hall.channels.values()
    }
    assert world.channel("announcements").type == ChannelType.GUILD_ANNOUNCEMENT
    thread = world.channel("USMLE Step 1 prep")
    assert thread.is_thread and thread.parent_id == world.channel("study-room").id
    assert world.channel("old-resources").deleted
    assert {r.name for r in hall.roles.values()} >= {"@everyone", "Moderators", "Match 2027"}
    assert {"dr_admin", "alice", "bob"} <= set(world.users)
    assert world.default_user is world.users["alice"]
    assert world.default_channel is world.channel("general")


def test_ids_are_realistic_snowflakes() -> None:
    world = World.default()
    ids = [g.id for g in world.guilds.values()] + [u.id for u in world.users.values()]
    assert len(set(ids)) == len(ids)
    assert all(i > 10**17 for i in ids)
    assert snowflake_time(world.guild().id).year >= 2024
    factory = SnowflakeFactory()
    first, second = factory.next(), factory.next()
    assert second > first


def test_admin_has_manage_server_and_members_do_not() -> None:
    world = World.default()
    general = world.channel("general")
    admin, bob = world.users["dr_admin"], world.users["bob"]
    assert world.permissions_in(general, admin.id) & Perm.MANAGE_GUILD
    moderators = world.role("Moderators")
    assert moderators.permissions & Perm.MANAGE_GUILD and moderators.permissions & Perm.MANAGE_CHANNELS
    assert not world.permissions_in(general, bob.id) & Perm.MANAGE_GUILD
    assert world.permissions_in(general, bob.id) & Perm.SEND_MESSAGES


def test_read_only_channel_denies_the_bot_but_not_members() -> None:
    world = World.default()
    read_only = world.channel("read-only")
    assert world.can_send(read_only, world.bot.id) == (True, False)
    assert world.can_send(read_only, world.users["bob"].id) == (True, True)
    # Announcements: members cannot post, the bot (own role, no overwrite against it) can.
    announcements = world.channel("announcements")
    assert world.can_send(announcements, world.users["bob"].id) == (True, False)
    assert world.can_send(announcements, world.bot.id) == (True, True)


def test_threads_use_their_parents_permissions() -> None:
    world = World.default()
    thread = world.channel("USMLE Step 1 prep")
    assert world.can_send(thread, world.users["alice"].id) == (True, True)


def test_mentions_follow_discords_rules() -> None:
    world = World.default()
    general = world.channel("general")
    bob = world.users["bob"]
    match_role = world.role("Match 2027")
    content = f"@everyone hi {bob.mention} and <@!{bob.id}> and {match_role.mention}"

    parsed_all = resolve_mentions(world, general, content, None, author_id=world.bot.id)
    assert parsed_all.pings == ["@everyone", f"<@{bob.id}>", f"<@&{match_role.id}>"]

    nothing = resolve_mentions(world, general, content, {"parse": []}, author_id=world.bot.id)
    assert nothing.pings == []

    only_bob = resolve_mentions(world, general, content, {"parse": [], "users": [str(bob.id)]}, author_id=world.bot.id)
    assert only_bob.pings == [f"<@{bob.id}>"]

    # A member without Mention Everyone cannot ping @everyone or a non-mentionable role; nobody pings themself.
    as_bob = resolve_mentions(world, general, content, None, author_id=bob.id)
    assert as_bob.pings == []


def test_generate_builds_two_thousand_servers_quickly_and_reproducibly() -> None:
    # CPU time of this process, not wall time: on a machine busy with other work the wall clock also counts the
    # time this process waited for a core. About 0.9 s of CPU on the development machine; but CPU time too grows when
    # both cores are shared by four test workers and their PostgreSQL servers (caches, a core's other hyperthread):
    # 2.16 s was seen in a full `make test`, and 3.03 and 3.38 s on 2026-12-08, when the same machine ran every
    # benchmark about three times slower than the days before. 10 s leaves room for such a day and still catches an
    # accidental quadratic step (2,000 servers of 100 members: a quadratic one would take minutes).
    started = time.process_time()
    world = World.generate(guilds=2000, members_per_guild=100, seed=7)
    elapsed = time.process_time() - started
    assert elapsed < 10.0, f"World.generate took {elapsed:.2f} s of CPU"
    assert len(world.guilds) == 2000
    assert all(len(g.members) == 100 for g in world.guilds.values())
    assert all(world.bot.id in g.members for g in world.guilds.values())
    again = World.generate(guilds=3, members_per_guild=5, seed=7)
    same = World.generate(guilds=3, members_per_guild=5, seed=7)
    assert [g.id for g in again.guilds.values()] == [g.id for g in same.guilds.values()]
    assert [u.username for u in again.users.values()] == [u.username for u in same.users.values()]
