"""Discord's answers to a scheduled post, in the delivery machinery's terms (bot/scheduling/delivery.py).

One translation for every feature that delivers on a schedule (announcements, Discord events, study-group prompts and
recaps, streak nudges): a problem an admin must fix (gone, forbidden, rejected) stops that delivery and is reported;
anything that may pass (a 5xx discord.py gave up on, a rate limit longer than ``max_ratelimit_timeout``, a dropped
connection) leaves the claim for a retry with the same nonce, not sooner than Discord's ``retry_after``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import aiohttp
import discord

from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def delivery_errors(what: str, *, not_found: ProblemKind = ProblemKind.CHANNEL_GONE) -> Iterator[None]:
    """Turn a Discord error raised inside into DeliveryProblem or TransientDeliveryError.

    ``what`` names the post in the log line of a rejection; ``not_found`` is what a 404 means for it (the channel for
    a message, the server for a server's events).
    """
    try:
        yield
    except discord.RateLimited as error:
        # Longer than max_ratelimit_timeout (bot/app.py): discord.py raises instead of sleeping, so this one delivery
        # waits (at least retry_after) while the others go on.
        raise TransientDeliveryError(
            f"rate limited for {error.retry_after:.0f} s", retry_after=error.retry_after
        ) from error
    except discord.NotFound as error:
        raise DeliveryProblem(not_found, f"{error.code} {error.text}") from error
    except discord.Forbidden as error:
        raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"{error.code} {error.text}") from error
    except discord.DiscordServerError as error:
        raise TransientDeliveryError(f"Discord answered {error.status}") from error
    except discord.HTTPException as error:
        if error.status == 429:
            raise TransientDeliveryError("rate limited for too long") from error
        log.error("Discord rejected %s: %s %s", what, error.status, error.text)
        raise DeliveryProblem(ProblemKind.REJECTED, f"{error.status} {error.code} {error.text}") from error
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise TransientDeliveryError(f"{type(error).__name__}: {error}") from error
