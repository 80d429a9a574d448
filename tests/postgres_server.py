"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary directory, on loopback, gone after.

Uses the server programs of the machine's PostgreSQL (``pg_config --bindir``; Debian keeps them outside PATH, and the
Makefile installs the ``postgresql`` package when they are missing). PostgreSQL refuses to run as root, so as root
the cluster belongs to the ``postgres`` system user and every program runs through ``runuser``.

Each test that wants a database gets a new one copied from a template that already holds the bot's schema
(``CREATE DATABASE … TEMPLATE``, a file copy: tens of milliseconds), so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 60
"""Seconds for initdb plus start-up on a busy 2-core machine (both take about 2 s on a quiet one)."""


def bindir() -> Path | None:
    """Where the PostgreSQL server programs are, or None when this machine has none."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        return Path(initdb).parent
    found = shutil.which("pg_config")
    if found is not None:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """One running cluster; ``url(name)`` names a database on it."""

    directory: Path
    port: int
    bin: Path
    as_postgres: bool
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PostgresServer:
        found = bindir()
        if found is None:
            raise RuntimeError("PostgreSQL's server programs are missing: run `make install` (it installs them)")
        as_postgres = os.geteuid() == 0
        directory = Path(tempfile.mkdtemp(prefix="imgbot-pg-"))
        server = cls(directory, _free_port(), found, as_postgres)
        if as_postgres:
            shutil.chown(directory, "postgres", "postgres")
        # The C collation orders text by bytes, as SQLite does, whatever the machine's locale.
        server._run(
            "initdb", "-D", str(server.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"
        )
        server._run(
            "pg_ctl",
            "-D",
            str(server.data),
            "-l",
            str(directory / "server.log"),
            "-w",
            "-t",
            str(START_TIMEOUT),
            "-o",
            # fsync off: a test cluster need not survive a power cut, and it makes CREATE DATABASE cheap.
            f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        )
        return server

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_name(self, prefix: str = "test") -> str:
        return f"{prefix}_{os.getpid()}_{next(self._names)}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT * 2, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
