"""The token is never printed by the command line: not in the failure's line, not in the --verbose traceback, even
when an exception's text carries it (a library's, or a bug's)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.test_errors import imgbot

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhJkLm.a-secret-part-nobody-may-see-1234567"
LEAK = """
def leak(args, settings):
    raise RuntimeError("token " + settings.discord_token.get_secret_value())
m.cmd_kb_validate = leak
"""


def test_a_token_in_an_exception_is_redacted_in_the_line_and_the_traceback(tmp_path: Path) -> None:
    quiet = imgbot(tmp_path, "kb", "validate", code=LEAK, DISCORD_TOKEN=TOKEN)
    assert quiet.returncode == 1
    assert quiet.stderr.strip().startswith(
        "imgbot kb validate: unexpected error, a bug: RuntimeError: token [redacted]"
    )
    verbose = imgbot(tmp_path, "--verbose", "kb", "validate", code=LEAK, DISCORD_TOKEN=TOKEN)
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and "RuntimeError: token [redacted]" in verbose.stderr
    for done in (quiet, verbose):
        assert TOKEN not in done.stdout + done.stderr
        assert "a-secret-part" not in done.stdout + done.stderr
