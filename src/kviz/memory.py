"""Memory that comes back: what a long-running server does after a visitor's upload is released.

Python frees an uploaded table's objects when its session ends, but the allocators (glibc's, and the mimalloc
pyarrow brings for pandas' text columns) keep the freed pages, so without help the process stays at its peak.
`ReleaseWatch` notices that the sessions holding uploads are gone, then collects garbage and asks the allocator to
hand free pages back (`malloc_trim`, after `use_returnable_allocators`). Nothing here knows about Streamlit: the
caller says how to tell that a session is still alive.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
import time
from collections.abc import Callable, Hashable
from functools import cache

import pyarrow

_LOGGER = logging.getLogger(__name__)
SETTLE_ROUNDS = 2  # rounds after a key went in which memory is released again


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (malloc_trim and mallopt), else None (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return library if library is not None and hasattr(library, "malloc_trim") else None


_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
MALLOC_ARENAS = 2


def use_returnable_allocators() -> None:
    """Allocate so that freed memory can go back to the system; for a server process, early, before any upload.

    - pyarrow (where pandas keeps text columns) allocates through glibc instead of its bundled mimalloc: mimalloc keeps
      a thread's freed pages in that thread's heap, and a server parses each upload on a script thread that is gone
      by the time the upload is released, so nothing could hand those pages back.
    - glibc keeps at most `MALLOC_ARENAS` heaps instead of eight per core: every script thread that allocates at the
      same time as another gets its own heap, and a heap with one live object left in it cannot shrink.
    Measured with benchmarks/load.py (3 rounds of 5 sessions each uploading 18 MB): without these, RSS stayed ~400 MB
    above the idle server after the sessions closed; with them it came back to within ~10%.
    """
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    if glibc := _glibc():
        glibc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def return_freed_memory() -> bool:
    """Collect unreachable objects (an ended session's table sits in reference cycles), then hand free pages back to
    the system: pyarrow's pool, and glibc's heaps (Python objects, numpy arrays, and pyarrow's buffers after
    `use_returnable_allocators`). True when glibc could be asked too."""
    gc.collect()
    pyarrow.default_memory_pool().release_unused()
    if glibc := _glibc():
        glibc.malloc_trim(0)
        return True
    return False


class ReleaseWatch:
    """Watches keys (session ids) that hold a lot of memory; once one is no longer alive, frees what it held.

    One daemon thread per watch, polling every `interval` seconds and only while something is watched, so an
    idle server does no work. `release` runs in a round in which a watched key was found gone, and in the
    `SETTLE_ROUNDS` rounds after.
    """

    def __init__(self, is_alive: Callable[[Hashable], bool], interval: float = 1.0,
                 release: Callable[[], object] = return_freed_memory) -> None:  # fmt: skip
        self._is_alive = is_alive
        self._interval = interval
        self._release = release
        self._watched: dict[Hashable, Callable[[], object] | None] = {}
        self._settle = 0  # rounds left in which to release again
        self._lock = threading.Lock()
        self._wake = threading.Event()
        threading.Thread(target=self._run, name="kviz-release-watch", daemon=True).start()

    def watch(self, key: Hashable, on_gone: Callable[[], object] | None = None) -> None:
        """Watch `key`; once it is gone, `on_gone` (if given) drops what the caller knows it held, then memory is
        released. Watching a key again replaces its `on_gone`."""
        with self._lock:
            self._watched[key] = on_gone
        self._wake.set()

    @property
    def watched(self) -> frozenset[Hashable]:
        with self._lock:
            return frozenset(self._watched)

    def check(self) -> int:
        """One round: forget the keys that are gone and release if there were any, and again in each of the
        `SETTLE_ROUNDS` rounds after (an ended session's last tasks unwind on the server's event loop for a moment
        after it is gone, still holding its table); returns how many keys went."""
        with self._lock:
            gone = {key: self._watched.pop(key) for key in list(self._watched) if not self._is_alive(key)}
            settling = self._settle > 0
            self._settle = SETTLE_ROUNDS if gone else max(0, self._settle - 1)
        for on_gone in gone.values():
            if on_gone is not None:
                on_gone()
        if gone or settling:
            self._release()
        return len(gone)

    @property
    def busy(self) -> bool:
        """Something is watched, or a release is still settling."""
        with self._lock:
            return bool(self._watched) or self._settle > 0

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while self.busy:
                time.sleep(self._interval)
                try:
                    self.check()
                except Exception:  # one failed round (a server shutting down) must not end the watch for good
                    _LOGGER.exception("kviz release watch: a round failed; trying again in %s s", self._interval)
