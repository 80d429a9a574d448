"""Before the first connection to Discord: does Discord answer, does it take the token, may the bot ask for the
Server Members intent. ``imgbot check`` reports it; ``imgbot run`` acts on it (bot/__main__.py).

Two calls with the bot's token, the ones discord.py makes at login: ``GET /users/@me`` (the bot; 401 means the token
is wrong or was reset) and ``GET /applications/@me`` (the application: its ``flags`` say whether the Developer Portal
has the Server Members intent on, ``approximate_guild_count`` how many servers the bot is in). The token is sent in
the Authorization header and never appears in a message, a log line or an exception of this module.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import Settings

log = logging.getLogger(__name__)

GATEWAY_GUILD_MEMBERS = 1 << 14
"""Application flag: a verified bot approved for the Server Members intent."""
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
"""Application flag: the Server Members intent switched on for a bot in fewer than 100 servers (not verified)."""
PORTAL = "https://discord.com/developers/applications"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20, sock_connect=10)
FIRST_RETRY = 1.0
LONGEST_RETRY = 15.0
"""Seconds between two tries while Discord cannot be reached: 1, 2, 4, 8, then every 15 until the wait is over."""

MEMBERS_INTENT_SWITCH = '"Server Members Intent" (under Privileged Gateway Intents) and save'
MEMBERS_CHECK_NOTE = (
    "members who leave or come back are noticed by the daily member check instead of at once (study-group "
    "memberships and data retention follow a day later at most)"
)


class SetupProblem(Exception):
    """A mistake in the bot's set-up that its owner fixes; the text is one line: what is wrong and how to fix it."""


class DiscordUnreachable(SetupProblem):
    """No answer from Discord (no network, DNS, a firewall, an outage), or only 5xx and 429 answers."""


class TokenRefused(SetupProblem):
    """Discord does not take the token (401 on REST, 4004 at the gateway)."""


def portal_bot_page(application_id: int) -> str:
    """The Developer Portal's Bot page of an application: its token and its privileged intents."""
    return f"{PORTAL}/{application_id}/bot"


TOKEN_REFUSED = (
    "Discord refused the token (401 Unauthorized): DISCORD_TOKEN is wrong, incomplete or was reset. Open "
    f"{PORTAL}, pick the bot's application, press Bot > Reset Token, and put the new token in .env as "
    "DISCORD_TOKEN=<token> (the token alone, without quotes)"
)
TOKEN_HAS_PREFIX = (
    "DISCORD_TOKEN starts with 'Bot ': put the token alone in .env (DISCORD_TOKEN=<token>); the bot adds the prefix"
)
TOKEN_HAS_SPACES = (
    "DISCORD_TOKEN has spaces or line breaks inside it, so it is not a token: copy it again from the Developer "
    f"Portal ({PORTAL}, the bot's application, Bot > Reset Token) onto one line of .env"
)


def token_reset_line(application_id: int | None) -> str:
    """For the gateway's 4004 (Authentication failed) after the REST calls took the token: it was reset meanwhile."""
    where = portal_bot_page(application_id) if application_id else f"{PORTAL} (the bot's application, Bot)"
    return (
        "Discord's gateway refused the token (close code 4004, Authentication failed): it was reset or revoked. "
        f"Open {where}, press Reset Token, put the new token in .env as DISCORD_TOKEN, and start the bot again"
    )


@dataclass(frozen=True)
class BotIdentity:
    """What Discord says about the bot and its application."""

    user_id: int
    username: str
    application_id: int
    application_name: str
    flags: int
    approximate_guild_count: int | None

    @property
    def members_intent_enabled(self) -> bool:
        return bool(self.flags & (GATEWAY_GUILD_MEMBERS | GATEWAY_GUILD_MEMBERS_LIMITED))

    @property
    def portal_url(self) -> str:
        return portal_bot_page(self.application_id)


class _NoAnswer(Exception):
    """One try that Discord did not answer usefully; worth trying again."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _clean_token(token: str) -> str:
    """The token as discord.py sends it (stripped), or a SetupProblem for a shape Discord can never accept. Checked
    before any request, so a line break can never end up in a header (or in an error that quotes one)."""
    token = token.strip()
    if token.lower().startswith("bot "):
        raise TokenRefused(TOKEN_HAS_PREFIX)
    if not token.isprintable() or any(c.isspace() for c in token):
        raise TokenRefused(TOKEN_HAS_SPACES)
    return token


async def _get(session: aiohttp.ClientSession, api_base: str, path: str, token: str) -> dict[str, Any]:
    url = api_base.rstrip("/") + path
    try:
        async with session.get(url, headers={"Authorization": f"Bot {token}"}) as response:
            status = response.status
            body: Any = await response.json(content_type=None) if status != 204 else None
    except (aiohttp.ClientConnectionError, TimeoutError) as error:
        raise _NoAnswer(_reason(error)) from None
    except (aiohttp.ContentTypeError, ValueError):
        raise _NoAnswer(f"GET {path} answered {status} with a body that is not JSON") from None
    if status == 401:
        raise TokenRefused(TOKEN_REFUSED)
    if status == 429 or status >= 500:
        retry_after = body.get("retry_after") if isinstance(body, dict) else None
        wait = float(retry_after) if isinstance(retry_after, int | float) else None
        raise _NoAnswer(f"Discord answered {status} to GET {path}", wait)
    if status != 200 or not isinstance(body, dict):
        message = body.get("message") if isinstance(body, dict) else None
        raise SetupProblem(f"Discord answered {status} to GET {path} ({message or 'no message'}); try again later")
    return body


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {REQUEST_TIMEOUT.total:.0f} s"
    return str(error) or type(error).__name__


def _identity(me: dict[str, Any], app: dict[str, Any]) -> BotIdentity:
    count = app.get("approximate_guild_count")
    return BotIdentity(
        user_id=int(me["id"]),
        username=str(me.get("global_name") or me.get("username") or "?"),
        application_id=int(app["id"]),
        application_name=str(app.get("name") or "?"),
        flags=int(app.get("flags") or 0),
        approximate_guild_count=count if isinstance(count, int) else None,
    )


async def _fetch(session: aiohttp.ClientSession, api_base: str, token: str) -> BotIdentity:
    me = await _get(session, api_base, "/users/@me", token)
    app = await _get(session, api_base, "/applications/@me", token)
    try:
        return _identity(me, app)
    except (KeyError, TypeError, ValueError):
        raise SetupProblem(f"{api_base} did not answer like Discord (no bot or application id)") from None


def unreachable_line(api_base: str, reason: str, waited: float) -> str:
    tried = f", tried for {waited:.0f} s" if waited > 0 else ""
    return (
        f"cannot reach Discord at {api_base} ({reason}){tried}: check this machine's network connection (and "
        "DISCORD_API_BASE, if it was changed)"
    )


async def identify_bot(
    api_base: str,
    token: str,
    *,
    wait: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> BotIdentity:
    """Ask Discord who the token belongs to. While Discord cannot be reached (or answers 5xx / 429) try again, 1 s
    later, then 2, 4, 8 and every 15 s, for ``wait`` seconds in all (0: one try); then DiscordUnreachable. A refused
    token is TokenRefused at once: trying again cannot help."""
    token = _clean_token(token)
    started = clock()
    delay = FIRST_RETRY
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT, cookie_jar=aiohttp.DummyCookieJar()) as session:
        while True:
            try:
                return await _fetch(session, api_base, token)
            except _NoAnswer as problem:
                left = started + wait - clock()
                if left <= 0:
                    raise DiscordUnreachable(unreachable_line(api_base, problem.reason, wait)) from None
                pause = min(max(delay, problem.retry_after or 0.0), left)
                log.warning(
                    "Discord cannot be reached (%s); trying again in %.0f s (for %.0f s more before giving up)",
                    problem.reason,
                    pause,
                    left,
                )
                await sleep(pause)
                delay = min(delay * 2, LONGEST_RETRY)


# -- the Server Members intent --------------------------------------------------------------------------------------


def intent_required_line(application_id: int | None, *, at_gateway: bool = False) -> str:
    where = portal_bot_page(application_id) if application_id else f"{PORTAL} (the bot's application, Bot)"
    said = "Discord's gateway refused it (close code 4014)" if at_gateway else "the Developer Portal has it off"
    return (
        f"MEMBERS_INTENT=true asks for the privileged Server Members intent, but {said}. Open {where} and switch "
        f"on {MEMBERS_INTENT_SWITCH}; or remove MEMBERS_INTENT from .env, and the bot starts without it "
        f"({MEMBERS_CHECK_NOTE})"
    )


def intent_fallback_line(application_id: int | None, *, at_gateway: bool = False) -> str:
    where = portal_bot_page(application_id) if application_id else f"{PORTAL} (the bot's application, Bot)"
    said = "Discord's gateway refused it (close code 4014)" if at_gateway else "it is off in the Developer Portal"
    return (
        f"running without the privileged Server Members intent: {said}. Until it is on, {MEMBERS_CHECK_NOTE}. "
        f"To switch it on, open {where}, switch on {MEMBERS_INTENT_SWITCH}, and restart the bot"
    )


def without_members_intent(settings: Settings, application_id: int | None, *, at_gateway: bool = False) -> Settings:
    """The settings to go on with when Discord does not allow the Server Members intent: the same without it (and a
    warning that says how to switch it on), unless the owner required it with MEMBERS_INTENT=true (SetupProblem)."""
    if settings.members_intent_required:
        raise SetupProblem(intent_required_line(application_id, at_gateway=at_gateway))
    log.warning("%s", intent_fallback_line(application_id, at_gateway=at_gateway))
    return settings.model_copy(update={"members_intent": False})


def settings_for(settings: Settings, identity: BotIdentity) -> Settings:
    """The settings ``imgbot run`` starts with, given what the application's flags allow."""
    if settings.members_intent and not identity.members_intent_enabled:
        return without_members_intent(settings, identity.application_id)
    return settings


# -- imgbot check -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    lines: list[str]
    will_start: bool


def _intent_lines(settings: Settings, identity: BotIdentity) -> tuple[list[str], bool]:
    """The intent's line, what to change (if anything), and whether `imgbot run` starts."""
    switch = f"To change: open {identity.portal_url} and switch on {MEMBERS_INTENT_SWITCH}."
    if not settings.members_intent:
        state = "on" if identity.members_intent_enabled else "off"
        return [
            f"Server Members intent: not asked for (MEMBERS_INTENT=false; {state} in the Developer Portal): "
            f"{MEMBERS_CHECK_NOTE}."
        ], True
    if identity.members_intent_enabled:
        return ["Server Members intent: on in the Developer Portal."], True
    if settings.members_intent_required:
        return [
            "Server Members intent: off in the Developer Portal, but MEMBERS_INTENT=true requires it.",
            switch[:-1] + "; or remove MEMBERS_INTENT from .env, and the bot starts without it.",
        ], False
    return [
        f"Server Members intent: off in the Developer Portal, so the bot starts without it: {MEMBERS_CHECK_NOTE}.",
        switch,
    ], True


def _servers_line(identity: BotIdentity) -> str:
    count = identity.approximate_guild_count
    if count is None:
        return "Servers: Discord did not say."
    if count == 0:
        return "Servers: none yet. Invite the bot with the link `imgbot invite` prints."
    return f"Servers: about {count}."


def check_report(settings: Settings, identity: BotIdentity | None, problem: SetupProblem | None) -> CheckReport:
    """The lines of ``imgbot check``: from what Discord said (``identity``) or why it could not be asked."""
    if identity is None:
        assert problem is not None
        if isinstance(problem, DiscordUnreachable):
            first = f"Discord: {problem}."
            last = (
                f"imgbot run will not start while Discord cannot be reached (it tries for "
                f"{settings.discord_connect_retry_seconds:.0f} s first)."
            )
        elif isinstance(problem, TokenRefused):
            first, last = f"Token: does not work. {problem}.", "imgbot run will not start."
        else:
            first, last = f"Discord: {problem}.", "imgbot run will not start."
        return CheckReport([first, last], will_start=False)
    lines = [
        f"Bot: {identity.username} (user id {identity.user_id}), application "
        f"{identity.application_name!r} (id {identity.application_id}).",
        "Token: works.",
        f"Developer Portal: {identity.portal_url}",
    ]
    intent, will_start = _intent_lines(settings, identity)
    lines += intent
    lines.append(_servers_line(identity))
    lines.append("imgbot run will start." if will_start else "imgbot run will not start.")
    return CheckReport(lines, will_start)


async def check(settings: Settings) -> CheckReport:
    """``imgbot check``: one try (no waiting), and the report."""
    assert settings.discord_token is not None
    try:
        identity = await identify_bot(settings.discord_api_base, settings.discord_token.get_secret_value())
    except SetupProblem as problem:
        return check_report(settings, None, problem)
    return check_report(settings, identity, None)
