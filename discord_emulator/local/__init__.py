"""Local mode: try every slash command in a terminal, with the real bot running against the built-in Discord.

`imgbot run --local` (and `make run` without a DISCORD_TOKEN) starts the emulator in this process and the real,
unmodified bot as a subprocess pointed at it (the bot describes itself as a ``LocalBot``: its command line, its
environment, its files), then reads lines like `/ask question: when is SOAP`, `click 2` or `as dr_admin` (see
``console``) and prints what the bot answers (see ``display`` and ``transcript``). ``session`` runs one session.

`imgbot run --local --script FILE` runs the lines of FILE instead and prints the transcript; so does piping lines
into stdin. Exit status: 0 when every line ran (whatever the bot answered, a refusal included); 1 when a line could
not be run (a typo, an unknown option, a button that is not there, no answer from the bot); 2 when the bot could not
start or stopped on its own. In a terminal, mistakes are explained and the session goes on (exit status 0).

Local mode keeps its own database (`local.sqlite3` beside the configured one), its own bot log (`local-bot.log`)
and saves attachments the bot sends into `local-files/`, so trying things never touches a real bot's data.
"""

from discord_emulator.local.run import run_local
from discord_emulator.local.session import EXIT_BOT_FAILED, EXIT_LINE_FAILED, EXIT_OK, LocalBot, LocalSession
from discord_emulator.local.viewpoint import local_owner_ids

__all__ = ["EXIT_BOT_FAILED", "EXIT_LINE_FAILED", "EXIT_OK", "LocalBot", "LocalSession", "local_owner_ids", "run_local"]
