"""Log records that say which interaction or job they belong to, as text or as JSON lines, never with a secret.

Every handler installed by ``configure_logging`` runs ``enrich`` on each record: it attaches the fields bound by
``bot.observability.context`` and gives every ERROR (and worse) record a short ``reference``, unless the code that
logged it chose one (the error handler passes the one it shows the user), so a moderator can quote what a member
was told and find the line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets as secrets_module
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Literal, TextIO

from bot.observability.context import current

LogFormat = Literal["text", "json"]

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def new_reference() -> str:
    """Six hex characters: short enough to read out, enough to tell the day's errors apart."""
    return secrets_module.token_hex(3)


def enrich(record: logging.LogRecord) -> logging.LogRecord:
    """Attach the context fields and, for errors, a reference (idempotent: every handler may call it)."""
    if not hasattr(record, "context"):
        record.context = dict(current())
    if record.levelno >= logging.ERROR and not getattr(record, "reference", None):
        record.reference = new_reference()
    return record


def record_fields(record: logging.LogRecord) -> dict[str, str]:
    """The structured fields of a record: its context, then its reference if it has one."""
    enrich(record)
    fields = dict(getattr(record, "context", {}))
    reference = getattr(record, "reference", None)
    if reference:
        fields["ref"] = str(reference)
    return fields


_NEEDS_QUOTES = re.compile(r'[ "=\n]')


def _logfmt(value: str) -> str:
    # One regex scan instead of a generator per character class: this runs for every field of every line.
    return json.dumps(value, ensure_ascii=False) if (not value or _NEEDS_QUOTES.search(value)) else value


class ContextFilter(logging.Filter):
    """Lets every record through, enriched with its context and reference."""

    def filter(self, record: logging.LogRecord) -> bool:
        enrich(record)
        return True


class _Redacting(logging.Formatter):
    def __init__(self, fmt: str | None, secrets: Iterable[str]) -> None:
        super().__init__(fmt, DATE_FORMAT)
        self.converter = time.gmtime
        # Longest first, so a secret that contains another is replaced whole; JSON-escaped forms too.
        values = {s for s in secrets if s} | {json.dumps(s)[1:-1] for s in secrets if s}
        self._secrets = sorted(values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(_Redacting):
    """``2026-03-01T12:00:00Z INFO    cogs.knowledge: message  interaction=1 command=/ask guild=2 user=3``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(TEXT_FORMAT, secrets)

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record)
        line = super().format(record)
        if fields:
            head, sep, tail = line.partition("\n")
            line = head + "  " + " ".join(f"{k}={_logfmt(v)}" for k, v in fields.items()) + sep + tail
        return self.redact(line)


class JsonFormatter(_Redacting):
    """One JSON object per line: time, level, logger, message, the context fields, reference and exception."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(None, secrets)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record_fields(record)
        if "ref" in fields:
            fields["reference"] = fields.pop("ref")
        document.update(fields)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(document, ensure_ascii=False, default=str))


def build_handler(fmt: LogFormat, secrets: Sequence[str] = (), stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets))
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(level: int, fmt: LogFormat = "text", secrets: Sequence[str] = ()) -> logging.Handler:
    """Log to stderr in ``fmt``, with ``secrets`` (the bot token) replaced wherever they would appear."""
    handler = build_handler(fmt, secrets)
    logging.basicConfig(level=level, handlers=[handler])
    # discord.py's HTTP and gateway chatter is useful only when debugging them.
    logging.getLogger("discord").setLevel(max(level, logging.INFO))
    return handler
