"""The bot's settings: one typed object, read from the environment and `.env`, never a global."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_DATA = Path(__file__).resolve().parent / "_data"
"""The curated content inside a plain (not editable) install: the build copies data/ there (build_content.py)."""
DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"

TEST_HOOK_PREFIX = "IMGBOT_TEST_"
"""Environment variables that only end-to-end tests and local mode set, read outside ``Settings``: the test clock
(``IMGBOT_TEST_CLOCK_OFFSET_SECONDS``), the readiness date (``IMGBOT_TEST_READINESS_NOW``) and crash injection
(``IMGBOT_TEST_CRASH_AFTER_SEND``). They take effect only against a local emulator (``active_test_hooks``)."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

log = logging.getLogger(__name__)


_UNPARSABLE_URL = (
    "DATABASE_URL must be postgresql://user@host:port/database; a password with @, #, / or ? in it must be "
    "percent-encoded (or leave it out and set PGPASSWORD)"
)


def parse_shards(text: str) -> tuple[int, ...]:
    """``0-3`` -> (0, 1, 2, 3); ``0,2,5`` -> (0, 2, 5); ``1-2,6`` -> (1, 2, 6). Sorted, without repeats."""
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"shards must look like 0-3 or 0,2,5, not {text!r}")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"shard range {part} runs backwards")
        found.update(range(first, last + 1))
    return tuple(sorted(found))


def default_data_dir() -> Path:
    """DATA_DIR when unset: the content shipped inside the package by a plain install, else the checkout's data/."""
    return PACKAGED_DATA if PACKAGED_DATA.is_dir() else REPO_ROOT / "data"


def default_var_dir() -> Path:
    """Where the database and its backups go when unset: the checkout's var/, or for a plain install var/ in the
    working directory (where .env is read from too): site-packages is no place for a database."""
    return Path.cwd() / "var" if PACKAGED_DATA.is_dir() else REPO_ROOT / "var"


class Settings(BaseSettings):
    """Everything the bot can be configured with; `.env.example` documents each key."""

    # A key with an empty value (`.env.example` ships several) is not set: the default applies, and the setting does
    # not count as chosen by the owner (MEMBERS_INTENT= is not MEMBERS_INTENT=true; see members_intent_required).
    # hide_input_in_errors: a refused value is never repeated in the message (a token, a password in DATABASE_URL).
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    discord_token: SecretStr | None = Field(default=None, description="The bot token from the Developer Portal.")
    database_path: Path = Field(default_factory=lambda: default_var_dir() / "imgbot.sqlite3")
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db selects PostgreSQL; unset: SQLite at DATABASE_PATH. "
        "Secret: it may hold a password, so it is never logged.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    dev_guild_id: int | None = Field(default=None, description="Register commands to this server only.")
    discord_api_base: str = DISCORD_API_BASE
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one readable line per record; json: one JSON object per line."
    )
    owner_ids: list[int] = Field(default_factory=list, description="Discord user ids allowed to use owner commands.")
    backup_dir: Path = Field(default_factory=lambda: default_var_dir() / "backups")
    backup_interval_hours: float = Field(default=24.0, ge=0, description="0 turns scheduled backups off.")
    backup_keep: int = Field(default=7, ge=1)
    delivery_grace_hours: float = Field(
        default=6.0,
        ge=0,
        description="Announcements missed while the bot was down are posted late within this many hours, else skipped.",
    )
    members_intent: bool = Field(
        default=True,
        description="Ask Discord for the privileged Server Members intent (member leave and join events); unset: "
        "ask, and run without it if Discord does not allow it; true: required; false: never asked for.",
    )
    discord_connect_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long `imgbot run` keeps trying to reach Discord at start before it stops with one line.",
    )
    quiz_group_seconds: int = Field(
        default=30, ge=3, le=600, description="How long each question of a group quiz stays open, in seconds."
    )
    shards: str | None = Field(
        default=None,
        description="This process's shards when several processes share the bot: a range `0-3` or a list `0,2,5`; "
        "needs SHARD_COUNT. Unset: one process runs every shard (Discord's recommended count).",
    )
    shard_count: int | None = Field(default=None, ge=1, le=4096, description="The bot's total shard count (SHARDS).")
    rate_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="This process's share of Discord's 50 requests/s for scheduled work; unset: its shards' share "
        "of SHARD_COUNT (3 of 8 shards: 3/8), or all of it for one process.",
    )
    command_cooldowns: bool = Field(
        default=True, description="Per-user limits on the costliest commands; off only for load benchmarks."
    )

    @field_validator("dev_guild_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # `.env.example` ships the key with an empty value; treat that as "not set".
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        # The messages never repeat the value: it may hold a password.
        if value is None:
            return None
        url = value.get_secret_value()
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "DATABASE_URL must start with postgresql:// (leave it unset to use SQLite at DATABASE_PATH)"
            )
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            raise ValueError(_UNPARSABLE_URL) from None
        if not parts.hostname or not parts.path.strip("/") or "#" in url or parts.netloc.count("@") > 1:
            raise ValueError(_UNPARSABLE_URL)
        return value

    @field_validator("shards", mode="before")
    @classmethod
    def _shards_parse(cls, value: object) -> object:
        if value in ("", None):
            return None
        parse_shards(str(value))  # raises ValueError with the reason
        return str(value).replace(" ", "")

    @model_validator(mode="after")
    def _shards_within_count(self) -> Settings:
        if self.shards is not None:
            if self.shard_count is None:
                raise ValueError("SHARDS needs SHARD_COUNT (the bot's total number of shards)")
            outside = [i for i in parse_shards(self.shards) if i >= self.shard_count]
            if outside:
                raise ValueError(
                    f"SHARDS {self.shards} names shard {outside[0]}, but SHARD_COUNT is {self.shard_count}"
                )
        return self

    @property
    def scheduled_rate_share(self) -> float:
        """This process's share of the bot's rate budget: RATE_SHARE, else its shards' share of SHARD_COUNT."""
        if self.rate_share is not None:
            return self.rate_share
        ids = self.shard_ids
        return 1.0 if ids is None or self.shard_count is None else len(ids) / self.shard_count

    @property
    def cluster_slot(self) -> str | None:
        """This process's place in a cluster (``0-3/8``), naming what it keeps apart from the others; None alone."""
        return None if self.shards is None else f"{self.shards}/{self.shard_count}"

    @property
    def shard_ids(self) -> tuple[int, ...] | None:
        """This process's shards, or None: every shard of the recommended count."""
        return None if self.shards is None else parse_shards(self.shards)

    @field_validator("discord_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def database_target(self) -> Path | str:
        """What ``open_database`` opens: DATABASE_URL when set (it wins over DATABASE_PATH), else DATABASE_PATH."""
        return self.database_url.get_secret_value() if self.database_url is not None else self.database_path

    @property
    def database_password(self) -> str | None:
        """The password in DATABASE_URL (its user part or a ``password=`` parameter), to keep out of every log."""
        if self.database_url is None:
            return None
        parts = urlsplit(self.database_url.get_secret_value())
        given = dict(parse_qsl(parts.query)).get("password")
        return unquote(parts.password) if parts.password else given

    @property
    def database_shown(self) -> str:
        """The database for a log line or a message: the URL without its password, or the SQLite file."""
        if self.database_url is None:
            return str(self.database_path)
        parts = urlsplit(self.database_url.get_secret_value())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"

    @property
    def members_intent_required(self) -> bool:
        """MEMBERS_INTENT=true set by the owner (environment or .env), not the default: without the intent the bot
        does not start. With the default it starts without it when Discord does not allow it (bot/preflight.py)."""
        return self.members_intent and "members_intent" in self.model_fields_set

    @property
    def uses_real_discord(self) -> bool:
        return self.discord_api_base == DISCORD_API_BASE

    @property
    def uses_local_emulator(self) -> bool:
        """Both Discord addresses are on this machine: the built-in emulator of the tests and of local mode."""
        return _on_this_machine(self.discord_api_base) and _on_this_machine(self.discord_gateway_url)

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def _on_this_machine(url: str) -> bool:
    host = urlsplit(url.strip()).hostname
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def active_test_hooks(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """The test hooks (``IMGBOT_TEST_*``) of ``environ`` that may take effect: all of them when the bot talks to a
    local emulator, none otherwise. Against real Discord (or any address off this machine) a test clock or an
    injected crash would post at the wrong time or kill the bot, so they are ignored, with one warning naming them."""
    hooks = {name: value for name, value in environ.items() if name.startswith(TEST_HOOK_PREFIX)}
    if not hooks or settings.uses_local_emulator:
        return hooks
    log.warning(
        "ignoring the test settings %s: they take effect only against a local emulator, and this bot talks to %s",
        ", ".join(sorted(hooks)),
        settings.discord_api_base,
    )
    return {}
