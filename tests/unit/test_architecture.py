"""The layers, enforced by the build rather than by a README sentence (../shared/STYLE.md, "The shape of the house").

Every module under ``bot/`` is parsed (not imported: nothing runs) and its imports read, including those inside
functions and under ``TYPE_CHECKING``:

- a domain module never imports discord, directly or through one of the modules that do (``DISCORD_FACING``);
- nothing under ``bot/`` imports ``cogs`` (cogs are glue on top of ``bot/``, never below it);
- ``bot/scheduling`` never imports discord: a feed talks to Discord through an adapter it is given;
- nothing ``bot/app.py`` imports leads back to it: the layers under the composition root have no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DISCORD_FACING: dict[str, str] = {
    "bot.app": "the composition root: the Bot subclass, its intents, the Discord adapters of the services",
    "bot.sharding": "the AutoShardedBot subclass and the shard count Discord recommends",
    "bot.discord_endpoints": "discord.py's internals (Route.BASE, the gateway URL) touched in one place, to point it "
    "at the emulator",
    "bot.ui": "the Discord-facing helpers: embeds, views, modals, the error handler (the whole package)",
    "bot.__main__": "the CLI: ``imgbot run`` turns discord.py's start-up errors (a refused token, a refused "
    "privileged intent, a closed gateway) into one line each (bot/preflight.py words them)",
}
"""The modules (or packages) of ``bot/`` that may import discord, each with why. Everything else is domain code.
``bot/sandbox`` (the emulator speaks Discord's protocol over HTTP, without discord.py) does not import discord, so
it is held to the rule too."""

MAY_START_THE_BOT: dict[str, str] = {
    "bot.__main__": "the CLI: ``imgbot run`` builds and starts the bot (bot.app), ``--emulator`` points it there "
    "(bot.discord_endpoints); it imports no discord itself",
}
"""Modules that may import the discord-facing ones (and so discord, through them) without importing it directly."""

KNOWN_COGS_IMPORTS: dict[str, set[str]] = {
    "bot.app": {
        "cogs.milestones.messenger",
        "cogs.milestones.scheduled_events",
        "cogs.quiz.posting",
        "cogs.studygroups.delivery",
        "cogs.studygroups.members",
    },
}
"""Imports of ``cogs`` that break the rule today, listed so that no new one can appear unnoticed: the composition
root builds the services' Discord adapters (issue 12: "adapters are built where the services are built"), and those
adapters still live in ``cogs/``. Moving them under ``bot/`` (next to ``bot/ui``) empties this list; the test then
fails until the entry is removed, so the list never outlives the violation."""


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    imports: frozenset[str]
    """Every module it imports, by absolute name (``from a import b`` counts as ``a`` and ``a.b``)."""


def _name_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> frozenset[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package, one level up per extra dot
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return frozenset(found)


def _modules() -> Iterator[Module]:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        name = _name_of(path)
        yield Module(name, path, _imports(path, name))


MODULES = list(_modules())


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def test_every_module_of_the_bot_is_read() -> None:
    names = {module.name for module in MODULES}
    # A guard against a test that checks nothing (a wrong root, a glob that finds no file).
    assert {"bot.app", "bot.scheduling.runner", "bot.ui.embeds", "bot.studygroups.dispatch"} <= names
    assert any("discord" in module.imports for module in MODULES)  # the parser does see imports


def test_only_the_discord_facing_modules_import_discord() -> None:
    offenders = {}
    for module in MODULES:
        if _within(module.name, DISCORD_FACING):
            continue
        direct = {name for name in module.imports if _top(name) == "discord"}
        through = {name for name in module.imports if _within(name, DISCORD_FACING)}
        if _within(module.name, MAY_START_THE_BOT):
            through = set()
        if direct or through:
            offenders[module.name] = sorted(direct | through)
    assert offenders == {}, "domain modules must not import discord (use an adapter built in bot/app.py)"


def test_the_discord_facing_list_names_only_modules_that_need_it() -> None:
    """So the exceptions cannot grow stale: each module named imports discord today."""
    for name in DISCORD_FACING:
        members = [module for module in MODULES if _within(module.name, [name])]
        assert members, f"{name} is listed but does not exist"
        assert any(_top(imported) == "discord" for module in members for imported in module.imports), name


def test_nothing_under_bot_imports_cogs() -> None:
    found = {}
    for module in MODULES:
        cogs = {name for name in module.imports if _top(name) == "cogs"}
        # ``from cogs.x import Y`` reads as cogs.x and cogs.x.Y: the module is what counts.
        modules = {name for name in cogs if name.rpartition(".")[0] not in cogs}
        if modules:
            found[module.name] = modules
    assert found == KNOWN_COGS_IMPORTS


def test_scheduling_never_imports_discord() -> None:
    scheduling = [module for module in MODULES if _within(module.name, ["bot.scheduling"])]
    assert len(scheduling) >= 8  # runner, scheduler, delivery, grace, pacing, clock, tasks and the package
    for module in scheduling:
        assert not {name for name in module.imports if _top(name) in {"discord", "cogs"}}, module.name
        assert not {name for name in module.imports if _within(name, DISCORD_FACING)}, module.name


def test_nothing_the_composition_root_imports_leads_back_to_it() -> None:
    """``bot.app`` imports its error path and its adapters; none of them (nor what they import, under ``bot/``) may
    name ``ImgBot``, not even for the type checker. ``bot/ui/interaction.py`` does, so only the cogs and the screens
    the bot does not import take ``Interaction`` from it."""
    by_name = {module.name: module for module in MODULES}
    seen: set[str] = set()
    to_visit = [name for name in by_name["bot.app"].imports if name in by_name]
    while to_visit:
        name = to_visit.pop()
        if name not in seen:
            seen.add(name)
            to_visit.extend(imported for imported in by_name[name].imports if imported in by_name)
    assert "bot.ui.errors" in seen  # the walk does follow the bot's imports
    assert "bot.app" not in seen


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
