"""Numbers as members type them into forms: ``3,000`` questions, ``1,5`` hours, ``72,5`` percent, ``3 000``.

The bot writes English, where ``.`` is the decimal point and ``,`` groups thousands, but many members write a decimal
comma. Both are read, by these rules:

- Spaces (ordinary, no-break, thin) and apostrophes between digits group thousands: ``3 000``, ``3'000``.
- With both ``,`` and ``.``, the one that comes last is the decimal separator and the other groups thousands:
  ``1,234.5`` and ``1.234,5`` are both 1234.5.
- With commas only, ``,`` followed by exactly three digits after a group of one to three digits (not a lone ``0``)
  groups thousands: ``3,000`` is 3000, ``12,500,000`` twelve and a half million. Any other single comma is a decimal
  comma: ``1,5`` is 1.5, ``2,75`` 2.75, ``0,500`` 0.5. So ``1,500`` hours is read as 1500 (and refused by the range
  check, whose message gives an example) rather than guessed to be 1.5.
- With dots only, one dot is the decimal point (``2.5``); several must group thousands (``1.000.000``).
- Where a whole number is asked (``parse_whole``), a single dot followed by exactly three digits is refused rather
  than read: ``3.000`` questions is 3000 to some members and 3 to others, and asking again costs less than a wrong
  total.

Pure functions, no I/O; the callers range-check and word the messages.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_GROUPING = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009']+(?=\d)")
"""Spaces and apostrophes between two digits: thousands grouping."""
_SIGNED = re.compile(r"^([+-]?)(.*)$", re.DOTALL)
_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_COMMA_GROUPS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+")
_DOT_GROUPS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3}){2,}")
_MIXED = re.compile(r"(?P<int>[1-9]\d{0,2}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*)(?P<dec>[.,])(?P<frac>\d+)")
_AMBIGUOUS_DOT = re.compile(r"[1-9]\d{0,2}\.\d{3}")


def parse_decimal(text: str) -> Decimal | None:
    """``text`` as a number by the rules above, or None when it is not one (letters, two decimal separators...)."""
    stripped = _GROUPING.sub("", text.strip())
    sign, body = _SIGNED.match(stripped).groups()  # type: ignore[union-attr]  # the pattern matches any string
    normal = _normalise(body)
    if normal is None:
        return None
    try:
        number = Decimal(sign + normal)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_whole(text: str) -> int | None:
    """``text`` as a whole number (``3,000`` is 3000), or None when it is not one: ``1,5``, ``2.5``, ``abc``, and
    the ambiguous ``3.000``."""
    stripped = _GROUPING.sub("", text.strip()).lstrip("+")
    if _AMBIGUOUS_DOT.fullmatch(stripped):
        return None
    number = parse_decimal(text)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _normalise(body: str) -> str | None:
    """The digits with ``.`` as the only (decimal) separator, or None."""
    if _PLAIN.fullmatch(body):
        return body
    if _COMMA_GROUPS.fullmatch(body):
        return body.replace(",", "")
    if _DOT_GROUPS.fullmatch(body):
        return body.replace(".", "")
    if re.fullmatch(r"\d*,\d+", body):
        # One comma that does not group thousands: a decimal comma.
        return body.replace(",", ".")
    mixed = _MIXED.fullmatch(body)
    if mixed is not None and mixed["sep"] != mixed["dec"]:
        return mixed["int"].replace(mixed["sep"], "") + "." + mixed["frac"]
    return None
