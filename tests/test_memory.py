"""kviz.memory: a watch that notices ended sessions, and memory that really goes back to the system."""

import os
import threading
import time
from pathlib import Path

import pyarrow
import pytest

from kviz import memory


class Sessions:
    """Stands in for the server: which session ids are still connected."""

    def __init__(self, *alive: str) -> None:
        self.alive = set(alive)

    def is_alive(self, key: object) -> bool:
        return key in self.alive


@pytest.fixture
def releases() -> list[float]:
    return []


def make_watch(sessions: Sessions, releases: list[float], interval: float = 3600.0) -> memory.ReleaseWatch:
    """A watch whose thread sleeps for an hour between rounds: the tests call check() themselves."""
    return memory.ReleaseWatch(sessions.is_alive, interval=interval, release=lambda: releases.append(time.monotonic()))


def test_nothing_is_released_while_the_watched_sessions_live(releases: list[float]) -> None:
    sessions = Sessions("a", "b")
    watch = make_watch(sessions, releases)
    watch.watch("a")
    watch.watch("b")
    assert watch.check() == 0
    assert releases == [] and watch.watched == {"a", "b"}


def test_an_ended_session_is_forgotten_its_state_dropped_and_memory_released(releases: list[float]) -> None:
    sessions = Sessions("a", "b")
    dropped: list[str] = []
    watch = make_watch(sessions, releases)
    watch.watch("a", on_gone=lambda: dropped.append("a"))
    watch.watch("b", on_gone=lambda: dropped.append("b"))
    sessions.alive.discard("a")
    assert watch.check() == 1
    assert dropped == ["a"], "only the ended session's state is dropped"
    assert len(releases) == 1
    assert watch.watched == {"b"}


def test_release_is_repeated_while_an_ended_session_settles_then_stops(releases: list[float]) -> None:
    sessions = Sessions("a")
    watch = make_watch(sessions, releases)
    watch.watch("a")
    sessions.alive.clear()
    watch.check()
    assert watch.busy
    for _ in range(memory.SETTLE_ROUNDS):
        watch.check()
    assert len(releases) == 1 + memory.SETTLE_ROUNDS, "released on the round it went and while settling"
    assert not watch.busy
    watch.check()
    assert len(releases) == 1 + memory.SETTLE_ROUNDS, "an idle watch does nothing"


def test_the_watch_thread_notices_by_itself(releases: list[float]) -> None:
    sessions = Sessions("a")
    gone = threading.Event()
    watch = make_watch(sessions, releases, interval=0.01)
    watch.watch("a", on_gone=gone.set)
    sessions.alive.clear()
    assert gone.wait(10), "the ended session was not noticed"
    deadline = time.monotonic() + 10
    while watch.busy:
        assert time.monotonic() < deadline, "the watch did not settle"
        time.sleep(0.01)
    assert releases


def test_a_failed_round_does_not_end_the_watch(releases: list[float]) -> None:
    sessions = Sessions("a")
    failures = iter([RuntimeError("the server is stopping")])

    def is_alive(key: object) -> bool:
        for failure in failures:
            raise failure
        return sessions.is_alive(key)

    gone = threading.Event()
    watch = memory.ReleaseWatch(is_alive, interval=0.01, release=lambda: releases.append(time.monotonic()))
    watch.watch("a", on_gone=gone.set)
    sessions.alive.clear()
    assert gone.wait(10), "the watch stopped at the failed round"


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(memory._glibc() is None, reason="needs glibc (malloc_trim)")
def test_a_table_parsed_on_a_thread_that_ended_goes_back_to_the_system() -> None:
    """As in the server: text columns built on a script thread, dropped after the thread ended, then released."""
    previous = pyarrow.default_memory_pool()
    memory.use_returnable_allocators()
    try:
        assert pyarrow.default_memory_pool().backend_name == "system"
        held: list[pyarrow.Array] = []
        texts = [f"finding {i:09d}" for i in range(20_000)]  # many columns of a few hundred kB, as an upload has

        def parse() -> None:
            held.extend(pyarrow.array(texts, pyarrow.string()) for _ in range(200))

        worker = threading.Thread(target=parse)
        worker.start()
        worker.join()
        assert sum(column.nbytes for column in held) > 70_000_000
        before = rss_bytes()
        held.clear()
        assert memory.return_freed_memory() is True
        assert before - rss_bytes() > 40_000_000, "the freed text columns did not leave the process"
    finally:
        pyarrow.set_memory_pool(previous)
