"""The bot's health at a glance: what the running process measures, what it last wrote down, and how to show it.

``StatusMonitor`` lives in the bot process (start time, recent errors); ``Heartbeat`` is one snapshot of it, written
to the database periodically so that ``imgbot status``, another process, can tell whether the bot is alive.
``status_rows`` turns a ``StatusReport`` into labelled lines that the command line and ``/status`` both show.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from bot.observability.logs import enrich

HEARTBEAT_INTERVAL = dt.timedelta(seconds=60)
STALE_AFTER = HEARTBEAT_INTERVAL * 3
"""A heartbeat older than this means the process is gone (or hung), even if it never said it stopped."""
RECENT_ERRORS = 10
SUMMARY_CHARS = 200

State = Literal["running", "stopped"]
ShardState = Literal["ready", "connecting", "disconnected"]

# Delivery kinds, in the order shown, with their labels (the deliveries table's target_kind values).
DELIVERY_KINDS: dict[str, str] = {
    "milestone": "milestone reminders",
    "event": "server events",
    "studygroup-prompt": "study-group prompts",
    "studygroup-recap": "study-group recaps",
    "studygroup-nudge": "streak nudges",
    "discord-event": "Discord scheduled events",
}


@dataclass(frozen=True)
class ErrorNote:
    at: dt.datetime
    reference: str
    summary: str


@dataclass(frozen=True)
class ShardFigures:
    """One gateway shard: ``ready`` once its servers have all arrived (after a RESUME at once), ``connecting`` while
    it identifies or waits for its turn to, ``disconnected`` while its connection is down; ``latency`` is None until
    it acknowledged a heartbeat."""

    id: int
    state: ShardState
    latency: float | None
    guilds: int


@dataclass(frozen=True)
class LiveFigures:
    """What the bot measures right now; ``latency`` is None until the gateway acknowledged a heartbeat (with shards,
    discord.py's average over them)."""

    latency: float | None
    guilds: int
    jobs: int
    shards: tuple[ShardFigures, ...] = ()


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    state: State
    started_at: dt.datetime
    beat_at: dt.datetime
    latency: float | None
    guilds: int
    jobs: int
    shards: tuple[ShardFigures, ...] = ()

    def uptime(self, now: dt.datetime) -> dt.timedelta:
        """How long the process has been up (until it stopped, if it did)."""
        end = self.beat_at if self.state == "stopped" else now
        return max(end - self.started_at, dt.timedelta(0))


@dataclass(frozen=True)
class DeliveryCounts:
    kind: str
    sent: int = 0
    late: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def label(self) -> str:
        return DELIVERY_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class ProcessBeat:
    """A process of a cluster (SHARDS), as its row in ``status_processes`` says (bot/observability/cluster.py)."""

    instance: str
    slot: str
    host: str
    pid: int
    state: State
    started_at: dt.datetime
    beat_at: dt.datetime
    latency: float | None
    guilds: int
    jobs: int

    def running(self, now: dt.datetime) -> bool:
        return self.state == "running" and now - self.beat_at <= STALE_AFTER


@dataclass(frozen=True)
class StatusReport:
    now: dt.datetime
    heartbeat: Heartbeat | None
    deliveries: list[DeliveryCounts]
    errors: list[ErrorNote]
    source: Literal["live", "database"]
    window: dt.timedelta = field(default=dt.timedelta(hours=24))
    processes: tuple[ProcessBeat, ...] = ()
    """The processes of a cluster that ran in the last day (none for a bot run as one process)."""

    @property
    def heartbeat_age(self) -> dt.timedelta | None:
        return None if self.heartbeat is None else max(self.now - self.heartbeat.beat_at, dt.timedelta(0))

    @property
    def running(self) -> bool:
        """The bot runs: its heartbeat is recent, or (a cluster) one of its processes' is."""
        age = self.heartbeat_age
        alive = self.heartbeat is not None and self.heartbeat.state == "running"
        return (alive and age is not None and age <= STALE_AFTER) or any(p.running(self.now) for p in self.processes)


_SNOWFLAKE = re.compile(r"\b\d{15,20}\b")
"""A Discord id (a user's among them): 17 to 20 digits today, 15 for the oldest."""
_USER_FIELD = re.compile(r"\buser[=:\s]+\d+", re.IGNORECASE)
"""``user=3`` or ``user 3``, as log lines and messages name a member (short ids in tests and the emulator)."""


def custom_id_prefix(custom_id: str) -> str:
    """The part of a component's or modal's custom id that names it, before any id it carries: ``sg:share`` for
    ``sg:share:<user id>``. Custom ids may hold user ids, and error_log is not covered by /mydata."""
    parts = []
    for part in custom_id.split(":"):
        if any(c.isdigit() for c in part):
            break
        parts.append(part)
    return ":".join(parts)


def summarise(record: logging.LogRecord) -> str:
    """One line about an error: where it happened (command, component, job) and what it was, never who.

    It is stored in error_log, which /mydata export and delete do not cover, so no user id may be in it: a custom id
    is cut to its name, and any Discord id or ``user ...`` in the text is replaced."""
    context = getattr(record, "context", {})
    where = ""
    for key in ("command", "component", "modal", "job"):
        if key in context:
            value = str(context[key])
            where = (custom_id_prefix(value) or key) if key in ("component", "modal") else value
            break
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        what = f"{type(error).__name__}: {error}".strip().rstrip(":")
    else:
        what = record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else record.levelname
    text = f"{where}: {what}" if where else what
    text = _SNOWFLAKE.sub("<id>", _USER_FIELD.sub("user <id>", " ".join(text.split())))
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


class StatusMonitor:
    """The running bot's in-memory status: when it started and its last few errors (any thread may log one)."""

    def __init__(self, started_at: dt.datetime, *, pid: int | None = None, keep: int = RECENT_ERRORS) -> None:
        if started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        self.started_at = started_at
        self.pid = pid if pid is not None else os.getpid()
        self.keep = keep
        self._errors: deque[ErrorNote] = deque(maxlen=keep)
        # Bounded like the errors shown: before the first heartbeat (or while the database cannot be written) errors
        # pile up here, and only the last few would be shown anyway.
        self._unsaved: deque[ErrorNote] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.on_error: Callable[[], None] | None = None

    def note_error(self, note: ErrorNote) -> None:
        with self._lock:
            self._errors.append(note)
            self._unsaved.append(note)
        if self.on_error is not None:
            self.on_error()

    def recent_errors(self) -> list[ErrorNote]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._errors))

    def take_unsaved(self) -> list[ErrorNote]:
        with self._lock:
            unsaved = list(self._unsaved)
            self._unsaved.clear()
        return unsaved

    def keep_unsaved(self, notes: list[ErrorNote]) -> None:
        """Put back notes whose write failed, ahead of any noted since (the oldest go when there are too many)."""
        with self._lock:
            self._unsaved = deque([*notes, *self._unsaved], maxlen=self.keep)

    def heartbeat(self, figures: LiveFigures, now: dt.datetime, state: State = "running") -> Heartbeat:
        return Heartbeat(
            pid=self.pid,
            state=state,
            started_at=self.started_at,
            beat_at=now,
            latency=figures.latency,
            guilds=figures.guilds,
            jobs=figures.jobs,
            shards=figures.shards,
        )


class ErrorCollector(logging.Handler):
    """Hands every ERROR record to a ``StatusMonitor`` with the reference that its log line shows."""

    def __init__(self, monitor: StatusMonitor) -> None:
        super().__init__(logging.ERROR)
        self.monitor = monitor

    def emit(self, record: logging.LogRecord) -> None:
        try:
            enrich(record)
            at = dt.datetime.fromtimestamp(record.created, dt.UTC)
            self.monitor.note_error(ErrorNote(at, str(getattr(record, "reference", "")), summarise(record)))
        except Exception:
            self.handleError(record)


# -- showing it ----------------------------------------------------------------------------------------------------


def format_duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def _latency(value: float | None) -> str:
    return "not measured yet" if value is None else f"{value * 1000:.0f} ms"


SHARDS_LISTED = 10
"""Up to this many shards are listed one per line; more are summed up (the ones not ready still listed)."""


def _shard_summary(shards: tuple[ShardFigures, ...]) -> str:
    states = Counter(shard.state for shard in shards)
    if states["ready"] == len(shards):
        return f"{len(shards)}, all ready"
    parts = [f"{states[state]} {state}" for state in ("ready", "connecting", "disconnected") if states[state]]
    return f"{len(shards)}: {', '.join(parts)}"


def _shard_line(shard: ShardFigures) -> str:
    servers = "server" if shard.guilds == 1 else "servers"
    return f"{shard.state}, {_latency(shard.latency)}, {shard.guilds:,} {servers}"


def _shard_rows(shards: tuple[ShardFigures, ...]) -> list[tuple[str, str]]:
    """One line per shard; past SHARDS_LISTED, the latency range and every shard that is not ready."""
    if len(shards) <= SHARDS_LISTED:
        return [(f"Shard {shard.id}", _shard_line(shard)) for shard in shards]
    measured = sorted(shard.latency for shard in shards if shard.latency is not None)
    rows = [("Latency", f"{_latency(measured[0])} to {_latency(measured[-1])}" if measured else _latency(None))]
    rows += [(f"Shard {shard.id}", _shard_line(shard)) for shard in shards if shard.state != "ready"]
    return rows


def _deliveries(counts: DeliveryCounts) -> str:
    late = f" ({counts.late} late)" if counts.late else ""
    parts = [f"{counts.sent} sent{late}", f"{counts.skipped} skipped", f"{counts.failed} failed"]
    if counts.pending:
        parts.append(f"{counts.pending} pending")
    return ", ".join(parts)


@dataclass(frozen=True)
class Section:
    """A titled group of (label, value) rows; the first section has no title."""

    title: str
    rows: list[tuple[str, str]]


def utc_text(at: dt.datetime) -> str:
    """A time as plain UTC text, for the command line."""
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z"


def status_sections(report: StatusReport, format_time: Callable[[dt.datetime], str] = utc_text) -> list[Section]:
    """What ``imgbot status`` prints and ``/status`` shows: the bot, its shards, its deliveries, its last errors.

    ``format_time`` writes the errors' times: UTC text here, a Discord timestamp (the reader's own zone) in /status.
    """
    rows: list[tuple[str, str]] = []
    beat = report.heartbeat
    age = report.heartbeat_age
    if (beat is None or age is None) and report.processes:
        running = sum(p.running(report.now) for p in report.processes)
        rows.append(("Bot", f"a cluster: {running} of its processes running (below)"))
    elif beat is None or age is None:
        rows.append(("Bot", "no heartbeat yet: the bot has not connected with this database"))
    else:
        if report.running:
            said = "running"
        elif beat.state == "stopped":
            said = "stopped"
        else:
            said = "not running (no heartbeat for too long; it may have crashed)"
        when = "live" if report.source == "live" else f"heartbeat {format_duration(age)} ago"
        rows.append(("Bot", f"{said} (pid {beat.pid}, {when})"))
        rows.append(("Uptime" if beat.state == "running" else "Ran for", format_duration(beat.uptime(report.now))))
        average = " (average)" if len(beat.shards) > 1 else ""
        rows.append(("Gateway latency", _latency(beat.latency) + average))
        if beat.shards:
            rows.append(("Shards", _shard_summary(beat.shards)))
        rows.append(("Servers", f"{beat.guilds:,}"))
        rows.append(("Scheduled jobs", f"{beat.jobs:,}"))
    hours = round(report.window.total_seconds() / 3600)
    deliveries = [(counts.label, _deliveries(counts)) for counts in report.deliveries]
    errors = [(format_time(note.at), f"[{note.reference}] {note.summary}") for note in report.errors]
    shards = [Section("Gateway shards", _shard_rows(beat.shards))] if beat is not None and beat.shards else []
    processes = (
        [Section("Processes", [_process_row(p, report.now) for p in report.processes])] if report.processes else []
    )
    return [
        Section("", rows),
        *processes,
        *shards,
        Section(f"Deliveries in the last {hours} hours", deliveries),
        Section("Last errors", errors or [("none", "")]),
    ]


def _process_row(process: ProcessBeat, now: dt.datetime) -> tuple[str, str]:
    if process.running(now):
        said = "running"
    elif process.state == "stopped":
        said = "stopped"
    else:
        said = "not running (no heartbeat for too long)"
    age = format_duration(max(now - process.beat_at, dt.timedelta(0)))
    return (
        f"shards {process.slot}",
        f"{said}, {process.host} pid {process.pid}, heartbeat {age} ago, {process.guilds:,} servers, "
        f"latency {_latency(process.latency)}",
    )


def status_text(report: StatusReport) -> str:
    """The report as plain text lines, labels aligned."""
    lines: list[str] = []
    for section in status_sections(report):
        indent = "  " if section.title else ""
        if section.title:
            lines.append(f"{section.title}:")
        width = max((len(label) for label, _ in section.rows), default=0)
        for label, value in section.rows:
            lines.append(f"{indent}{label + ':' if value else label:<{width + 1}} {value}".rstrip())
    return "\n".join(lines)


def status_json(report: StatusReport) -> dict[str, object]:
    """The report as plain JSON values (times in ISO 8601 UTC, latency in milliseconds)."""
    beat = report.heartbeat
    age = report.heartbeat_age
    return {
        "now": report.now.isoformat(),
        "source": report.source,
        "running": report.running,
        "heartbeat": None
        if beat is None
        else {
            "pid": beat.pid,
            "state": beat.state,
            "started_at": beat.started_at.isoformat(),
            "beat_at": beat.beat_at.isoformat(),
            "age_seconds": None if age is None else round(age.total_seconds(), 3),
            "uptime_seconds": round(beat.uptime(report.now).total_seconds(), 3),
            "latency_ms": None if beat.latency is None else round(beat.latency * 1000, 1),
            "guilds": beat.guilds,
            "jobs": beat.jobs,
            "shards": [
                {
                    "id": shard.id,
                    "state": shard.state,
                    "latency_ms": None if shard.latency is None else round(shard.latency * 1000, 1),
                    "guilds": shard.guilds,
                }
                for shard in beat.shards
            ],
        },
        "processes": [
            {
                "instance": p.instance,
                "shards": p.slot,
                "host": p.host,
                "pid": p.pid,
                "state": p.state,
                "running": p.running(report.now),
                "started_at": p.started_at.isoformat(),
                "beat_at": p.beat_at.isoformat(),
                "latency_ms": None if p.latency is None else round(p.latency * 1000, 1),
                "guilds": p.guilds,
                "jobs": p.jobs,
            }
            for p in report.processes
        ],
        "deliveries_window_hours": report.window.total_seconds() / 3600,
        "deliveries": {c.kind: {k: v for k, v in asdict(c).items() if k != "kind"} for c in report.deliveries},
        "errors": [{"at": n.at.isoformat(), "reference": n.reference, "summary": n.summary} for n in report.errors],
    }
