"""What every benchmark part shares: repeated timing with a time budget, and a Streamlit server for any script."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# The browser tests' server primitives: one implementation of port choice, health polling and group kill.
from tests.browser.helpers import _stop, free_port, healthy  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
SERVER_START_SECONDS = 120


@dataclass
class Timing:
    """Seconds of each run of one measurement, or why it has none."""

    seconds: list[float] = field(default_factory=list)
    note: str = ""  # e.g. "not implemented", "skipped: too slow at this size", an exception

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def spread(self) -> tuple[float, float] | None:
        return (min(self.seconds), max(self.seconds)) if self.seconds else None

    def to_dict(self) -> dict:
        return asdict(self)


def measure(action: Callable[[], object], runs: int, budget_seconds: float = float("inf")) -> Timing:
    """Time `action` `runs` times; stop early (noted) once the runs so far have used up the budget."""
    timing = Timing()
    for _ in range(runs):
        start = time.perf_counter()
        try:
            action()
        except NotImplementedError:
            return Timing(note="not implemented yet")
        except Exception as error:  # a benchmark reports a failing piece and goes on with the rest
            return Timing(timing.seconds, note=f"error: {type(error).__name__}: {str(error)[:200]}")
        timing.seconds.append(time.perf_counter() - start)
        if sum(timing.seconds) > budget_seconds and len(timing.seconds) < runs:
            timing.note = f"stopped after {len(timing.seconds)} runs (time budget {budget_seconds:.0f} s)"
            break
    return timing


@contextmanager
def streamlit_server(script: Path, data: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run script` on a free localhost port with KVIZ_DATA=data; yields its URL; always stopped."""
    env = {**os.environ, "KVIZ_DATA": str(data), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{script.name} did not start; see {log_path}")
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)
