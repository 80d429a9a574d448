"""Each server is welcomed once, ever: a claim is recorded before the welcome is sent and completed after it.

At most once, on purpose: a crash between the claim and the record leaves the claim, and the server is not welcomed
again (a second welcome is worse than none). Only when nothing can have been posted (no channel the bot may write
in, or Discord refusing the post) is the claim released, so a later invitation with the permissions in place gets
its welcome. Table ``server_welcomes`` (migration 0014).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.db.connection import Connection, write_transaction
from bot.db.timestamps import Clock, from_db, to_db, utc_now

log = logging.getLogger(__name__)


class WelcomeStatus(StrEnum):
    CLAIMED = "claimed"
    """About to be sent, or the bot stopped before it recorded the message (never sent again)."""
    SENT = "sent"


@dataclass(frozen=True, slots=True)
class Welcome:
    guild_id: int
    status: WelcomeStatus
    channel_id: int | None
    message_id: int | None
    claimed_at: datetime
    sent_at: datetime | None


class WelcomeLedger:
    """The welcomes of every server, in SQL."""

    def __init__(self, conn: Connection, clock: Clock = utc_now) -> None:
        self._conn = conn
        self._clock = clock

    async def claim(self, guild_id: int) -> bool:
        """True when this server has never been welcomed and the caller may now send its welcome (once)."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "INSERT INTO server_welcomes (guild_id, status, claimed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, WelcomeStatus.CLAIMED.value, to_db(self._clock())),
            )
            claimed = cursor.rowcount == 1
        if not claimed:
            log.info("server %s was welcomed before; not again", guild_id)
        return claimed

    async def record_sent(self, guild_id: int, channel_id: int, message_id: int) -> None:
        async with write_transaction(self._conn):
            await self._conn.execute(
                "UPDATE server_welcomes SET status = ?, channel_id = ?, message_id = ?, sent_at = ? WHERE guild_id = ?",
                (WelcomeStatus.SENT.value, channel_id, message_id, to_db(self._clock()), guild_id),
            )
        log.info("welcomed server %s in channel %s", guild_id, channel_id)

    async def release(self, guild_id: int, why: str) -> None:
        """Nothing was posted: forget the claim, so a later invitation may welcome the server."""
        async with write_transaction(self._conn):
            await self._conn.execute(
                "DELETE FROM server_welcomes WHERE guild_id = ? AND status = ?",
                (guild_id, WelcomeStatus.CLAIMED.value),
            )
        log.info("no welcome posted in server %s: %s", guild_id, why)

    async def welcome(self, guild_id: int) -> Welcome | None:
        async with self._conn.execute(
            "SELECT guild_id, status, channel_id, message_id, claimed_at, sent_at FROM server_welcomes "
            "WHERE guild_id = ?",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Welcome(
            guild_id=int(row[0]),
            status=WelcomeStatus(row[1]),
            channel_id=None if row[2] is None else int(row[2]),
            message_id=None if row[3] is None else int(row[3]),
            claimed_at=from_db(row[4]),
            sent_at=None if row[5] is None else from_db(row[5]),
        )
