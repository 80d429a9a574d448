"""deploy/ works as an operator copies it: the container file, the compose file, the systemd unit and its environment
file (deploy/README.md).

No container engine or systemd runs here, so each file is read as its engine reads it and what it runs is run in a
plain virtual environment: the wheel built from exactly what the Containerfile copies is the wheel `pip install .`
builds (the ``plain_install`` of tests/packaging/conftest.py, shared with test_plain_install.py), and in that
environment the image's validation step, its start command (against the built-in Discord emulator, with the
settings of imgbot.env.example layered as Compose layers them) and its health check (against the database the bot
created) do what the files say. ``/data``, the image's volume, stands for a temporary directory.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import Settings
from discord_emulator import Emulator, World
from tests.conftest import REPO_ROOT
from tests.e2e.harness import BotProcess
from tests.packaging.conftest import PlainInstall
from tests.packaging.fresh_install import STEP_TIMEOUT, build_wheel, clean_env
from tests.postgres_server import PostgresServer
from tests.unit.db.postgres_helpers import new_empty_database

# heavy: it builds wheels and runs a bot from a fresh install (tests/conftest.py keeps heavy tests apart).
pytestmark = [pytest.mark.install, pytest.mark.heavy]

DEPLOY = REPO_ROOT / "deploy"
CONTAINERFILE = DEPLOY / "Containerfile"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "systemd" / "imgbot.service"
ENV_EXAMPLE = DEPLOY / "systemd" / "imgbot.env.example"

VENV_IN_IMAGE = "/opt/imgbot"
"""Where the Containerfile's build stage creates the virtual environment the image runs from."""

START_TIMEOUT = 60
"""Seconds for the bot to connect to the emulator and write its first heartbeat: about 3 s on an idle machine; the
rest is for a machine running several suites at once."""


# -- the Containerfile, read as BuildKit reads it -----------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [i.arguments for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> str:
        [arguments] = self.all(keyword)
        return arguments

    def env(self) -> dict[str, str]:
        """Every ENV of the stage, in the ``ENV KEY=value KEY=value`` form."""
        values: dict[str, str] = {}
        for arguments in self.all("ENV"):
            for pair in shlex.split(arguments):
                key, sep, value = pair.partition("=")
                assert sep, f"ENV {arguments!r}: use KEY=value"
                values[key] = value
        return values


def instructions(text: str) -> Iterator[Instruction]:
    """A backslash at a line's end continues the instruction on the next line; comment lines are dropped, also
    between continued lines, as BuildKit does."""
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        if whole:
            keyword, _, arguments = whole.partition(" ")
            yield Instruction(keyword.upper(), " ".join(arguments.split()))
    assert not pending, "the Containerfile ends inside a continued line"


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            base, _, name = instruction.arguments.partition(" AS ")
            found.append(Stage(base.strip(), name.strip() or None))
        else:
            assert found, f"{instruction.keyword} before the first FROM"
            found[-1].instructions.append(instruction)
    return found


def exec_form(arguments: str) -> list[str]:
    """A CMD or HEALTHCHECK command in exec form (a JSON list), which runs without a shell."""
    command = json.loads(arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), arguments
    return command


def healthcheck(stage: Stage) -> tuple[dict[str, str], list[str]]:
    """The HEALTHCHECK's options (``--interval=60s``...) and its command."""
    options, _, command = stage.one("HEALTHCHECK").partition(" CMD ")
    parsed = dict(option.removeprefix("--").split("=", 1) for option in options.split())
    return parsed, exec_form(command)


@pytest.fixture(scope="module")
def image() -> list[Stage]:
    return stages(CONTAINERFILE.read_text(encoding="utf-8"))


def build_stage(image: list[Stage]) -> Stage:
    [stage] = [s for s in image if s.name == "build"]
    return stage


# -- the compose file, the unit and the environment file, read as their programs read them ------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def the_bot_service() -> dict[str, Any]:
    service = compose()["services"]["imgbot"]
    assert isinstance(service, dict)
    return service


def the_database_service() -> dict[str, Any]:
    service = compose()["services"]["postgres"]
    assert isinstance(service, dict)
    return service


COMPOSE_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
"""``${NAME}``, ``${NAME:?message}``, ``${NAME:-default}``: what Compose fills in from deploy/.env or the shell."""


def interpolated(value: str, variables: dict[str, str]) -> str:
    """``value`` as Compose passes it on, with ``variables`` standing for deploy/.env."""
    return COMPOSE_VARIABLE.sub(lambda match: variables[match.group(1)], value)


def unit_sections(text: str) -> dict[str, list[tuple[str, str]]]:
    """systemd's unit syntax: ``[Section]`` headers, ``Key=value`` lines, comments starting with ``#`` or ``;``; a
    key may repeat (SystemCallFilter=), so each section is a list of pairs rather than configparser's dictionary."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{UNIT.name}:{number}: not a Key=value line in a section: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def unit_value(section: list[tuple[str, str]], key: str) -> str:
    [value] = [v for k, v in section if k == key]
    return value


def env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines and ``#`` comment lines only: no quotes, no comment after a value, so that systemd's
    EnvironmentFile= and Compose's env_file read the same values."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"{path.name}:{number}: not KEY=value: {line!r}"
        assert not re.search(r"""['"#]""", value), f"{path.name}:{number}: a quote or a comment in the value"
        assert key not in values, f"{path.name}:{number}: {key} again"
        values[key] = value
    return values


# -- the image ----------------------------------------------------------------------------------------------------


def test_the_image_is_python_311_slim_runs_imgbot_run_as_a_user_that_is_not_root(image: list[Stage]) -> None:
    assert [stage.base for stage in image] == ["python:3.11-slim"] * len(image)
    final = image[-1]
    keywords = [i.keyword for i in final.instructions]
    user = final.one("USER")
    assert user not in {"root", "0"} and not user.startswith(("root:", "0:"))
    assert "useradd --system --uid 10001 --user-group" in " ".join(final.all("RUN")) and user == "imgbot"
    assert keywords.index("USER") < keywords.index("CMD")  # the bot and its health check never run as root
    assert exec_form(final.one("CMD")) == ["imgbot", "run"]


def test_the_image_installs_the_wheel_not_an_editable_checkout(image: list[Stage]) -> None:
    [install] = build_stage(image).all("RUN")
    assert "pip wheel" in install and "--no-deps" in install and install.split("&&")[0].rstrip().endswith(" .")
    assert f"-m venv {VENV_IN_IMAGE} " in install
    assert f"{VENV_IN_IMAGE}/bin/pip install --no-cache-dir /wheel/img_pathway_bot-*.whl" in install
    assert " -e " not in install and "--editable" not in install
    final = image[-1]
    assert f"--from=build {VENV_IN_IMAGE} {VENV_IN_IMAGE}" in final.all("COPY")
    assert final.env()["PATH"] == f"{VENV_IN_IMAGE}/bin:$PATH"


def test_the_image_build_copies_what_pip_install_dot_reads_and_nothing_else(
    image: list[Stage], plain_install: PlainInstall, tmp_path: Path
) -> None:
    """The build stage copies named files and folders only, never the whole context (a checkout's .env holds the
    token, var/ members' data); the wheel built from exactly those is the one `pip install .` builds."""
    stage = build_stage(image)
    source = tmp_path / "src"
    source.mkdir()
    copied: set[str] = set()
    for arguments in stage.all("COPY"):
        *sources, target = arguments.split()
        for name in sources:
            assert not name.startswith("--") and name.rstrip("/") not in {".", ".env", "var"}, arguments
            # The layout in the image mirrors the checkout's: a file into WORKDIR, a folder to its own name.
            assert target == ("./" if (REPO_ROOT / name).is_file() else name), arguments
            copied.add(name.rstrip("/"))
            if (REPO_ROOT / name).is_dir():
                shutil.copytree(REPO_ROOT / name, source / name)
            else:
                shutil.copy2(REPO_ROOT / name, source / name)
    assert {"pyproject.toml", "bot", "cogs", "data"} <= copied

    wheel = build_wheel(source, tmp_path / "wheel")
    assert record(wheel) == record(plain_install.wheel)


def record(wheel: Path) -> set[str]:
    """Every file of the wheel with its hash and size (RECORD), but RECORD's own line."""
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
        lines = archive.read(name).decode("utf-8").splitlines()
    return {line for line in lines if line and not line.startswith(name + ",")}


def test_the_database_and_backups_are_on_the_volume(image: list[Stage]) -> None:
    final = image[-1]
    [volume] = exec_form(final.one("VOLUME"))
    env = final.env()
    for key in ("DATABASE_PATH", "BACKUP_DIR"):
        assert Path(env[key]).is_relative_to(volume), f"{key}={env[key]} is not on the volume {volume}"
    assert final.one("WORKDIR") == volume  # .env, if anyone puts one there, and `imgbot` commands start there
    assert f"chown imgbot:imgbot {volume}" in " ".join(final.all("RUN"))  # a new named volume takes this owner


# -- the compose file ---------------------------------------------------------------------------------------------


def services_the_readme_names() -> set[str]:
    """The first column of deploy/README.md's table of the services compose.yaml runs."""
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    table = text.split("| Service | What it runs |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE))


def test_the_compose_file_runs_the_services_the_readme_names_with_a_volume_and_a_health_check(
    image: list[Stage],
) -> None:
    spec = compose()
    assert set(spec["services"]) == services_the_readme_names() == {"imgbot", "postgres"}
    service = the_bot_service()
    build = service["build"]
    assert (DEPLOY / build["context"]).resolve() == REPO_ROOT
    assert (REPO_ROOT / build["dockerfile"]).resolve() == CONTAINERFILE
    # One process per database: never scaled (the database lock refuses a second one).
    assert "scale" not in service and service.get("deploy", {}).get("replicas", 1) == 1

    final = image[-1]
    [volume] = exec_form(final.one("VOLUME"))
    [mount] = service["volumes"]
    name, _, target = mount.partition(":")
    assert target == volume and name in spec["volumes"]  # a named volume, declared
    environment = service["environment"]
    assert set(environment) == {"DATABASE_PATH", "BACKUP_DIR", "DATABASE_URL", "PGPASSWORD"}
    for key in ("DATABASE_PATH", "BACKUP_DIR"):  # on the volume, whatever imgbot.env says
        assert environment[key] == final.env()[key] and Path(environment[key]).is_relative_to(volume), key

    options, command = healthcheck(final)
    check = service["healthcheck"]
    assert check["test"] == ["CMD", *command]
    assert {key.replace("-", "_"): value for key, value in options.items()} == {
        "interval": check["interval"],
        "timeout": check["timeout"],
        "start_period": check["start_period"],
        "retries": str(check["retries"]),
    }


def test_the_bot_uses_the_postgres_service_with_the_password_kept_out_of_the_url() -> None:
    spec = compose()
    bot, database = the_bot_service(), the_database_service()
    url = urlsplit(bot["environment"]["DATABASE_URL"])
    variables = database["environment"]
    # The service's own database and user, on Compose's network (the service's name is its host name).
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert (url.username, url.path) == (variables["POSTGRES_USER"], f"/{variables['POSTGRES_DB']}")
    assert url.password is None, "a URL is shown in messages: the password goes in PGPASSWORD"
    Settings(_env_file=None, database_url=bot["environment"]["DATABASE_URL"])  # type: ignore[call-arg]
    # One password, from deploy/.env, for both; Compose stops with the message when it is not set.
    assert bot["environment"]["PGPASSWORD"] == variables["POSTGRES_PASSWORD"]
    assert COMPOSE_VARIABLE.fullmatch(variables["POSTGRES_PASSWORD"]) and ":?" in variables["POSTGRES_PASSWORD"]
    assert interpolated(variables["POSTGRES_PASSWORD"], {"POSTGRES_PASSWORD": "pw"}) == "pw"
    # The bot starts once the database answers; the database's data on a named volume, declared; not published.
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    [mount] = database["volumes"]
    name, _, target = mount.partition(":")
    assert name in spec["volumes"] and target == "/var/lib/postgresql/data"
    assert "ports" not in database
    assert database["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert database["image"].startswith("postgres:")


def test_the_compose_env_file_is_the_example_copied_where_git_ignores_it() -> None:
    env = DEPLOY / the_bot_service()["env_file"]
    assert env == DEPLOY / "imgbot.env"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(env)], cwd=REPO_ROOT, timeout=STEP_TIMEOUT)
    assert ignored.returncode == 0, f"{env.relative_to(REPO_ROOT)} (it will hold the token) is not git-ignored"
    assert "cp deploy/systemd/imgbot.env.example deploy/imgbot.env" in COMPOSE.read_text(encoding="utf-8")
    # The database password: deploy/.env, which Compose reads to fill in ${POSTGRES_PASSWORD}.
    password_file = DEPLOY / ".env"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(password_file)], cwd=REPO_ROOT, timeout=STEP_TIMEOUT)
    assert ignored.returncode == 0, "deploy/.env (it will hold the database password) is not git-ignored"
    assert "> deploy/.env" in COMPOSE.read_text(encoding="utf-8")


# -- the systemd unit and its environment file --------------------------------------------------------------------


def test_the_unit_runs_imgbot_run_from_a_virtualenv_sandboxed_with_its_data_writable() -> None:
    sections = unit_sections(UNIT.read_text(encoding="utf-8"))
    service = sections["Service"]
    program, *arguments = shlex.split(unit_value(service, "ExecStart"))
    assert Path(program).is_absolute() and Path(program).parent.name == "bin" and Path(program).name == "imgbot"
    assert arguments == ["run"]
    assert (
        unit_value(service, "User") == "imgbot" and unit_value(service, "EnvironmentFile") == "/etc/imgbot/imgbot.env"
    )
    assert unit_value(service, "Restart") == "on-failure"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "UMask": "0077",
    }.items():
        assert unit_value(service, key) == value, key
    assert unit_value(sections["Install"], "WantedBy") == "multi-user.target"

    # Everything the bot writes is under the one writable directory, which is also where it starts.
    data = Path(unit_value(service, "ReadWritePaths"))
    assert (
        Path(unit_value(service, "WorkingDirectory"))
        == data
        == Path("/var/lib") / unit_value(service, "StateDirectory")
    )
    settings = env_file(ENV_EXAMPLE)
    for key in ("DATABASE_PATH", "BACKUP_DIR"):
        assert Path(settings[key]).is_relative_to(data), key


def test_the_environment_file_sets_real_settings_and_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:  # the file's values, not the developer's environment's
        monkeypatch.delenv(name.upper(), raising=False)
    settings = env_file(ENV_EXAMPLE)
    assert settings["DISCORD_TOKEN"] == ""
    names = {name.upper() for name in Settings.model_fields}
    assert set(settings) <= names, f"not settings of the bot: {set(settings) - names}"
    # The repository's .env.example documents every key used here.
    documented = set(env_file(REPO_ROOT / ".env.example"))
    assert set(settings) <= documented
    loaded = Settings(_env_file=ENV_EXAMPLE)
    assert loaded.discord_token is None and loaded.database_path == Path(settings["DATABASE_PATH"])
    assert not loaded.members_intent_required  # empty: asked for, not required


def test_systemd_analyze_verify_accepts_the_unit(plain_install: PlainInstall, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here; the unit's syntax is checked by the test above")
    # verify checks that ExecStart's program exists: the installed environment's `imgbot` stands in for the one in
    # /opt/imgbot/venv.
    program = shlex.split(unit_value(unit_sections(UNIT.read_text(encoding="utf-8"))["Service"], "ExecStart"))[0]
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace(
            f"ExecStart={program} ", f"ExecStart={plain_install.venv}/bin/imgbot "
        ),
        encoding="utf-8",
    )
    done = subprocess.run([analyze, "verify", "--man=no", unit], capture_output=True, text=True, timeout=STEP_TIMEOUT)
    # verify warns about an unknown key or a bad value on stderr and still exits 0: both must be empty.
    assert done.returncode == 0 and not done.stderr and not done.stdout, done.stdout + done.stderr


def test_no_file_names_a_path_of_this_machine() -> None:
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            assert str(REPO_ROOT) not in path.read_text(encoding="utf-8"), path


# -- the image's commands, run in the plain install ---------------------------------------------------------------


class ServiceProcess(BotProcess):
    """The bot as a service manager starts it: with the environment given and nothing else (BotProcess passes the
    test runner's own environment on, less the bot's settings)."""

    def _environment(self) -> dict[str, str]:
        return dict(self.env)


@dataclass(frozen=True)
class Container:
    """The container's file system, in temporary directories: /data (the volume), HOME and /tmp."""

    data: Path
    home: Path
    tmp: Path
    venv: Path

    def on_the_volume(self, value: str, volume: str) -> str:
        """A path in the image moved to where the volume stands here."""
        return str(self.data / Path(value).relative_to(volume)) if Path(value).is_relative_to(volume) else value

    def image_env(self, stage: Stage, volume: str) -> dict[str, str]:
        env = {key: self.on_the_volume(value, volume) for key, value in stage.env().items()}
        # ENV PATH=/opt/imgbot/bin:$PATH, with the plain install standing for /opt/imgbot.
        env["PATH"] = (
            env["PATH"].replace(f"{VENV_IN_IMAGE}/bin", str(self.venv / "bin")).replace("$PATH", "/usr/bin:/bin")
        )
        return {**clean_env(self.home), "TMPDIR": str(self.tmp), **env}


def on_the_path(container: Container, command: list[str], env: dict[str, str]) -> list[str]:
    """``command`` with its program found on the image's PATH: the plain install's bin/."""
    program = shutil.which(command[0], path=env["PATH"])
    assert program is not None and Path(program).is_relative_to(container.venv), f"{command[0]} not on the image's PATH"
    return [program, *command[1:]]


async def run_in(
    container: Container, command: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``command`` as the image runs it, in a thread: the emulator answering it runs on this test's event loop."""
    return await asyncio.to_thread(
        subprocess.run,
        on_the_path(container, command, env),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
    )


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


async def test_the_images_commands_run_in_a_plain_install(
    image: list[Stage], plain_install: PlainInstall, tmp_path: Path, postgres: PostgresServer
) -> None:
    final = image[-1]
    [volume] = exec_form(final.one("VOLUME"))
    container = Container(tmp_path / "data", tmp_path / "home", tmp_path / "tmp", plain_install.venv)
    for directory in (container.data, container.home, container.tmp):
        directory.mkdir()
    image_env = container.image_env(final, volume)
    installed_before = set(files_under(container.venv))

    # The build's own check (RUN imgbot kb validate, as root before WORKDIR: in /): it passes and writes nothing, so
    # it adds nothing to the image's layer.
    [validate] = [shlex.split(run) for run in final.all("RUN") if run.startswith("imgbot ")]
    assert validate == ["imgbot", "kb", "validate"]
    scratch = tmp_path / "build-root"
    scratch.mkdir()
    done = await run_in(container, validate, image_env, scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    assert files_under(scratch) == files_under(container.data) == files_under(container.home) == []

    # The `postgres` service as Compose starts it: a new, empty database (the test's server stands for it, its URL
    # for the service's name on Compose's network), its password from deploy/.env.
    database = await asyncio.to_thread(new_empty_database, postgres)
    compose_env = {
        key: interpolated(str(value), {"POSTGRES_PASSWORD": "from-deploy-.env"})
        for key, value in the_bot_service()["environment"].items()
    }
    compose_env["DATABASE_URL"] = database

    async with Emulator(World.default()) as emu:
        # Compose's order: the image's ENV, then env_file (the example, with the token set, and the emulator
        # standing for Discord's addresses), then the service's environment, which puts the backups on the volume
        # and the data in the `postgres` service.
        settings = env_file(ENV_EXAMPLE) | emu.bot_env()
        environment = {key: container.on_the_volume(value, volume) for key, value in compose_env.items()}
        env = image_env | settings | environment
        assert env["BACKUP_DIR"] == str(container.data / "backups")

        _, health = healthcheck(final)
        # Before the bot's first start the database is empty: not healthy (the start period covers this).
        assert (await run_in(container, health, env, container.data)).returncode == 1

        # `imgbot check`, as deploy/README.md says to run before the first start.
        check = await run_in(container, ["imgbot", "check"], env, container.data)
        assert check.returncode == 0 and "imgbot run will start." in check.stdout, check.stdout + check.stderr

        command = on_the_path(container, exec_form(final.one("CMD")), env)
        bot = ServiceProcess(command, env=env, cwd=container.data, name="imgbot-service")
        await bot.start()
        try:
            await bot.wait_for_output(r"status heartbeat at ready", timeout=START_TIMEOUT)
            alive = await run_in(container, health, env, container.data)
            assert alive.returncode == 0, alive.stdout + alive.stderr
            assert "running (pid " in alive.stdout
        finally:
            stopped = await bot.stop()
        assert stopped == 0, bot.tail()

        # docker stop sends SIGTERM: the bot records that it stopped, and the health check says so.
        after = await run_in(container, health, env, container.data)
        assert after.returncode == 3 and "stopped (pid " in after.stdout, after.stdout + after.stderr

    # The bot's data is in PostgreSQL; nothing of it on the volume (which only backups use) nor on the image's
    # read-only root file system (compose.yaml's read_only), a HOME or a /tmp that does not last.
    assert files_under(container.data) == files_under(container.home) == files_under(container.tmp) == []
    assert set(files_under(container.venv)) == installed_before
