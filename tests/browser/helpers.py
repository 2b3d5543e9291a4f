"""What a browser test needs to see a Streamlit page as a user does: the server, and the page's state.

Every wait is on a real condition (the app's script state, stale elements, plotly's drawn SVG); the only
sleeps are the short polling intervals while a server starts.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from kviz import schema

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
FIXTURE_DATA = Path(__file__).resolve().parent / "data" / "findings-fixture.csv"
# The fixture's count line with no filter, then narrowed to K2, to K2 as MK-7, and to MK-7 with D3.
ALL_COUNT = "18 of 18 findings · 15 publications"
# The Timeline page draws its timeline; its publications per year only once that expander is opened.
TIMELINE_CHARTS = 1
K2_COUNT = "9 of 18 findings · 7 publications"  # K2 with subtype not stated, MK-4 and MK-7 rows
MK7_COUNT = "6 of 18 findings · 5 publications"
MK7_WITH_D3_COUNT = "4 of 18 findings · 3 publications"
# The sidebar filters the tests drive, and the URL query that sets them to MK-7 with D3.
FORM, SUBTYPE, WITH_D3 = "Vitamin K form", "K2 subtype", "With D3"
WITH_D3_LABEL = schema.D3.label("with_d3")  # how captions and title cards name the chosen pill
MK7_WITH_D3_QUERY = "form=K2&k2=MK-7&d3=With+D3"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous on 2 busy cores: a cold page load imports plotly in the browser and pandas in the server.
TIMEOUT_MS = 45_000
SERVER_START_SECONDS = 90
VIEWPORT = {"width": 1440, "height": 1000}
# Screenshots grow the window to this height (the main area scrolls inside its own container, so a
# full-page screenshot would miss content); tests run in the smaller window, which paints much faster.
SCREENSHOT_HEIGHT = 2400

APP = "[data-testid=stApp]"
CHART = "[data-testid=stPlotlyChart]"
SIDEBAR = "[data-testid=stSidebar]"
NAV_LINK = "[data-testid=stSidebarNav] a"
# The line the frame always shows: "N of M findings · P publications".
COUNT_TEXT = re.compile(r"\d[\d,]* of \d[\d,]* findings")

expect.set_options(timeout=TIMEOUT_MS)


# --- the server -------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    log_path: Path
    pid: int = 0

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uploads_held(server: Server) -> int:
    """Bytes of uploaded files the server holds, from Streamlit's own metrics (served by the process itself)."""
    with urllib.request.urlopen(f"{server.url}/_stcore/metrics", timeout=10) as response:
        text = response.read().decode("utf-8", "replace")
    found = re.search(r'^cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\} (\d+)', text, flags=re.M)
    return int(found.group(1)) if found else 0


class Relay:
    """A TCP relay in front of a server whose open connections a test can cut, as a Wi-Fi drop does: the browser
    reconnects through it by itself. Use as a context manager; `url` stands in for the server's."""

    def __init__(self, server: Server) -> None:
        self._target = ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection at once (new ones are still relayed)."""
        with self._lock:
            dropped, self._open = self._open, []
        for connection in dropped:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self.cut()


def healthy(url: str) -> bool:
    """Whether a Streamlit server (or the proxy in front of replicas) answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def streamlit_server(label: str, data: Path | None) -> Iterator[Server]:
    """`streamlit run app.py` on a free localhost port, on `data` (None: the bundled file); always stopped."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "KVIZ_DATA"}
    if data is not None:
        env["KVIZ_DATA"] = str(data)
    env["PYTHONUNBUFFERED"] = "1"
    # The server runs this checkout's kviz, whichever checkout the virtual environment was installed from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    log_path = ARTIFACTS / f"server-{label}.log"
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", log_path, process.pid)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not healthy(server.url):
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {SERVER_START_SECONDS} s:\n{server.log()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


def chromium_path() -> str:
    if not Path(CHROMIUM).is_file():
        found = shutil.which("chromium")
        raise RuntimeError(
            f"{CHROMIUM} is missing{f' (found {found})' if found else ''}: run `bash scripts/ensure-chromium.sh`, "
            "or `make test-fast` to skip the browser tests"
        )
    return CHROMIUM


# --- the page ----------------------------------------------------------------------------------------

_SETTLED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (document.querySelector('[data-stale=true], [data-testid=stSkeleton]')) return false;
    if (!document.querySelector('[data-testid=stMainBlockContainer] [data-testid=stElementContainer]')) return false;
    return [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(chart => {
        const plot = chart.querySelector('.js-plotly-plot');
        return plot && plot._fullLayout && plot.querySelector('.main-svg');
    });
}"""

_WATCH_RUNS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    window.__kvizRan = false;
    if (window.__kvizWatcher) window.__kvizWatcher.disconnect();
    window.__kvizWatcher = new MutationObserver(records => {
        for (const r of records) {
            if (r.oldValue === 'running' || app.getAttribute('data-test-script-state') === 'running') {
                window.__kvizRan = true;
            }
        }
    });
    window.__kvizWatcher.observe(app, {attributes: true, attributeOldValue: true,
                                       attributeFilter: ['data-test-script-state']});
}"""

_FINGERPRINTS = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')].map(plot =>
    JSON.stringify([plot.layout && plot.layout.title, (plot.data || []).map(trace =>
        [trace.type, trace.name, trace.x, trace.y, trace.z, trace.text, trace.customdata])]))"""

_TRACES = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')].map(plot => ({
    traces: (plot._fullData || []).filter(t => t.visible !== false).length,
    drawn: plot.querySelectorAll('.main-svg .trace, .main-svg .hm, .main-svg .point').length,
    width: plot.querySelector('.main-svg') ? plot.querySelector('.main-svg').getBoundingClientRect().width : 0,
}))"""


_PAGE_STATE = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    return {
        script: app && app.getAttribute('data-test-script-state'),
        connection: app && app.getAttribute('data-test-connection-state'),
        stale: document.querySelectorAll('[data-stale=true]').length,
        skeletons: document.querySelectorAll('[data-testid=stSkeleton]').length,
        elements: document.querySelectorAll('[data-testid=stMainBlockContainer] [data-testid=stElementContainer]').length,
        charts: document.querySelectorAll('[data-testid=stPlotlyChart]').length,
        drawn: document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot .main-svg').length,
    };
}"""


def settle(page: Page) -> None:
    """Wait until the script run is over, nothing is stale or loading, and every chart has drawn."""
    try:
        page.wait_for_function(_SETTLED, timeout=TIMEOUT_MS, polling=50)
    except PlaywrightTimeoutError:
        raise AssertionError(f"{page.url} did not settle in {TIMEOUT_MS} ms: {page.evaluate(_PAGE_STATE)}") from None


def open_path(page: Page, server: Server, path: str = "", query: str = "") -> None:
    """Load `/<path>?<query>` as a user typing the URL would, and wait until the page is complete."""
    page.goto(f"{server.url}/{path}{'?' + query if query else ''}")
    settle(page)


def open_presentation(page: Page, server: Server, query: str = "") -> None:
    """Open the Presentation and wait for its second run: the window reports its size (a component), and the slides
    are laid out for it."""
    open_path(page, server, "presentation", query)
    page.wait_for_timeout(800)
    settle(page)


_WATCH_CONNECTION = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    window.__kvizConnections = [];
    new MutationObserver(() => window.__kvizConnections.push(app.getAttribute('data-test-connection-state')))
        .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""
_RECONNECTED = """() => window.__kvizConnections.some(state => state !== 'CONNECTED')
    && document.querySelector('[data-testid=stApp]').getAttribute('data-test-connection-state') === 'CONNECTED'"""


def watch_connection(page: Page) -> None:
    """Start recording the page's connection states (call before the connection is disturbed)."""
    page.evaluate(_WATCH_CONNECTION)


def wait_for_reconnection(page: Page) -> None:
    """Wait until the page has lost its connection and made a new one by itself (after `watch_connection`)."""
    page.wait_for_function(_RECONNECTED, timeout=60_000, polling=100)


def rerun_after(page: Page, action: Callable[[], None]) -> None:
    """Do `action` (a click, a choice) and wait for the rerun it causes to finish and the page to settle."""
    page.wait_for_selector(APP)
    page.evaluate(_WATCH_RUNS)
    action()
    page.wait_for_function("() => window.__kvizRan === true", timeout=TIMEOUT_MS, polling=20)
    settle(page)


def count_line(page: Page) -> str:
    """The sidebar's "N of M findings · P publications" line (read even while the sidebar is collapsed)."""
    line = page.locator(SIDEBAR).get_by_text(COUNT_TEXT).first
    expect(line).to_be_attached()
    return " ".join((line.text_content() or "").split())


def chart_fingerprints(page: Page) -> list[str]:
    """What each chart plots (data and title), to tell whether a filter changed it."""
    return page.evaluate(_FINGERPRINTS)


def chart_summaries(page: Page) -> list[dict]:
    """Per chart: visible traces in plotly's data, traces drawn in the SVG, and the SVG's width."""
    return page.evaluate(_TRACES)


def assert_charts_drawn(page: Page, expected: int) -> None:
    """Exactly `expected` plotly charts are on the page and each has drawn data."""
    expect(page.locator(CHART)).to_have_count(expected)
    for index, chart in enumerate(chart_summaries(page)):
        assert chart["traces"] > 0 and chart["drawn"] > 0 and chart["width"] > 0, f"chart {index} is empty: {chart}"


def assert_no_errors(page: Page) -> None:
    """No Streamlit exception or error box anywhere on the page (sidebar included)."""
    for test_id in ("stException", "stAlertContentError", "stDownloadButtonError"):
        errors = page.get_by_test_id(test_id)
        assert errors.count() == 0, f"{test_id} on {page.url}: {errors.first.inner_text()[:500]}"


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot of the whole app under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": SCREENSHOT_HEIGHT})
    try:
        settle(page)
        page.screenshot(path=path)
    finally:
        page.set_viewport_size(size)
    return path


def nav_links(page: Page) -> Locator:
    """The sidebar's navigation links, with the sidebar open and any 'view more' expanded."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():  # e.g. presentation mode starts with the sidebar collapsed
        expand.click()
        expect(page.get_by_test_id("stSidebarContent")).to_be_in_viewport()
    more = page.get_by_test_id("stSidebarNavViewButton")
    if more.count() and "more" in more.inner_text().lower():
        more.click()
    return page.locator(NAV_LINK)


def go_to(page: Page, server: Server, path: str) -> None:
    """Open page `path` ('' = home) through its sidebar link, as a user does, and wait until it is drawn."""
    link = nav_links(page).and_(page.locator(f"[href='{server.url}/{path}']"))
    page.evaluate(_WATCH_RUNS)
    link.click()
    page.wait_for_function(f"() => window.location.pathname.replace(/\\/+$/, '') === '/{path}'.replace(/\\/+$/, '')",
                           timeout=TIMEOUT_MS, polling=20)
    # The page's run is usually seen starting; a very quick one may be over before the watcher notices, so the
    # address is what proves the navigation, and settling what proves the page is drawn.
    with suppress(PlaywrightTimeoutError):
        page.wait_for_function("() => window.__kvizRan === true", timeout=5_000, polling=20)
    settle(page)
    assert path_of(page.url) == path


def path_of(url: str) -> str:
    """'timeline' for http://host:port/timeline?x=1 ('' for the home page)."""
    return url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0].split("#", 1)[0].strip("/")


# --- sidebar widgets ---------------------------------------------------------------------------------


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the sidebar multiselect labelled `label` and wait for the rerun."""
    box = page.locator(SIDEBAR).get_by_role("combobox", name=label, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a box drawn by the rerun before may take focus without opening its menu: click again
        box.click()
        try:
            choice.wait_for(state="visible", timeout=3_000)
            break
        except PlaywrightTimeoutError:
            continue
    rerun_after(page, choice.click)
    page.keyboard.press("Escape")  # close the drop-down so it does not cover the next widget


def press_pill(page: Page, name: str) -> None:
    """Toggle the sidebar pill `name` and wait for the rerun."""
    rerun_after(page, lambda: page.locator(SIDEBAR).get_by_role("button", name=name, exact=True).click())


def chips(page: Page, label: str) -> list[str]:
    """The values shown as chosen in the sidebar multiselect labelled `label`."""
    widget = page.locator(SIDEBAR).get_by_test_id("stMultiSelect").filter(
        has=page.get_by_role("combobox", name=label, exact=True)
    )
    return [tag.get_attribute("aria-label") for tag in widget.locator("[data-tag]").all()]


def pressed_pills(page: Page) -> list[str]:
    """The names of the sidebar pills that are switched on."""
    return [" ".join(b.inner_text().split()) for b in page.locator(SIDEBAR).locator("button[aria-pressed=true]").all()]


def assert_mk7_with_d3_shown(page: Page) -> None:
    """The sidebar shows K2 / MK-7 / With D3 chosen, and the fixture's count for them."""
    assert count_line(page) == MK7_WITH_D3_COUNT
    assert chips(page, FORM) == ["K2"]
    assert chips(page, SUBTYPE) == ["MK-7"]
    assert pressed_pills(page) == [WITH_D3]
