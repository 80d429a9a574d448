"""Keeping the garbage collector off what start-up leaves behind for the life of the process.

The loaded content, the knowledge search's indexes, the imported modules and discord.py's cache of servers are some
100,000 objects (millions with thousands of servers) that are never freed. CPython's full collection walks every
object it tracks, and one runs every few hundred interactions: against the emulator each stopped the event loop for
40 to 70 ms in the middle of answering, which every interaction in flight waited out (bench/e2e_latency.py).
``gc.freeze()`` moves everything alive at that moment out of the collector's view, so later collections look only at
what was created since. It runs once, when start-up is over: the first READY handled and the search indexes built.

Trade-off: an object frozen then and released later inside a reference cycle (a server the bot leaves) is not
reclaimed. That is bounded by what existed at start-up, which the process was holding anyway.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


async def freeze_startup_heap(wait_until_built: Callable[[], None] = lambda: None) -> bool:
    """Collect once, then freeze every object alive; False (and nothing done) if something already froze them.

    ``wait_until_built`` blocks until whatever start-up still builds on another thread is ready (the search indexes);
    it runs on a worker thread, and if it fails the failure is left to the code that uses what it built.
    """
    if gc.get_freeze_count():
        return False
    try:
        await asyncio.to_thread(wait_until_built)
    except Exception:
        log.debug("start-up work failed before the heap was frozen; its user reports it", exc_info=True)
    if gc.get_freeze_count():  # another caller got here while this one waited
        return False
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.info(
        "start-up objects moved out of the garbage collector's way: %d in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
    return True
