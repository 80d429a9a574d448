"""Contract checks (OpenAPI schema plus Discord's unwritten limits) and the REST edges, without a bot process."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from discord_emulator import ContractChecker, Emulator, World
from discord_emulator.contract import check_commands, check_message_body, default_spec_path, valid_command_name

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
MESSAGES = "/channels/{channel_id}/messages"

needs_spec = pytest.mark.skipif(not default_spec_path().is_file(), reason="Discord OpenAPI spec not available")


def fields(problems: list[tuple[str, str]]) -> dict[str, str]:
    return dict(problems)


def test_content_over_2000_is_named() -> None:
    assert fields(list(check_message_body({"content": "x" * 2001}))) == {"content": "2001 > 2000"}
    assert list(check_message_body({"content": "x" * 2000})) == []


def test_embed_total_over_6000_is_named_even_when_each_embed_is_fine() -> None:
    embeds = [{"title": "t", "description": "d" * 3000}, {"description": "d" * 3000}]
    problems = fields(list(check_message_body({"embeds": embeds}, "data")))
    assert problems == {"data.embeds": "6001 characters in all embeds > 6000"}


def test_component_limits() -> None:
    button = {"type": 2, "style": 1, "label": "x", "custom_id": "a"}
    too_many_buttons = [{"type": 1, "components": [{**button, "custom_id": str(i)} for i in range(6)]}]
    assert "components[0].components" in fields(list(check_message_body({"components": too_many_buttons})))
    six_rows = [{"type": 1, "components": [{**button, "custom_id": f"r{i}"}]} for i in range(6)]
    assert fields(list(check_message_body({"components": six_rows})))["components"] == "6 action rows > 5"
    long_id = [{"type": 1, "components": [{**button, "custom_id": "c" * 101}]}]
    assert fields(list(check_message_body({"components": long_id})))["components[0].components[0].custom_id"] == (
        "101 > 100"
    )
    select = {"type": 3, "custom_id": "s", "options": [{"label": str(i), "value": str(i)} for i in range(26)]}
    assert "components[0].components[0].options" in fields(
        list(check_message_body({"components": [{"type": 1, "components": [select]}]}))
    )


def test_command_name_rules() -> None:
    assert valid_command_name("quiz")
    assert valid_command_name("résumé-tips")
    assert valid_command_name("admin-only")
    assert not valid_command_name("Bad Name")
    assert not valid_command_name("x" * 33)
    problems = fields(list(check_commands([{"name": "Quiz", "description": "d", "type": 1}])))
    assert problems == {"[0].name": "'Quiz' must be lowercase"}
    problems = fields(list(check_commands([{"name": "quiz", "description": "", "type": 1}])))
    assert problems == {"[0].description": "0 characters (must be 1-100)"}
    options = [{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)]
    assert fields(list(check_commands([{"name": "quiz", "description": "d", "options": options}])))["[0].options"] == (
        "26 items > 25"
    )


def test_allowed_mentions_parse_and_list_conflict() -> None:
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    assert "allowed_mentions" in fields(list(check_message_body(body)))


@needs_spec
def test_schema_names_the_field_inside_an_anyof_union() -> None:
    checker = ContractChecker()
    body = {"type": 4, "data": {"embeds": [{"description": "d" * 4113}]}}
    problems = checker.check_request("POST", CALLBACK, "/interactions/1/tok/callback", body)
    assert ("data.embeds[0].description", "4113 > 4096") in problems


@needs_spec
def test_schema_accepts_what_discord_py_sends_and_is_fast() -> None:
    checker = ContractChecker()
    body: dict[str, Any] = {
        "content": "hello",
        "embeds": [{"title": "t", "description": "d", "type": "rich", "fields": [{"name": "a", "value": "b"}]}],
        "components": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go", "disabled": False}]}
        ],
        "allowed_mentions": {"parse": [], "users": [123456789012345678]},
        "nonce": "123",
        "enforce_nonce": True,
        "tts": False,
    }
    assert checker.check_request("POST", MESSAGES, "/channels/1/messages", body) == []
    # CPU time, not wall time, so that other work on a busy machine does not count against the checker.
    started = time.process_time()
    for _ in range(200):
        checker.check_request("POST", MESSAGES, "/channels/1/messages", body)
    per_call = (time.process_time() - started) / 200
    assert per_call < 0.005, f"validation takes {per_call * 1000:.2f} ms of CPU per request"


def test_schema_checks_are_skipped_and_say_so_without_the_spec(tmp_path: Path) -> None:
    checker = ContractChecker(tmp_path / "missing.json")
    assert not checker.schema_active
    assert checker.schema_status.startswith("skipped")
    assert str(tmp_path / "missing.json") in checker.schema_status
    # Discord's own limits are still enforced without the spec.
    body = {"type": 4, "data": {"content": "x" * 2001}}
    assert checker.check_request("POST", CALLBACK, "/interactions/1/t/callback", body) == [
        ("data.content", "2001 > 2000")
    ]
    assert checker.check_response("GET", "/users/@me", "/users/@me", 200, {"id": 1}) == []


async def test_spec_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DISCORD_API_SPEC", str(tmp_path / "elsewhere.json"))
    async with Emulator(World.default()) as emu:
        assert "skipped" in emu.schema_status and "elsewhere.json" in emu.schema_status


async def test_rest_edges_auth_unhandled_and_exact_content_type() -> None:
    async with Emulator(World.default()) as emu, aiohttp.ClientSession() as http:
        auth = {"Authorization": f"Bot {emu.token}"}
        async with http.get(f"{emu.api_base}/users/@me", headers=auth) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(emu.world.bot.id)
        async with http.get(f"{emu.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as resp:
            assert resp.status == 401
        guild = emu.world.guild()
        async with http.get(f"{emu.api_base}/guilds/{guild.id}/emojis", headers=auth) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        assert [str(u) for u in emu.unhandled] == [f"GET /guilds/{guild.id}/emojis"]
        bad = [{"name": "Bad Name", "description": "x", "type": 1}]
        url = f"{emu.api_base}/applications/{emu.world.application_id}/commands"
        async with http.put(url, json=bad, headers=auth) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["code"] == 50035
            assert "name" in body["errors"]["0"]
        assert any(v.field == "[0].name" for v in emu.violations)
        assert emu.commands.empty
        emu.violations.clear()
        emu.unhandled.clear()
        emu.assert_clean()
