"""Start-up objects are frozen once, when what start-up builds on a thread is ready; later garbage is still freed."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from bot.startup_heap import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    # The test process's own objects must not stay frozen for the tests that follow.
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_freezes_what_is_alive_once_the_builder_is_done_and_only_once(unfrozen: None) -> None:
    built = threading.Event()
    waited_on: list[str] = []

    def wait_until_built() -> None:
        waited_on.append(threading.current_thread().name)
        built.set()

    assert await freeze_startup_heap(wait_until_built)
    assert built.is_set() and waited_on[0] != threading.current_thread().name  # on a worker thread, not the loop's
    frozen = gc.get_freeze_count()
    assert frozen > 0

    assert not await freeze_startup_heap(lambda: pytest.fail("a second call must not wait or freeze"))
    assert gc.get_freeze_count() == frozen


async def test_garbage_made_after_the_freeze_is_still_collected(unfrozen: None) -> None:
    await freeze_startup_heap()
    Cycle()  # unreachable at once, kept alive only by its own reference cycle
    assert gc.collect() >= 1


async def test_a_failed_build_is_left_to_its_user_and_the_heap_still_frozen(unfrozen: None) -> None:
    def failing() -> None:
        raise RuntimeError("the knowledge search index could not be built")

    assert await freeze_startup_heap(failing)
    assert gc.get_freeze_count() > 0
