"""The layers are enforced by import-linter: ``lint-imports``, a step of ``make test``, checks the contracts of
``[tool.importlinter]`` in pyproject.toml (domain code never imports discord; only the Discord-facing modules do;
``bot`` never imports ``cogs``; the runtime never imports the emulator).

This test checks what import-linter cannot, that the contracts' own lists are complete and current:

- every module directly under ``bot/`` is named exactly once, as domain code (a source of the first contract) or as
  Discord-facing (an allowed importer of the second), so a new module is classified when it is added instead of
  staying outside the first contract, which only checks the modules it names;
- every module named Discord-facing imports discord today, so an exception cannot outlive its reason;
- nothing ``bot/app.py`` imports leads back to it: the layers under the composition root have no cycle;
- colours come from one palette.

The known ``bot -> cogs`` imports need no such check: lint-imports fails on an ``ignore_imports`` line that no longer
matches an import.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import grimp

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_CONTRACT = "Domain code never imports discord, directly or through another module"
FACING_CONTRACT = "Only the Discord-facing modules import discord"


def _contract(name: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    matching = [contract for contract in config["contracts"] if contract["name"] == name]
    assert len(matching) == 1, f"pyproject.toml has no single contract named {name!r}"
    contract: dict[str, Any] = matching[0]
    return contract


def _domain() -> list[str]:
    return list(_contract(DOMAIN_CONTRACT)["source_modules"])


def _facing() -> list[str]:
    """The Discord-facing modules of ``bot`` (the contract also allows ``cogs``, which is not under ``bot/``)."""
    return [name for name in _contract(FACING_CONTRACT)["allowed_importers"] if name.startswith("bot.")]


def _modules_under_bot() -> set[str]:
    """Every module and package directly under ``bot/``, by dotted name."""
    found = set()
    for path in (ROOT / "bot").iterdir():
        if path.suffix == ".py" and path.name != "__init__.py":
            found.add(f"bot.{path.stem}")
        elif path.is_dir() and (path / "__init__.py").exists():
            found.add(f"bot.{path.name}")
    return found


def test_every_module_under_bot_is_domain_or_discord_facing_exactly_once() -> None:
    domain, facing = _domain(), _facing()
    modules = _modules_under_bot()
    assert {"bot.app", "bot.scheduling", "bot.ui", "bot.zones"} <= modules  # a wrong root would find nothing
    assert len(domain) == len(set(domain)) and len(facing) == len(set(facing))
    assert not set(domain) & set(facing), "a module is named both domain and Discord-facing"
    unclassified = modules - set(domain) - set(facing)
    assert not unclassified, f"{sorted(unclassified)}: name each in [tool.importlinter], as domain or Discord-facing"
    assert set(domain) | set(facing) <= modules, "pyproject.toml names a module that is not under bot/"


def test_every_discord_facing_module_imports_discord_today() -> None:
    graph = grimp.build_graph("bot", "cogs", include_external_packages=True, cache_dir=None)
    assert graph.find_modules_that_directly_import("discord")  # the graph does see discord
    for name in _facing():
        members = {name} | graph.find_descendants(name)  # a package counts when any of its modules imports it
        assert any("discord" in graph.find_modules_directly_imported_by(member) for member in members), (
            f"{name} no longer imports discord: move it to the domain contract's sources in pyproject.toml"
        )


def test_nothing_the_composition_root_imports_leads_back_to_it() -> None:
    """``bot.app`` imports its error path and its adapters; none of them (nor what they import) may name ``ImgBot``,
    not even for the type checker. ``bot/ui/interaction.py`` does, so only the cogs and the screens the bot does not
    import take ``Interaction`` from it."""
    # Imports under TYPE_CHECKING count. Only ``bot`` is read: the five adapters still in cogs/ (the known exceptions
    # of the bot-never-imports-cogs contract) name ImgBot, and moving them under bot/ is issue 15's open point.
    graph = grimp.build_graph("bot", cache_dir=None)
    imported = graph.find_modules_directly_imported_by("bot.app")
    assert "bot.ui.errors" in imported  # the graph does see the bot's imports
    cycles = {name: graph.find_shortest_chain(importer=name, imported="bot.app") for name in imported}
    assert {name: chain for name, chain in cycles.items() if chain} == {}


def test_colours_come_from_the_palette() -> None:
    """One palette (bot/ui/colours.py): no other module of the bot or its cogs makes a colour of its own."""
    found = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]):
        if path == ROOT / "bot" / "ui" / "colours.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Call) and {"Colour", "Color"} & set(ast.unparse(node.func).split(".")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
