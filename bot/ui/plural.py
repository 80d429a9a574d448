"""Counted nouns for member-facing text: ``1 day``, ``2 days``, never ``1 days``.

Plain Python (no discord import), so any screen builder or cog can use it. Domain modules keep their own wording:
they do not import from ``bot.ui``.
"""

from __future__ import annotations


def plural(number: int, one: str, many: str | None = None, *, grouped: bool = False) -> str:
    """``number`` and the noun that fits it: ``plural(1, "day")`` is ``1 day``, ``plural(0, "day")`` ``0 days``.

    ``many`` is for nouns that do not just take an ``s`` (``plural(2, "person", "people")``); ``grouped`` writes
    thousands with commas (``3,000 questions``), as totals that can grow large read better that way."""
    shown = f"{number:,}" if grouped else str(number)
    return f"{shown} {one}" if number == 1 else f"{shown} {many if many is not None else one + 's'}"
