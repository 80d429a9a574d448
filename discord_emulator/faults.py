"""Faults on demand (429s, 5xx bursts, slow routes, dropped connections, gateway drops) and Discord-like rate
limits, with counters.

A status or drop fault answers *before* the route's handler by default (Discord refused the request: nothing
happened). With ``after_effect=True`` the handler runs first (the message is stored, MESSAGE_CREATE dispatched, the
nonce remembered) and only then is the answer replaced by the error, or the connection closed without one: Discord
did the work and the response was lost, which is what a client's retry must survive.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def compile_route(route: str) -> tuple[str, re.Pattern[str]]:
    """'POST /channels/{channel_id}/messages' or 'POST /channels/\\d+/messages' -> (method, path regex).

    The method may be '*' or left out; `{name}` placeholders match one path segment; the path is matched in full
    against the path after /api/v10.
    """
    route = route.strip()
    method = "*"
    if " " in route:
        method, route = route.split(None, 1)
    pattern = _PLACEHOLDER.sub("[^/]+", route)
    return method.upper(), re.compile(pattern)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    kind: Literal["status", "rate_limit", "delay", "drop", "malformed"]
    status: int = 500
    retry_after: float = 1.0
    global_: bool = False
    delay: float = 0.0
    times: int | None = 1
    probability: float | None = None
    after_effect: bool = False
    """Status and drop faults only: the handler runs (and its effects stay) before the answer is replaced."""
    hits: int = 0
    description: str = ""

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and self.path.fullmatch(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


@dataclass
class GatewayFault:
    action: Literal["close", "reconnect", "invalid_session"]
    before_event: str | None
    code: int | None = None
    resumable: bool = True
    times: int = 1
    hits: int = 0


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    delayed: Counter[str] = field(default_factory=Counter)
    # Connections closed without an answer (fault kind "drop").
    dropped: Counter[str] = field(default_factory=Counter)
    # Status or drop faults that struck after the handler had done its work (the request took effect).
    after_effect: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    gateway: Counter[str] = field(default_factory=Counter)
    # Things worth counting that are neither requests nor gateway traffic (nonce hits, resolved defers...).
    other: Counter[str] = field(default_factory=Counter)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_429(self) -> int:
        return sum(self.rate_limited.values())

    @property
    def total_5xx(self) -> int:
        return sum(self.server_errors.values())

    def summary(self) -> str:
        top = ", ".join(f"{route} x{n}" for route, n in self.requests.most_common(8))
        return (
            f"{self.total_requests} requests ({top}); {self.total_429} rate limited, {self.total_5xx} server errors "
            f"injected, {sum(self.dropped.values())} connections dropped; {sum(self.after_effect.values())} faults "
            f"struck after the request took effect; gateway {dict(self.gateway)}"
        )


class FaultInjector:
    """Faults matched by route pattern, applied in the order they were added (first match wins per kind)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.rules: list[Fault] = []
        self.gateway_rules: list[GatewayFault] = []

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def error(
        self,
        route: str,
        status: int = 500,
        *,
        times: int | None = 1,
        probability: float | None = None,
        after_effect: bool = False,
    ) -> Fault:
        """Answer `status` (500, 502, 503, 504...) `times` times, or with `probability` per request (seeded).

        With `after_effect` the request is carried out first and only its answer is replaced by the error.
        """
        method, path = compile_route(route)
        return self.add(
            Fault(
                method,
                path,
                "status",
                status=status,
                times=times,
                probability=probability,
                after_effect=after_effect,
                description=route,
            )
        )

    def drop(
        self, route: str, *, times: int | None = 1, probability: float | None = None, after_effect: bool = True
    ) -> Fault:
        """Close the connection without answering (the client sees the server disconnect), by default after the
        request was carried out; with ``after_effect=False`` before anything happened."""
        method, path = compile_route(route)
        return self.add(
            Fault(
                method,
                path,
                "drop",
                status=0,
                times=times,
                probability=probability,
                after_effect=after_effect,
                description=route,
            )
        )

    def rate_limit(
        self,
        route: str,
        *,
        retry_after: float = 1.0,
        times: int | None = 1,
        global_: bool = False,
        probability: float | None = None,
    ) -> Fault:
        """A 429 with everything discord.py needs to retry: Via, JSON retry_after, X-RateLimit-* headers."""
        method, path = compile_route(route)
        return self.add(
            Fault(
                method,
                path,
                "rate_limit",
                status=429,
                retry_after=retry_after,
                global_=global_,
                times=times,
                probability=probability,
                description=route,
            )
        )

    def malformed(self, route: str, *, times: int | None = 1, probability: float | None = None) -> Fault:
        """Answer 200 with a body that is not what the route returns (no message, no id): the client cannot read
        it. Nothing was carried out (the request never reached the handler). Not checked against the contract: it
        is the fault."""
        method, path = compile_route(route)
        return self.add(
            Fault(method, path, "malformed", status=200, times=times, probability=probability, description=route)
        )

    def slow(self, route: str, seconds: float, *, times: int | None = None) -> Fault:
        method, path = compile_route(route)
        return self.add(Fault(method, path, "delay", delay=seconds, times=times, description=route))

    def gateway(
        self,
        action: Literal["close", "reconnect", "invalid_session"],
        *,
        before_event: str | None = "INTERACTION_CREATE",
        code: int | None = None,
        resumable: bool = True,
        times: int = 1,
    ) -> GatewayFault:
        """Drop, RECONNECT or invalidate the session just before the next `before_event` dispatch is sent.

        The event stays queued in the session and is replayed if the bot RESUMEs.
        """
        rule = GatewayFault(action, before_event, code, resumable, times)
        self.gateway_rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()
        self.gateway_rules.clear()

    def pick(self, method: str, path: str) -> tuple[float, Fault | None]:
        """(delay to apply, fault that answers instead of the handler, if any)."""
        delay = 0.0
        answer: Fault | None = None
        for rule in self.rules:
            if rule.exhausted or not rule.matches(method, path):
                continue
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            if rule.kind == "delay":
                if delay == 0.0:
                    rule.hits += 1
                    delay = rule.delay
            elif answer is None:
                rule.hits += 1
                answer = rule
        return delay, answer

    def pick_gateway(self, event: str) -> GatewayFault | None:
        for rule in self.gateway_rules:
            if rule.hits >= rule.times:
                continue
            if rule.before_event is None or rule.before_event == event:
                rule.hits += 1
                return rule
        return None


@dataclass
class _Window:
    limit: int
    per: float
    remaining: int
    reset_at: float


@dataclass
class RateDecision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    global_: bool = False
    scope: str = "user"


class RateLimiter:
    """Discord's limits, switchable: a global requests-per-second cap and per-channel message-send buckets.

    Normal responses in a bucket carry X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket so discord.py paces
    itself; going over answers 429 with retry_after (X-RateLimit-Global for the global cap). Interaction
    callbacks and webhooks are exempt from the global cap, as on Discord.
    """

    MESSAGE_ROUTE = "POST /channels/{channel_id}/messages"

    def __init__(self) -> None:
        self.enabled = False
        self.global_per_second = 50
        self.channel_messages: tuple[int, float] = (5, 5.0)
        self._global: _Window | None = None
        self._buckets: dict[str, _Window] = {}

    def enable(self, global_per_second: int = 50, channel_messages: tuple[int, float] = (5, 5.0)) -> None:
        self.enabled = True
        self.global_per_second = global_per_second
        self.channel_messages = channel_messages
        self._global = None
        self._buckets.clear()

    def disable(self) -> None:
        self.enabled = False

    @staticmethod
    def _take(window: _Window | None, limit: int, per: float, now: float) -> tuple[_Window, bool]:
        if window is None or now >= window.reset_at:
            window = _Window(limit, per, limit, now + per)
        if window.remaining <= 0:
            return window, False
        window.remaining -= 1
        return window, True

    def check(self, method: str, route_key: str, major: str) -> RateDecision:
        if not self.enabled:
            return RateDecision(True, {})
        now = time.monotonic()
        exempt = route_key.startswith(("POST /interactions/", "POST /webhooks/", "PATCH /webhooks/", "GET /webhooks/"))
        exempt = exempt or route_key.startswith("DELETE /webhooks/")
        if not exempt:
            self._global, ok = self._take(self._global, self.global_per_second, 1.0, now)
            if not ok:
                retry = max(self._global.reset_at - now, 0.001)
                return RateDecision(
                    False,
                    {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "Retry-After": str(math.ceil(retry))},
                    retry_after=retry,
                    global_=True,
                    scope="global",
                )
        if route_key != self.MESSAGE_ROUTE:
            return RateDecision(True, {})
        limit, per = self.channel_messages
        bucket_key = f"{route_key}:{major}"
        window, ok = self._take(self._buckets.get(bucket_key), limit, per, now)
        self._buckets[bucket_key] = window
        reset_after = max(window.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(window.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "80c17d2f203122d936070c88c8d10f33",
        }
        if ok:
            return RateDecision(True, headers)
        headers["X-RateLimit-Scope"] = "user"
        headers["Retry-After"] = str(math.ceil(reset_after))
        return RateDecision(False, headers, retry_after=max(reset_after, 0.001))
