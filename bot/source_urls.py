"""The one rule for every source address in the curated data (knowledge entries, quiz questions, cycle calendars,
specialties): members open these links to check what the bot told them, so each must be a working-looking https
address, and a host that looks like a typo (``ww.faimer.org``) is refused when the data is validated
(``imgbot kb validate`` names the file, line and field), not discovered by a member.

What it cannot know (whether the page still exists, whether a host is a staging mirror of the real site) is for the
review list: ``python -m bot.source_urls data`` prints every address by host, with the files that cite it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_TOP_LEVEL = re.compile(r"[a-z]{2,}")
_WWW_TYPO = re.compile(r"w{1,2}|w{4,}")
"""A first label that is almost ``www``: ``w``, ``ww``, ``wwww`` (``www2`` and the like are real and allowed)."""
_SCHEMES_IN_HOST = frozenset({"http", "https"})
_ADDRESS = re.compile(r"https?://[^\s\"'<>)\]`]+")
# Any whitespace (what str.isspace calls whitespace), found in one scan rather than a call per character: start-up
# checks every source address of the data.
_SPACE = re.compile(r"\s")


def check_source_url(value: str) -> str:
    """``value`` when it is a plausible https source address; ValueError saying what is wrong otherwise."""
    if not value:
        raise ValueError("is missing: give the https:// address of the page")
    if _SPACE.search(value):
        raise ValueError("must not contain spaces")
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError("must start with https:// (a secure address; http:// pages are refused)")
    host = parts.hostname or ""
    if not parts.netloc or not host or "." not in host:
        raise ValueError("needs a full host name after https://, e.g. https://www.ecfmg.org/...")
    if parts.username or parts.password or parts.port is not None:
        raise ValueError(f"has a user name, password or port in `{parts.netloc}`: give the plain address")
    labels = host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"has a host name `{host}` that a web address cannot have (an empty part, or a character)")
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        raise ValueError(f"has a host name `{host}` that does not end in a domain such as .org or .com")
    if labels[0] in _SCHEMES_IN_HOST:
        raise ValueError(f"has `{labels[0]}` as the start of its host `{host}`: is https:// written twice?")
    if len(labels) > 2 and labels[0] != "www" and _WWW_TYPO.fullmatch(labels[0]):
        raise ValueError(f"has the host `{host}`, which looks like a typo of www.{'.'.join(labels[1:])}")
    return value


def addresses_in(text: str) -> list[str]:
    """Every http(s) address in a data file's text (front matter, YAML, or prose), trailing punctuation removed."""
    return [match.rstrip(".,;:") for match in _ADDRESS.findall(text)]


def source_list(files: Iterable[Path], root: Path) -> dict[str, dict[str, list[str]]]:
    """host -> address -> the files (relative to ``root``) that cite it."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(files):
        for address in dict.fromkeys(addresses_in(path.read_text(encoding="utf-8"))):
            host = (urlsplit(address).hostname or "?").lower()
            found[host][address].append(str(path.relative_to(root)))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print every source address under a data directory by host, flagging those the rule refuses."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "data")
    files = [p for p in root.rglob("*") if p.suffix in {".md", ".yaml", ".yml"}]
    refused = 0
    listing = source_list(files, root)
    for host in sorted(listing, key=lambda h: (h.removeprefix("www."), h)):
        addresses = listing[host]
        print(f"{host}  ({len(addresses)} address{'es' if len(addresses) != 1 else ''})")
        for address, cited_in in sorted(addresses.items()):
            try:
                check_source_url(address)
                mark = " "
            except ValueError as problem:
                mark = "!"
                refused += 1
                log.debug("%s refused: %s", address, problem)
            print(f"  {mark} {address}  ({', '.join(cited_in[:3])}{' ...' if len(cited_in) > 3 else ''})")
    print(f"{sum(len(a) for a in listing.values())} addresses on {len(listing)} hosts; {refused} refused (marked !).")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
