"""The emulated Discord gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME, RECONNECT, INVALID_SESSION.

Frames are uncompressed TEXT (discord.py decompresses only binary frames, so it accepts them even though it asks for
zlib-stream). Every dispatch gets the session's next sequence number and is kept so a RESUME can replay what the bot
missed; events for a dropped session wait in that buffer, as on Discord.

Sharding as Discord does it: a session that IDENTIFYs with ``shard: [id, count]`` holds the servers whose
``(guild_id >> 22) % count == id``, and receives only their GUILD_CREATEs, events and interactions; DMs go to shard 0.
A session (unsharded, or one shard) that would hold more than 2,500 servers is closed with 4011 (Sharding required),
a malformed shard with 4010 (Invalid shard). ``GET /gateway/bot`` recommends one shard per 1,000 servers. Discord
lets a bot IDENTIFY ``max_concurrency`` sessions (1 for all but the largest bots) per 5 seconds; the emulator does not
refuse a faster one but counts it (``stats.gateway["identify_too_soon"]``), so a test can check that the bot waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from discord_emulator.faults import FaultInjector, Stats
from discord_emulator.payloads import guild_create_payload, member_payload, ready_payload
from discord_emulator.world import Guild, Member, World

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_ACK = 6, 7, 8, 9, 10, 11

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)

_EVENT_INTENTS: dict[str, int] = {
    "GUILD_CREATE": INTENT_GUILDS,
    "GUILD_DELETE": INTENT_GUILDS,
    "GUILD_UPDATE": INTENT_GUILDS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": INTENT_GUILDS,
    "GUILD_ROLE_DELETE": INTENT_GUILDS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_UPDATE": INTENT_GUILDS,
    "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_CREATE": INTENT_GUILDS,
    "THREAD_UPDATE": INTENT_GUILDS,
    "THREAD_DELETE": INTENT_GUILDS,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_SCHEDULED_EVENTS,
}
_MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_REACTION_ADD"})
_REPLAY_LIMIT = 2000
MAX_GUILDS_PER_SESSION = 2500
"""Above this many servers in one session Discord closes it with 4011 (Sharding required)."""
GUILDS_PER_RECOMMENDED_SHARD = 1000
"""``GET /gateway/bot`` recommends one shard per this many servers (at least one)."""
IDENTIFY_WINDOW = 5.0
"""Seconds in which Discord accepts one IDENTIFY per rate-limit bucket (``shard_id % max_concurrency``)."""
SESSION_STARTS_PER_DAY = 1000
# Discord's default when IDENTIFY has no large_threshold, and its largest REQUEST_GUILD_MEMBERS chunk.
_DEFAULT_LARGE_THRESHOLD = 50
_MEMBERS_PER_CHUNK = 1000


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that serves a server, by Discord's rule."""
    return (guild_id >> 22) % shard_count


def recommended_shards(guild_count: int) -> int:
    """What ``GET /gateway/bot`` answers in ``shards`` for a bot in ``guild_count`` servers."""
    return max(1, -(-guild_count // GUILDS_PER_RECOMMENDED_SHARD))


def _valid_shard(raw: Any) -> tuple[int, int] | None:
    """``[shard_id, shard_count]`` with integers (not booleans), a count of at least 1 and an id below it."""
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        return None
    shard_id, count = raw
    return (shard_id, count) if count >= 1 and 0 <= shard_id < count else None


class BotNotConnected(RuntimeError):
    """No gateway session to deliver an event to (the bot is not running or never identified)."""


@dataclass(eq=False)
class _Pending:
    seq: int
    text: str
    on_delivered: Callable[[], None] | None = None


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    opened_at: float = field(default_factory=time.monotonic)
    session: Session | None = None
    heartbeats: int = 0
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def open(self) -> bool:
        return not self.ws.closed


@dataclass(eq=False)
class Session:
    id: str
    intents: int
    shard: tuple[int, int] | None
    large_threshold: int = _DEFAULT_LARGE_THRESHOLD
    seq: int = 0
    connection: Connection | None = None
    resumable: bool = True
    # READY and every GUILD_CREATE sent (or RESUMED), and no fault or disconnect since.
    ready: bool = False
    guild_ids: frozenset[int] = frozenset()
    replay: deque[_Pending] = field(default_factory=lambda: deque(maxlen=_REPLAY_LIMIT))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def owns_guild(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


class Gateway:
    def __init__(self, world: World, stats: Stats, faults: FaultInjector, *, heartbeat_interval_ms: int = 41250):
        self.world = world
        self.stats = stats
        self.faults = faults
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = "ws://127.0.0.1:0/"
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.presence: dict[str, Any] | None = None
        self.identify_payloads: list[dict[str, Any]] = []
        # GET /gateway/bot's session_start_limit: IDENTIFYs allowed per day and per 5 seconds (and bucket).
        self.max_concurrency = 1
        self.session_starts = 0
        self._session_starts_reset: float | None = None
        self._last_identify: dict[int, float] = {}
        self._changed = asyncio.Condition()

    # ----- state queries --------------------------------------------------------------------------------------

    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.connection is not None and s.connection.open]

    @property
    def connected(self) -> bool:
        return bool(self.live_sessions())

    @property
    def is_ready(self) -> bool:
        """The bot has every session it needs: its newest session is ready and, if it is a shard, so is one session
        for every other shard of the same count."""
        live = self.live_sessions()
        if not live:
            return False
        newest = live[-1]
        if newest.shard is None:
            return newest.ready
        count = newest.shard[1]
        ready = {s.shard[0] for s in live if s.ready and s.shard is not None and s.shard[1] == count}
        return len(ready) == count

    def ready_shards(self) -> list[tuple[int, int]]:
        """``(shard_id, shard_count)`` of every ready, connected shard session (an unsharded one is ``(0, 1)``)."""
        return sorted(s.shard or (0, 1) for s in self.live_sessions() if s.ready)

    def session_start_limit(self) -> dict[str, int]:
        """The ``session_start_limit`` of ``GET /gateway/bot``: starts left of the day's 1,000, and the concurrency."""
        now = time.monotonic()
        if self._session_starts_reset is not None and now >= self._session_starts_reset:
            self.session_starts, self._session_starts_reset = 0, None
        reset_after = 0 if self._session_starts_reset is None else self._session_starts_reset - now
        return {
            "total": SESSION_STARTS_PER_DAY,
            "remaining": max(0, SESSION_STARTS_PER_DAY - self.session_starts),
            "reset_after": int(reset_after * 1000),
            "max_concurrency": self.max_concurrency,
        }

    def _count_session_start(self, shard: tuple[int, int] | None) -> None:
        now = time.monotonic()
        self.session_start_limit()  # starts a new day when the last one is over
        if self._session_starts_reset is None:
            self._session_starts_reset = now + 86_400
        self.session_starts += 1
        bucket = (shard[0] if shard else 0) % self.max_concurrency
        last = self._last_identify.get(bucket)
        if last is not None and now - last < IDENTIFY_WINDOW:
            self.stats.gateway["identify_too_soon"] += 1
            log.info("gateway: IDENTIFY of shard %s %.2f s after the last one in its bucket", shard, now - last)
        self._last_identify[bucket] = now

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: self.is_ready)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ----- connection handling --------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=16 * 1024 * 1024)
        transport = request.transport
        await ws.prepare(request)
        conn = Connection(ws, transport)
        self.connections.append(conn)
        self.stats.gateway["connections"] += 1
        log.debug("gateway connection opened (%s)", request.query_string)
        try:
            await self._send(conn, {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_payload(conn, payload)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._detach(conn)
            await self._notify()
        return ws

    def _detach(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            session.ready = False
        self.stats.gateway["disconnects"] += 1

    async def _send(self, conn: Connection, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with conn.send_lock:
            if conn.open:
                await conn.ws.send_str(text)

    async def _on_payload(self, conn: Connection, payload: Any) -> None:
        op = payload.get("op") if isinstance(payload, dict) else None
        data = payload.get("d") if isinstance(payload, dict) else None
        if op == OP_HEARTBEAT:
            conn.heartbeats += 1
            self.stats.gateway["heartbeats"] += 1
            await self._send(conn, {"op": OP_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data if isinstance(data, dict) else {})
        elif op == OP_RESUME:
            await self._resume(conn, data if isinstance(data, dict) else {})
        elif conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == OP_PRESENCE:
            self.presence = data if isinstance(data, dict) else None
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(conn, data if isinstance(data, dict) else {})
        elif op == OP_VOICE:
            pass
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        self.stats.gateway["identify"] += 1
        self.identify_payloads.append({k: v for k, v in data.items() if k != "token"})
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.world.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~self.world.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard: tuple[int, int] | None = None
        if data.get("shard") is not None:
            shard = _valid_shard(data["shard"])
            if shard is None:
                self.stats.gateway["closed:4010"] += 1
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return
        self._count_session_start(shard)
        threshold = data.get("large_threshold")
        if not (isinstance(threshold, int) and 50 <= threshold <= 250):
            threshold = _DEFAULT_LARGE_THRESHOLD
        session = Session(secrets.token_hex(16), intents, shard, threshold)
        mine = [g for g in self.world.bot_guilds() if session.owns_guild(g.id)]
        if len(mine) > MAX_GUILDS_PER_SESSION:
            self.stats.gateway["closed:4011"] += 1
            log.info("gateway: shard %s would hold %d servers; closing with 4011", shard, len(mine))
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        session.guild_ids = frozenset(g.id for g in mine)
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        async with session.lock:
            ready = ready_payload(
                self.world,
                session_id=session.id,
                resume_url=self.url,
                shard=list(shard) if shard else None,
                guilds=mine,
            )
            await self._send_dispatch(session, "READY", ready, keep=False)
            for guild in mine:
                await self._send_dispatch(session, "GUILD_CREATE", self.guild_create(session, guild), keep=False)
            session.ready = session.connection is conn and conn.open
        await self._notify()
        where = f"shard {shard[0]} of {shard[1]}" if shard else "unsharded"
        log.info("gateway: bot identified (session %s, %s, %d servers)", session.id[:8], where, len(mine))

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        self.stats.gateway["resume"] += 1
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.world.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None or not session.resumable:
            self.stats.gateway["resume_rejected"] += 1
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn and old.open:
            await old.ws.close(code=4000, message=b"Session resumed elsewhere.")
        async with session.lock:
            session.connection = conn
            conn.session = session
            last = data.get("seq")
            last_seq = int(last) if isinstance(last, int) else 0
            for pending in list(session.replay):
                if pending.seq > last_seq:
                    if pending.on_delivered is not None:
                        pending.on_delivered()
                    await self._send_text(conn, pending.text)
                    self.stats.gateway["replayed"] += 1
            session.seq += 1
            await self._send(conn, {"op": OP_DISPATCH, "t": "RESUMED", "s": session.seq, "d": {}})
            session.ready = session.connection is conn and conn.open
        await self._notify()
        log.info("gateway: session %s resumed from seq %s", session.id[:8], last)

    async def _send_text(self, conn: Connection, text: str) -> None:
        async with conn.send_lock:
            if conn.open:
                await conn.ws.send_str(text)

    async def _send_dispatch(
        self,
        session: Session,
        event: str,
        data: Any,
        *,
        keep: bool = True,
        on_delivered: Callable[[], None] | None = None,
    ) -> None:
        """Number and send one event; call with session.lock held so sequence order is wire order."""
        session.seq += 1
        text = json.dumps({"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}, separators=(",", ":"))
        pending = _Pending(session.seq, text, on_delivered)
        if keep:
            session.replay.append(pending)
        self.stats.gateway[f"event:{event}"] += 1
        conn = session.connection
        if conn is not None and conn.open:
            if on_delivered is not None:
                on_delivered()
            try:
                await self._send_text(conn, text)
            except ConnectionResetError:
                log.debug("gateway: %s buffered, connection reset while sending", event)

    def guild_create(self, session: Session | None, guild: Guild) -> dict[str, Any]:
        """GUILD_CREATE as Discord builds it for `session`. Its member list holds only the bot (and users in voice,
        which the emulator has none of) unless the session has the GUILD_PRESENCES intent; even then a server above
        the session's large_threshold lists only online members, and the emulator models everyone but the bot as
        offline. A bot that wants every member asks with REQUEST_GUILD_MEMBERS (discord.py's chunking)."""
        threshold = session.large_threshold if session is not None else _DEFAULT_LARGE_THRESHOLD
        everyone = session is not None and bool(session.intents & INTENT_GUILD_PRESENCES)
        if everyone and len(guild.members) <= threshold:
            return guild_create_payload(self.world, guild, large_threshold=threshold)
        bot = guild.members.get(self.world.bot.id)
        return guild_create_payload(self.world, guild, members=[bot] if bot else [], large_threshold=threshold)

    async def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        session = conn.session
        guild_ids = data.get("guild_id")
        ids = guild_ids if isinstance(guild_ids, list) else [guild_ids]
        for raw in ids:
            guild = self.world.get_guild(int(raw)) if raw is not None else None
            if guild is None or session is None:
                continue
            members, not_found = _requested_members(guild, data)
            # Discord answers in chunks of at most 1,000 members, every chunk carrying the request's nonce.
            count = max(1, -(-len(members) // _MEMBERS_PER_CHUNK))
            for index in range(count):
                part = members[index * _MEMBERS_PER_CHUNK : (index + 1) * _MEMBERS_PER_CHUNK]
                chunk: dict[str, Any] = {
                    "guild_id": str(guild.id),
                    "members": [member_payload(m) for m in part],
                    "chunk_index": index,
                    "chunk_count": count,
                    "not_found": not_found if index == 0 else [],
                }
                if data.get("nonce") is not None:
                    chunk["nonce"] = data["nonce"]
                async with session.lock:
                    await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # ----- dispatching --------------------------------------------------------------------------------------

    def session_for(self, guild_id: int | None) -> Session | None:
        candidates = [s for s in self.sessions.values() if s.resumable and s.owns_guild(guild_id)]
        live = [s for s in candidates if s.connection is not None and s.connection.open]
        if live:
            return live[-1]
        return candidates[-1] if candidates else None

    async def dispatch(
        self,
        event: str,
        data: Any,
        *,
        guild_id: int | None = None,
        on_delivered: Callable[[], None] | None = None,
        required: bool = False,
    ) -> bool:
        """Send an event to the session that owns `guild_id`, if its intents ask for it. Returns whether it went out
        (or was queued for a RESUME). With `required` a missing session raises BotNotConnected."""
        session = self.session_for(guild_id)
        if session is None:
            if required:
                raise BotNotConnected(f"no gateway session to deliver {event} to; is the bot running?")
            return False
        if not self._wanted(session, event, guild_id):
            return False
        rule = self.faults.pick_gateway(event)
        if rule is not None:
            await self._apply_fault(rule.action, code=rule.code, resumable=rule.resumable)
        if event == "MESSAGE_CREATE" and isinstance(data, dict):
            data = self._content_for(session, data)
        async with session.lock:
            await self._send_dispatch(session, event, data, on_delivered=on_delivered)
        return True

    def _wanted(self, session: Session, event: str, guild_id: int | None) -> bool:
        if event in _MESSAGE_EVENTS:
            needed = INTENT_GUILD_MESSAGES if guild_id is not None else INTENT_DIRECT_MESSAGES
            return bool(session.intents & needed)
        needed = _EVENT_INTENTS.get(event, 0)
        return needed == 0 or bool(session.intents & needed)

    def _content_for(self, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        """Without the Message Content intent, other users' guild messages arrive with empty content."""
        if session.intents & INTENT_MESSAGE_CONTENT:
            return data
        author = data.get("author") or {}
        if str(author.get("id")) == str(self.world.bot.id) or "guild_id" not in data:
            return data
        mentioned = any(str(m.get("id")) == str(self.world.bot.id) for m in data.get("mentions") or [])
        if mentioned:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    # ----- faults --------------------------------------------------------------------------------------------

    def _current(self) -> list[Connection]:
        return [s.connection for s in self.live_sessions() if s.connection is not None]

    @staticmethod
    def _not_ready(conn: Connection) -> None:
        if conn.session is not None:
            conn.session.ready = False

    async def _apply_fault(self, action: str, *, code: int | None, resumable: bool) -> None:
        if action == "close":
            await self.close_abruptly(code)
        elif action == "reconnect":
            await self.send_reconnect()
        else:
            await self.invalid_session(resumable=resumable)

    async def close_abruptly(self, code: int | None = None) -> None:
        """Drop the bot's gateway connection: without `code` the TCP connection is cut (no close frame, the bot
        sees 1006); with a code a close frame is sent. The session stays resumable unless the code forbids it."""
        self.stats.gateway["fault:close"] += 1
        for conn in self._current():
            self._not_ready(conn)
            if code is None:
                if conn.transport is not None:
                    conn.transport.abort()
                else:
                    await conn.ws.close(code=1006)
            else:
                if code in (4004, 4010, 4011, 4012, 4013, 4014) and conn.session is not None:
                    conn.session.resumable = False
                asyncio.get_running_loop().create_task(conn.ws.close(code=code, message=b"emulator fault"))
        await self._notify()

    async def send_reconnect(self) -> None:
        """Op 7: the bot closes the connection and RESUMEs."""
        self.stats.gateway["fault:reconnect"] += 1
        for conn in self._current():
            self._not_ready(conn)
            await self._send(conn, {"op": OP_RECONNECT, "d": None})
        await self._notify()

    async def invalid_session(self, resumable: bool = False) -> None:
        """Op 9. Not resumable: the session is forgotten and the bot re-IDENTIFYs (discord.py waits 5 s first)."""
        self.stats.gateway["fault:invalid_session"] += 1
        for conn in self._current():
            self._not_ready(conn)
            if not resumable and conn.session is not None:
                conn.session.resumable = False
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": resumable})
        await self._notify()

    async def close_all(self) -> None:
        for conn in list(self.connections):
            if conn.open:
                await conn.ws.close(code=1001, message=b"emulator shutting down")


def _requested_members(guild: Guild, data: dict[str, Any]) -> tuple[list[Member], list[str]]:
    """REQUEST_GUILD_MEMBERS: by `user_ids`, or by username/nickname prefix `query` ("" with limit 0: everyone)."""
    user_ids = data.get("user_ids")
    if user_ids is not None:
        wanted = [str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
        found = [m for m in (guild.members.get(int(u)) for u in wanted if u.isdigit()) if m is not None]
        present = {str(m.user.id) for m in found}
        return found, [u for u in wanted if u not in present]
    query = str(data.get("query") or "").casefold()
    limit = data.get("limit")
    members = [
        m
        for m in guild.members.values()
        if not query or m.user.username.casefold().startswith(query) or (m.nick or "").casefold().startswith(query)
    ]
    if isinstance(limit, int) and limit > 0:
        members = members[:limit]
    return members, []
