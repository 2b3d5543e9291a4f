"""Many visitors at once, at the protocol level (no browser): one process, replicas behind HAProxy, the floor.

    .venv/bin/python benchmarks/load.py              # < 10 min: 1, 5, 10, 20 clients; memory: 3 rounds + idle
    .venv/bin/python benchmarks/load.py --quick      # ~2-3 min: 1 and 5 clients; memory: 1 round, short idle
    .venv/bin/python benchmarks/load.py --clients 10 --targets app,replicas --no-memory

Each client does what a browser tab does on the wire: GET / and /_stcore/health (the affinity cookie behind
HAProxy, the XSRF cookie), opens the websocket /_stcore/stream (subprotocol `streamlit`, Origin of the
page), sends a BackMsg `rerun_script` for a chart page and reads ForwardMsgs until `script_finished` (a run
that ends FINISHED_EARLY_FOR_RERUN is not the end). Times, from the moment the BackMsg is sent:
- first chart: the first delta whose new element is a plotly_chart;
- page done: script_finished;
- filter answer: choosing "K1" in the sidebar multiselect "Vitamin K form" (its widget id read from the
  element's delta, sent as widget_states) until script_finished of that rerun; its first chart too.
All N clients start together. Targets (same data, same load, one after the other):
- app:       `streamlit run app.py` (one process: every session's script under one interpreter lock);
- replicas:  `scripts/serve.sh --replicas 2` (HAProxy in front of two processes, cookie affinity);
- floor:     `streamlit run benchmarks/floor_app.py` (one uncached plotly chart and one filter).
Server CPU seconds and peak RSS are summed over the target's processes (replicas + HAProxy + the script).

Long link (with the app target): a visitor opens the main page through a link whose search is 40,000 characters
(`?q=bone+bone+…`, as tests/browser/test_bounded_work.py), three times one after the other; time from the BackMsg to
script_finished, the length the search box kept, and the server's CPU seconds in the 3 s after the visitor left.

A visitor who leaves (with the app target): the first visit of Timeline with a search nobody made before (its two
figures are built), each on a fresh server warmed by one visit of the main page; three visitors stay to
script_finished, three (alternating) close their websocket at the run's first element. Server CPU from the
BackMsg until 3 s after. Streamlit asks a disconnected session's script to stop; that takes effect at its next
Streamlit call.

Targets (issue 15), judged in the report: 20 concurrent visitors' median time to a finished page, one process
<= 0.5x the floor, and replicas <= 0.6x one process; the 40,000-character search link answered < 1 s; memory after
the upload rounds: no growth from round to round and, at the end, back within 20% of the warm idle RSS.

Memory mode (--memory, on by default): against one `streamlit run app.py`, S sessions each upload an
~18 MB findings CSV (kviz.synthetic) on the Data page the way the browser does (BackMsg file_urls_request,
HTTP PUT multipart to /_stcore/upload_file/<session_id>/<file_id> with the X-Xsrftoken header, then the
file_uploader widget state); R rounds, the sessions closed after each; RSS with the sessions open, then
AFTER_CLOSE_SECONDS after they closed (the app lets go of a closed tab's upload within ~2 s, kviz.ui.data; Streamlit's
own upload metrics may be 5 s old), and after an idle wait (10 s and 60 s). The server runs with
MALLOC_ARENA_MAX=2, as `make run` and scripts/serve.sh start it.

Localhost only; every client and phase has a hard timeout. Prints a Markdown report and writes it with
JSON to benchmarks/results/load-<date>.{md,json}. Not part of the test suite: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Protocol-level load on kviz: one process vs replicas behind HAProxy vs the floor.",
        epilog="Writes benchmarks/results/load-<date>.md and .json. See the module docstring for what is timed.",
    )
    parser.add_argument("--quick", action="store_true", help="1 and 5 clients; memory: 1 round, 10 s idle (~2-3 min)")
    parser.add_argument("--clients", help="concurrent clients per level, comma-separated (default 1,5,10,20)")
    parser.add_argument("--targets", default="app,replicas,floor", help="any of app,replicas,floor (default: all)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas for the 'replicas' target (default 2)")
    parser.add_argument("--page", default="timeline", help="the app's chart page to load (URL path; default timeline)")
    parser.add_argument("--data", help="findings CSV every server serves (default: the bundled data/findings.csv)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one client may take (default 120)")
    parser.add_argument("--no-long-link", dest="long_link", action="store_false",
                        help="skip the 40,000-character search link (measured with the app target)")
    parser.add_argument("--no-left-visitor", dest="left_visitor", action="store_false",
                        help="skip the visitor who leaves mid-run (fresh app servers, ~1 min)")
    memory = parser.add_mutually_exclusive_group()
    memory.add_argument("--no-memory", action="store_true", help="skip the upload memory mode")
    memory.add_argument("--memory-only", action="store_true", help="only the upload memory mode")
    parser.add_argument("--sessions", type=int, default=5, help="memory mode: sessions per round (default 5)")
    parser.add_argument("--rounds", type=int, help="memory mode: rounds (default 3; --quick 1)")
    parser.add_argument("--upload-mb", type=float, default=18.0, help="memory mode: size of each upload (default 18)")
    parser.add_argument("--idle", help="memory mode: RSS checkpoints, idle seconds after the last round, comma-separated "
                        "(default 10,60; --quick 10)")
    args = parser.parse_args(argv)
    args.clients = [int(n) for n in (args.clients or ("1,5" if args.quick else "1,5,10,20")).split(",")]
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(args.targets) - {"app", "replicas", "floor"}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.idle = sorted(float(s) for s in (args.idle or ("10" if args.quick else "10,60")).split(","))
    if not 0 < args.upload_mb < 20:
        parser.error("--upload-mb must be below the app's 20 MB upload limit")
    return args


if __name__ == "__main__":
    ARGS = parse_args()  # before the heavy imports: `--help` works with any Python

# ------------------------------------------------------------------------------------------------ imports

import asyncio  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Iterator  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
FLOOR = REPO / "benchmarks" / "floor_app.py"
SERVE = REPO / "scripts" / "serve.sh"
FILTER_LABEL = "Vitamin K form"  # the first sidebar multiselect, in the app and in the floor
FILTER_CHOICE = "K1"  # its option text in both
FALLBACK_QUERY = "outcome=Fracture"  # when the widget cannot be found: a filter set through the URL instead
START_SECONDS = 120
LEVEL_SECONDS = 600  # hard cap for one level of N clients
SAMPLE_SECONDS = 0.1  # RSS sampling interval
SEED = 20261202
HUGE_SEARCH = "q=" + "+".join(["bone"] * 8000)  # 40,000 characters (tests/browser/test_bounded_work.py)
SEARCH_LABEL = "Search"  # the sidebar's text input the link fills
LONG_LINK_VISITS = 3
QUIET_SECONDS = 3.0  # after the long-link visitor left: the server's CPU in these seconds
# A visitor who leaves while the server draws a view nobody opened before (its two figures are built).
LEFT_VISITOR_URL = "timeline?q=bone"
LEFT_VISITOR_PAIRS = 3
# Targets (issue 15).
CONCURRENT_CLIENTS = 20
APP_VS_FLOOR, REPLICAS_VS_APP = 0.5, 0.6  # median time to a finished page at 20 clients
LONG_LINK_SECONDS = 1.0
MEMORY_GROWTH_TOLERANCE = 0.05  # round-to-round growth counted as noise: 5% of the warm idle RSS
MEMORY_BACK_WITHIN = 0.20  # the end RSS within 20% of the warm idle RSS
AFTER_CLOSE_SECONDS = 6  # RSS and Streamlit's upload metrics read this long after a round's sessions closed


# ------------------------------------------------------------------------------------------------ processes


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    pids.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return pids


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return total / ticks


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError):
            continue
    return total


class Sampler:
    """Samples the summed RSS of a process group in a thread; `peak` is the largest sample since `start`."""

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(group_pids(self.pgid)))
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "Sampler":
        self.peak = rss_bytes(group_pids(self.pgid))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.peak = max(self.peak, rss_bytes(group_pids(self.pgid)))


def _healthy(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Running:
    name: str
    url: str
    pgid: int
    log: Path


@contextmanager
def server(name: str, data: Path, replicas: int) -> Iterator[Running]:
    """Start a target in its own process group on a free localhost port; stop it (and everything in it)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KVIZ_")}
    env.setdefault("MALLOC_ARENA_MAX", "2")  # as `make run` and scripts/serve.sh start the app
    env.update(KVIZ_DATA=str(data), PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])))
    if name == "replicas":
        env.update(KVIZ_PYTHON=sys.executable, KVIZ_START_SECONDS=str(START_SECONDS))
        command = ["bash", str(SERVE), "--replicas", str(replicas), "--port", str(port)]
    else:
        script = REPO / "app.py" if name in ("app", "memory") else FLOOR
        command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                   "--server.port", str(port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    log = RESULTS / "logs" / f"load-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as stream:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stream, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS + 30
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {log}")
            time.sleep(0.2)
        yield Running(name, url, process.pid, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # serve.sh stops its replicas and HAProxy itself
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 10
        while group_pids(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if group_pids(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.wait(timeout=10)


# ------------------------------------------------------------------------------------------------ protocol


from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.Common_pb2 import FileURLs, FileUploaderState, UploadedFileInfo  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


@dataclass
class Run:
    """What one script run sent back, timed from the BackMsg."""

    first_chart: float | None = None
    finished: float | None = None
    widgets: dict[str, str] = field(default_factory=dict)  # multiselect label -> widget id
    uploader: str | None = None  # file_uploader widget id
    texts: list[str] = field(default_factory=list)  # alert and markdown bodies
    search: str | None = None  # the value the sidebar's search box was drawn with
    errors: list[str] = field(default_factory=list)


def rerun_request(page: str, query: str = "", widgets: list[WidgetState] | None = None) -> BackMsg:
    """The BackMsg a tab sends to run `page?query` with these widget values."""
    back = BackMsg()
    back.rerun_script.page_name = page
    back.rerun_script.query_string = query
    for widget in widgets or []:
        back.rerun_script.widget_states.widgets.append(widget)
    return back


class Client:
    """One visitor: an HTTP session (cookies) and the websocket of its Streamlit session."""

    def __init__(self, base: str, timeout: float) -> None:
        import requests

        self.base = base
        self.timeout = timeout
        self.http = requests.Session()
        self.ws = None
        self.session_id: str | None = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        # A browser's first requests: the page (HAProxy's affinity cookie) and the health ping (XSRF cookie).
        for path in ("/", "/_stcore/health"):
            response = await asyncio.to_thread(self.http.get, self.base + path, timeout=self.timeout)
            response.raise_for_status()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self.ws = await connect(
            self.base.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"], origin=self.base,
            additional_headers={"Cookie": cookies} if cookies else None, max_size=None, open_timeout=self.timeout,
            ping_interval=None,
        )  # fmt: skip

    @property
    def replica(self) -> str | None:
        return self.http.cookies.get("SERVERID")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        self.http.close()

    async def _receive(self) -> ForwardMsg:
        message = ForwardMsg()
        message.ParseFromString(await self.ws.recv())
        return message

    async def run(self, page: str, query: str = "", widgets: list[WidgetState] | None = None) -> Run:
        return await asyncio.wait_for(self._run(rerun_request(page, query, widgets)), self.timeout)

    async def _run(self, back: BackMsg) -> Run:
        run = Run()
        start = time.perf_counter()
        await self.ws.send(back.SerializeToString())
        while True:
            message = await self._receive()
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id or self.session_id
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_type = element.WhichOneof("type")
                if element_type == "plotly_chart" and run.first_chart is None:
                    run.first_chart = time.perf_counter() - start
                elif element_type == "multiselect":
                    run.widgets[element.multiselect.label] = element.multiselect.id
                elif element_type == "text_input" and element.text_input.label == SEARCH_LABEL:
                    text_input = element.text_input
                    run.search = text_input.value if text_input.HasField("value") else text_input.default
                elif element_type == "file_uploader":
                    run.uploader = element.file_uploader.id
                elif element_type == "exception":
                    run.errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
                elif element_type == "alert":
                    run.texts.append(element.alert.body)
                elif element_type == "markdown":
                    run.texts.append(element.markdown.body)
            elif kind == "script_finished" and message.script_finished != FINISHED_EARLY:
                run.finished = time.perf_counter() - start
                return run

    async def upload(self, name: str, content: bytes) -> UploadedFileInfo:
        """The browser's upload: ask for a URL over the websocket, then PUT the file (multipart) over HTTP."""
        back = BackMsg()
        back.file_urls_request.request_id = "load-1"
        back.file_urls_request.session_id = self.session_id or ""
        back.file_urls_request.file_names.append(name)
        await self.ws.send(back.SerializeToString())

        async def answer() -> FileURLs:
            while True:
                message = await self._receive()
                if message.WhichOneof("type") == "file_urls_response":
                    if message.file_urls_response.error_msg:
                        raise RuntimeError(f"file_urls_request refused: {message.file_urls_response.error_msg}")
                    return message.file_urls_response.file_urls[0]

        urls = await asyncio.wait_for(answer(), self.timeout)
        xsrf = self.http.cookies.get("_streamlit_xsrf")
        response = await asyncio.to_thread(
            self.http.put, self.base + urls.upload_url, files={"file": (name, content, "text/csv")},
            headers={"X-Xsrftoken": xsrf} if xsrf else {}, timeout=self.timeout,
        )  # fmt: skip
        if response.status_code != 204:
            raise RuntimeError(f"upload refused: HTTP {response.status_code} {response.text[:200]}")
        return UploadedFileInfo(name=name, size=len(content), file_id=urls.file_id, file_urls=urls)


async def close_quietly(client: Client) -> None:
    """Close a client's websocket; one that is already gone (or hangs for 10 s) is no error of the measurement."""
    try:
        await asyncio.wait_for(client.close(), 10)
    except Exception:
        pass


def count_text(run: Run) -> str | None:
    """The app's sidebar line 'N of M findings · P publications' in a run (the floor has none)."""
    return next((text for text in run.texts if " findings · " in text), None)


def multiselect_state(widget_id: str, values: list[str]) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.string_array_value.data.extend(values)
    return state


def uploader_state(widget_id: str, info: UploadedFileInfo) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.file_uploader_state_value.CopyFrom(FileUploaderState(uploaded_file_info=[info]))
    return state


# ------------------------------------------------------------------------------------------------ latency


@dataclass
class Visit:
    replica: str | None = None
    connect: float | None = None
    first_chart: float | None = None
    finished: float | None = None
    filter_first_chart: float | None = None
    filter_finished: float | None = None
    filter_how: str = ""
    error: str = ""


async def visit(base: str, page: str, timeout: float) -> Visit:
    """One visitor: load the page, then change the filter; every step bounded by `timeout`."""
    result = Visit()
    client = Client(base, timeout)
    try:
        start = time.perf_counter()
        await asyncio.wait_for(client.open(), timeout)
        result.connect, result.replica = time.perf_counter() - start, client.replica
        loaded = await client.run(page)
        result.first_chart, result.finished = loaded.first_chart, loaded.finished
        if loaded.errors:
            result.error = "; ".join(loaded.errors)
        widget = loaded.widgets.get(FILTER_LABEL)
        if widget is not None:
            changed = await client.run(page, widgets=[multiselect_state(widget, [FILTER_CHOICE])])
            result.filter_how = f"widget '{FILTER_LABEL}' = {FILTER_CHOICE}"
        else:
            changed = await client.run(page, query=FALLBACK_QUERY)
            result.filter_how = f"no '{FILTER_LABEL}' widget found: rerun with ?{FALLBACK_QUERY}"
        result.filter_first_chart, result.filter_finished = changed.first_chart, changed.finished
        before, after = count_text(loaded), count_text(changed)
        if before is not None and before == after:
            changed.errors.append(f"the filter changed nothing: '{after}'")
        if changed.errors:
            result.error = "; ".join(filter(None, [result.error, *changed.errors]))
    except Exception as error:  # a benchmark reports a failing client and goes on
        result.error = f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        await close_quietly(client)
    return result


def summary(values: list[float | None]) -> dict:
    present = [v for v in values if v is not None]
    return {"median": statistics.median(present) if present else None, "max": max(present) if present else None,
            "n": len(present)}  # fmt: skip


async def level(base: str, page: str, clients: int, timeout: float) -> list[Visit]:
    tasks = [asyncio.create_task(visit(base, page, timeout)) for _ in range(clients)]
    done, pending = await asyncio.wait(tasks, timeout=min(LEVEL_SECONDS, timeout * 3))
    for task in pending:
        task.cancel()
    return [task.result() if task in done else Visit(error="level time limit") for task in tasks]


async def long_link_visit(base: str, timeout: float) -> dict:
    """One visitor opening the main page through a link with a 40,000-character search."""
    client = Client(base, timeout)
    try:
        await asyncio.wait_for(client.open(), timeout)
        run = await client.run("", query=HUGE_SEARCH)
        return {"finished": run.finished, "first_chart": run.first_chart,
                "search_chars": None if run.search is None else len(run.search), "errors": run.errors}  # fmt: skip
    except Exception as error:
        return {"finished": None, "first_chart": None, "search_chars": None,
                "errors": [f"{type(error).__name__}: {str(error)[:200]}"]}  # fmt: skip
    finally:
        await close_quietly(client)


def measure_long_link(running: Running, timeout: float) -> list[dict]:
    visits = []
    for _ in range(LONG_LINK_VISITS):
        outcome = asyncio.run(long_link_visit(running.url, timeout))
        before = cpu_seconds(group_pids(running.pgid))
        time.sleep(QUIET_SECONDS)
        outcome["quiet_cpu_s"] = cpu_seconds(group_pids(running.pgid)) - before
        visits.append(outcome)
        print(f"    long search link: answered in {fmt(outcome['finished'])} s, search kept "
              f"{outcome['search_chars']} characters, errors {len(outcome['errors'])}", flush=True)
    return visits


async def first_visit(base: str, leave_early: bool, timeout: float) -> float | None:
    """A visitor opening LEFT_VISITOR_URL; with `leave_early`, it closes its websocket at the run's first element.
    Seconds from the BackMsg to script_finished, or to leaving."""
    page, query = LEFT_VISITOR_URL.split("?")
    client = Client(base, timeout)
    try:
        await asyncio.wait_for(client.open(), timeout)
        if not leave_early:
            return (await client.run(page, query=query)).finished
        start = time.perf_counter()
        await client.ws.send(rerun_request(page, query).SerializeToString())
        while (await asyncio.wait_for(client._receive(), timeout)).WhichOneof("type") != "delta":
            pass
        return time.perf_counter() - start
    finally:
        await close_quietly(client)


def measure_left_visitor(data: Path, args: argparse.Namespace) -> list[dict]:
    """The same first visit of a view nobody opened before (so its figures are built), on a fresh, warmed server
    each time: visitors who stay to the end, alternating with visitors who leave at the run's first element.
    Server CPU from the BackMsg until QUIET_SECONDS after."""
    visits = []
    for leave in [False, True] * LEFT_VISITOR_PAIRS:
        with server("app", data, 1) as running:
            asyncio.run(visit(running.url, "", args.timeout))  # warm: imports, data, the main page's figures
            before = cpu_seconds(group_pids(running.pgid))
            seconds = asyncio.run(first_visit(running.url, leave, args.timeout))
            time.sleep(QUIET_SECONDS)
            visits.append({"left": leave, "seconds": seconds, "cpu_s": cpu_seconds(group_pids(running.pgid)) - before})
        print(f"    visitor who {'leaves at the first element' if leave else 'stays'}: "
              f"{visits[-1]['cpu_s']:.2f} s of server CPU", flush=True)
    return visits


def measure_target(name: str, data: Path, args: argparse.Namespace) -> dict:
    page = "" if name == "floor" else args.page
    replicas = args.replicas if name == "replicas" else 1
    print(f"  {name}: starting", flush=True)
    with server(name, data, replicas) as running:
        # Untimed warm-up: one visitor per replica, one after the other (each process imports plotly and
        # caches the data on its first run), so every level measures warm servers.
        warm: list[Visit] = []
        while len({v.replica for v in warm}) < replicas and len(warm) < 4 * replicas:
            warm.append(asyncio.run(visit(running.url, page, args.timeout)))
        result = {"target": name, "page": page or "(main)", "processes": len(group_pids(running.pgid)),
                  "warm_up": [asdict(v) for v in warm], "levels": []}  # fmt: skip
        for clients in args.clients:
            pids = group_pids(running.pgid)
            cpu_before, start = cpu_seconds(pids), time.perf_counter()
            with Sampler(running.pgid) as sampler:
                visits = asyncio.run(level(running.url, page, clients, args.timeout))
            wall = time.perf_counter() - start
            cpu = cpu_seconds(group_pids(running.pgid)) - cpu_before
            entry = {
                "clients": clients, "wall_s": wall, "server_cpu_s": cpu, "peak_rss_bytes": sampler.peak,
                "first_chart": summary([v.first_chart for v in visits]),
                "finished": summary([v.finished for v in visits]),
                "filter_first_chart": summary([v.filter_first_chart for v in visits]),
                "filter_finished": summary([v.filter_finished for v in visits]),
                "errors": [v.error for v in visits if v.error],
                "replicas_used": sorted({v.replica for v in visits if v.replica}),
                "filter_how": sorted({v.filter_how for v in visits if v.filter_how}),
                "visits": [asdict(v) for v in visits],
            }  # fmt: skip
            result["levels"].append(entry)
            print(f"    {clients:>3} clients: first chart median {fmt(entry['first_chart']['median'])} s, "
                  f"filter {fmt(entry['filter_finished']['median'])} s, errors {len(entry['errors'])}", flush=True)
        if name == "app" and args.long_link:
            result["long_link"] = measure_long_link(running, args.timeout)
    return result


# ------------------------------------------------------------------------------------------------ memory


def upload_file(megabytes: float) -> Path:
    """A schema-valid synthetic findings CSV of about `megabytes` MB (generated once, reused)."""
    from kviz import synthetic

    path = RESULTS / "data" / f"upload-{megabytes:g}MB-seed{SEED}.csv"
    if path.exists() and path.stat().st_mtime >= Path(synthetic.__file__).stat().st_mtime:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    probe = synthetic.write_csv(path, 2_000, SEED)
    per_row = probe.stat().st_size / 2_000
    synthetic.write_csv(path, int(megabytes * 1_000_000 / per_row), SEED)
    return path


async def upload_session(base: str, content: bytes, timeout: float) -> tuple[Client, str]:
    """Open the Data page and upload `content` as the browser does; returns the open client and an error."""
    client = Client(base, timeout)
    await asyncio.wait_for(client.open(), timeout)
    page = await client.run("data")
    if page.uploader is None:
        return client, "no file uploader on the Data page"
    info = await client.upload("findings-upload.csv", content)
    loaded = await client.run("data", widgets=[uploader_state(page.uploader, info)])
    if loaded.errors:
        return client, "; ".join(loaded.errors)
    if not any(text.startswith("Loaded:") for text in loaded.texts):
        return client, "the app did not say 'Loaded:' after the upload"
    return client, ""


async def memory_round(base: str, content: bytes, sessions: int, timeout: float, sampler_pgid: int) -> dict:
    start = time.perf_counter()
    with Sampler(sampler_pgid) as sampler:
        opened = await asyncio.gather(*(upload_session(base, content, timeout) for _ in range(sessions)),
                                      return_exceptions=True)  # fmt: skip
        await asyncio.sleep(AFTER_CLOSE_SECONDS)  # Streamlit's metrics: fresh, not the last round's
        rss_open, held_open = rss_bytes(group_pids(sampler_pgid)), uploads_held(base)
    errors, clients = [], []
    for item in opened:
        if isinstance(item, BaseException):
            errors.append(f"{type(item).__name__}: {str(item)[:200]}")
        else:
            clients.append(item[0])
            if item[1]:
                errors.append(item[1])
    for client in clients:
        await close_quietly(client)
    await asyncio.sleep(AFTER_CLOSE_SECONDS)
    return {"seconds": time.perf_counter() - start, "peak_rss_bytes": sampler.peak, "rss_sessions_open": rss_open,
            "uploads_held_open": held_open,
            "rss_after_close": rss_bytes(group_pids(sampler_pgid)), "errors": errors}  # fmt: skip


def uploads_held(url: str) -> int | None:
    """Bytes of uploaded files Streamlit holds (its own metrics, read from the process itself, not a proxy)."""
    import re
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=10) as response:
            text = response.read().decode("utf-8", "replace")
    except OSError:
        return None
    found = re.search(r'^cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\} (\d+)', text, flags=re.M)
    return int(found.group(1)) if found else 0


def measure_memory(data: Path, args: argparse.Namespace) -> dict:
    path = upload_file(args.upload_mb)
    content = path.read_bytes()
    print(f"  memory: {args.sessions} sessions x {len(content) / 1e6:.1f} MB upload, {args.rounds} round(s)", flush=True)
    with server("memory", data, 1) as running:
        asyncio.run(visit(running.url, "data", args.timeout))  # warm: imports done, bundled data cached
        result = {"upload_bytes": len(content), "upload_rows": content.count(b"\n") - 1, "sessions": args.sessions,
                  "rss_start": rss_bytes(group_pids(running.pgid)), "rounds": []}  # fmt: skip
        for number in range(1, args.rounds + 1):
            outcome = asyncio.run(memory_round(running.url, content, args.sessions, args.timeout, running.pgid))
            outcome["uploads_held"] = uploads_held(running.url)
            result["rounds"].append(outcome)
            print(f"    round {number}: peak {mb(outcome['peak_rss_bytes'])} MB, after close "
                  f"{mb(outcome['rss_after_close'])} MB, errors {len(outcome['errors'])}", flush=True)
        result["idle"] = []
        idle_start = time.monotonic()
        for checkpoint in args.idle:
            time.sleep(max(0.0, idle_start + checkpoint - time.monotonic()))
            result["idle"].append({"seconds": checkpoint, "rss": rss_bytes(group_pids(running.pgid)),
                                   "uploads_held": uploads_held(running.url)})  # fmt: skip
            print(f"    after {checkpoint:.0f} s idle: {mb(result['idle'][-1]['rss'])} MB", flush=True)
        # Streamlit's server loop keeps the last session it served until another visitor comes: one new visit.
        asyncio.run(visit(running.url, "", args.timeout))
        time.sleep(2)
        result["after_visit"] = {"rss": rss_bytes(group_pids(running.pgid)), "uploads_held": uploads_held(running.url)}
    return result


# ------------------------------------------------------------------------------------------------ report


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def mb(value: int | None) -> str:
    return "–" if value is None else f"{value / 1e6:.0f}"


def spread(stats: dict) -> str:
    return f"{fmt(stats['median'])} / {fmt(stats['max'])}"


def _level(results: dict, target: str, clients: int) -> dict | None:
    for entry in results["targets"]:
        if entry.get("target") == target:
            return next((level for level in entry.get("levels", []) if level["clients"] == clients), None)
    return None


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "**MISS**")


def target_rows(results: dict) -> list[tuple[str, str, bool | None]]:
    """(target of issue 15, measured, met?) for what this run measured."""
    rows: list[tuple[str, str, bool | None]] = []
    done = {name: (_level(results, name, CONCURRENT_CLIENTS) or {}).get("finished", {}).get("median")
            for name in ("app", "replicas", "floor")}  # fmt: skip
    for ours, base, limit, label in (("app", "floor", APP_VS_FLOOR, "one process"),
                                     ("replicas", "app", REPLICAS_VS_APP, "replicas (2 cores)")):
        if done[ours] is not None and done[base] is not None:
            ratio = done[ours] / done[base]
            rows.append((f"{CONCURRENT_CLIENTS} concurrent visitors, median time to a finished page: {label} "
                         f"≤ {limit}× {'the floor' if base == 'floor' else 'one process'}",
                         f"{done[ours]:.2f} s vs {done[base]:.2f} s = {ratio:.2f}×", ratio <= limit))
    app = next((t for t in results["targets"] if t.get("target") == "app"), {})
    if app.get("long_link"):
        answered = [v["finished"] for v in app["long_link"]]
        ok = all(v is not None for v in answered) and not any(v["errors"] for v in app["long_link"])
        slowest = max(answered) if ok else None
        rows.append((f"a 40,000-character search link answered < {LONG_LINK_SECONDS:g} s (slowest of "
                     f"{len(answered)}, from the BackMsg)", ", ".join(f"{fmt(v)} s" for v in answered),
                     ok and slowest < LONG_LINK_SECONDS))
    memory = results.get("memory") or {}
    if memory.get("rounds") and "error" not in memory:
        idle = memory["rss_start"]
        after = [r["rss_after_close"] for r in memory["rounds"]]
        growth = [b - a for a, b in zip(after, after[1:])]
        rows.append((f"memory after {len(after)} rounds of {memory['sessions']} × {memory['upload_bytes'] / 1e6:.0f} MB "
                     f"uploads: no growth round to round (RSS {AFTER_CLOSE_SECONDS} s after the sessions closed; growth ≤ "
                     f"{MEMORY_GROWTH_TOLERANCE:.0%} of idle counted as none)",
                     " → ".join(f"{mb(v)} MB" for v in after),
                     None if not growth else all(g <= MEMORY_GROWTH_TOLERANCE * idle for g in growth)))
        end = memory["after_visit"]["rss"]
        rows.append((f"memory back within {MEMORY_BACK_WITHIN:.0%} of idle (end: after the idle wait and one new visit)",
                     f"{mb(end)} MB vs idle {mb(idle)} MB = {end / idle:.2f}×", end <= (1 + MEMORY_BACK_WITHIN) * idle))
    return rows


def report(results: dict) -> str:
    lines = [
        f"# kviz load benchmark ({results['date']})",
        "",
        f"Command: `{results['command']}` · {results['minutes']:.1f} min · machine: {results['machine']}",
        f"Load average at start: {results['load_start']}; at end: {results['load_end']}",
        "",
    ]
    if results["targets"]:
        lines += [
            f"Times in seconds from the BackMsg to the answer, median / max over the clients of a level; page "
            f"`{results['page']}` (floor: its main page); filter = '{FILTER_LABEL}' → {FILTER_CHOICE}. CPU and RSS: "
            "all processes of the target (replicas: both Streamlit processes + HAProxy + serve.sh).",
            "",
            "| target | clients | first chart | page done | filter: first chart | filter answered | errors "
            "| server CPU s | peak RSS MB | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for target in results["targets"]:
            if "error" in target:
                lines.append(f"| {target['target']} | – | error: {target['error']} | | | | | | | |")
                continue
            for entry in target["levels"]:
                lines.append(
                    f"| {target['target']} | {entry['clients']} | {spread(entry['first_chart'])} | "
                    f"{spread(entry['finished'])} | {spread(entry['filter_first_chart'])} | "
                    f"{spread(entry['filter_finished'])} | {len(entry['errors'])} | {entry['server_cpu_s']:.1f} | "
                    f"{mb(entry['peak_rss_bytes'])} | {entry['wall_s']:.1f} |"
                )
        hows = sorted({how for t in results["targets"] for e in t.get("levels", []) for how in e["filter_how"]})
        lines += ["", "Filter change sent as: " + "; ".join(hows or ["(none)"])]
        for target in results["targets"]:
            for entry in target.get("levels", []):
                if entry["errors"]:
                    lines.append(f"- {target['target']}, {entry['clients']} clients: " + "; ".join(sorted(set(entry["errors"])))[:500])
            if target.get("target") == "replicas":
                used = sorted({r for e in target.get("levels", []) for r in e["replicas_used"]})
                lines.append(f"- replicas: visitors were spread over {', '.join(used) or 'no replica'} (SERVERID cookie)")
    app = next((t for t in results["targets"] if t.get("target") == "app"), {})
    if app.get("long_link"):
        lines += ["", "## Long search link (app, one process): main page opened with `?q=bone+bone+…` (40,001 characters)",
                  "", "| visit | answered s (BackMsg → script_finished) | first chart s | search box kept (characters) "
                  f"| server CPU s in the {QUIET_SECONDS:g} s after | errors |", "|---|---|---|---|---|---|"]
        for number, visit in enumerate(app["long_link"], start=1):
            lines.append(f"| {number} | {fmt(visit['finished'])} | {fmt(visit['first_chart'])} | "
                         f"{visit['search_chars'] if visit['search_chars'] is not None else '–'} | "
                         f"{visit['quiet_cpu_s']:.2f} | {'; '.join(visit['errors'])[:300] or 0} |")
    if results.get("left_visitor"):
        lines += ["", f"## A visitor who leaves mid-run: first visit of `/{LEFT_VISITOR_URL}` on a fresh, warmed server",
                  "", f"Server CPU from the BackMsg until {QUIET_SECONDS:g} s after; median (min–max) of "
                  f"{LEFT_VISITOR_PAIRS} each, alternating.", "",
                  "| visitor | until script_finished or leaving, s | server CPU s |", "|---|---|---|"]
        for left in (False, True):
            chosen = [v for v in results["left_visitor"] if v["left"] is left]
            cpu = [v["cpu_s"] for v in chosen]
            seconds = statistics.median(v["seconds"] for v in chosen if v["seconds"] is not None)
            lines.append(f"| {'leaves at the first element' if left else 'stays to the end'} | {seconds:.2f} | "
                         f"{statistics.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f}) |")
    memory = results.get("memory")
    if memory:
        lines += ["", f"## Memory: {memory.get('sessions', '?')} sessions × upload of "
                      f"{memory.get('upload_bytes', 0) / 1e6:.1f} MB ({memory.get('upload_rows', 0):,} rows), one process", ""]
        if "error" in memory:
            lines.append(f"error: {memory['error']}")
        else:
            lines += ["| moment | RSS MB | uploads held by Streamlit MB | errors |", "|---|---|---|---|",
                      f"| start (warm) | {mb(memory['rss_start'])} | | |"]
            for number, outcome in enumerate(memory["rounds"], start=1):
                lines.append(f"| round {number}: peak while uploading | {mb(outcome['peak_rss_bytes'])} | | "
                             f"{len(outcome['errors'])} |")
                lines.append(f"| round {number}: sessions open | {mb(outcome['rss_sessions_open'])} | "
                             f"{mb(outcome.get('uploads_held_open'))} | |")
                lines.append(f"| round {number}: {AFTER_CLOSE_SECONDS} s after the sessions closed | {mb(outcome['rss_after_close'])} | "
                             f"{mb(outcome['uploads_held'])} | |")
            for checkpoint in memory["idle"]:
                lines.append(f"| {checkpoint['seconds']:.0f} s after the last round (idle) | {mb(checkpoint['rss'])} | "
                             f"{mb(checkpoint['uploads_held'])} | |")
            after = memory["after_visit"]
            lines.append(f"| then one new visit (Streamlit keeps the last session it served until another visitor comes) | "
                         f"{mb(after['rss'])} | "
                         f"{mb(after['uploads_held'])} | |")
            for number, outcome in enumerate(memory["rounds"], start=1):
                for error in sorted(set(outcome["errors"])):
                    lines.append(f"- round {number}: {error}")
    rows = target_rows(results)
    if rows:
        lines += ["", "## Targets (issue 15)", "", "| target | measured | result |", "|---|---|---|",
                  *(f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in rows)]
    return "\n".join(lines) + "\n"


def machine() -> str:
    from importlib import metadata

    return (f"{os.cpu_count()} cores, Python {platform.python_version()}, streamlit {metadata.version('streamlit')}, "
            f"{platform.platform()}")  # fmt: skip


def main(args: argparse.Namespace) -> int:
    data = Path(args.data).resolve() if args.data else REPO / "data" / "findings.csv"
    started, begin = datetime.datetime.now(), time.perf_counter()
    results = {"date": started.strftime("%Y-%m-%d %H:%M"), "command": " ".join(["python benchmarks/load.py", *sys.argv[1:]]),
               "machine": machine(), "load_start": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
               "page": args.page, "data": str(data), "clients": args.clients, "targets": []}  # fmt: skip
    print(f"kviz load benchmark: clients {args.clients}, targets {args.targets}, data {data.name}", flush=True)
    if not args.memory_only:
        for name in args.targets:
            try:
                results["targets"].append(measure_target(name, data, args))
            except Exception as error:
                results["targets"].append({"target": name, "error": f"{type(error).__name__}: {str(error)[:300]}"})
    if args.left_visitor and not args.memory_only and "app" in args.targets:
        print("  a visitor who leaves mid-run: fresh app servers", flush=True)
        results["left_visitor"] = measure_left_visitor(data, args)
    if not args.no_memory:
        try:
            results["memory"] = measure_memory(data, args)
        except Exception as error:
            results["memory"] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
    results["load_end"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    results["minutes"] = (time.perf_counter() - begin) / 60
    text = report(results)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"load-{started.strftime('%Y-%m-%d-%H%M')}"
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    print(f"written: {stem.relative_to(REPO)}.md and .json")
    failed = any("error" in t for t in results["targets"]) or "error" in results.get("memory", {})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
