"""Problems with the database's files that an operator can act on.

Each message is one line saying what went wrong and what to do; the command line prints it as it is, without a
traceback (``bot/__main__.py``), because none of them is a bug in the bot.
"""

from __future__ import annotations


class DatabaseProblem(Exception):
    """The database, its lock, a backup or a restore cannot be used as asked; the message says why and what to do."""


class DatabaseUnusable(DatabaseProblem, RuntimeError):
    """The database file is damaged (or not a database at all): the bot must not start on it."""
