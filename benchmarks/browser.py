"""Browser timings against the real servers: page load to first chart, filter change to every chart updated,
and the bytes each page sends, for the kviz app and the floor page, measured interleaved in one run.

Times are taken inside the page (performance.now(), i.e. from the start of navigation), so neither
Playwright's round trips nor its polling are counted:
- page load: the first `.main-svg` of a plotly chart in the DOM (pages without charts: the first run
  finished with content on screen);
- filter change: from the pointer press on a filter option to the later of "the rerun finished" (the app's
  script state back to notRunning) and the last DOM change inside any chart.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from common import REPO, RESULTS, Timing, streamlit_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 1000}
TIMEOUT_MS = 120_000  # a page load or rerun on a busy machine at 100k rows
ACTION_TIMEOUT_MS = 15_000  # opening the filter's drop-down
QUIET_MS = 300  # after the page is settled, wait this long for late chart redraws (not counted)
FLOOR = REPO / "benchmarks" / "floor_app.py"
APP = REPO / "app.py"
FILTER_OPTION = re.compile(r"^K1\b")  # a K1-only choice selects the same rows in the app and the floor
CHART = "[data-testid=stPlotlyChart]"
STATIC_PATH = "/static/"  # Streamlit's own JavaScript and CSS: identical for every app, cached by browsers

INSTRUMENT = """(() => {
  const CHART = '[data-testid=stPlotlyChart]';
  const bench = window.__bench = {firstChart: null, lastChartChange: null, lastIdle: null, pointer: null, rerunSeen: false};
  new MutationObserver(records => {
    const now = performance.now();
    if (bench.firstChart === null && document.querySelector(CHART + ' .js-plotly-plot .main-svg')) bench.firstChart = now;
    for (const record of records) {
      const element = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      if (record.attributeName === 'data-test-script-state') {
        if (bench.pointer !== null) bench.rerunSeen = true;
        if (element.getAttribute('data-test-script-state') === 'notRunning') bench.lastIdle = now;
      } else if (element && element.closest && element.closest(CHART)) {
        bench.lastChartChange = now;
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  document.addEventListener('pointerdown', () => { if (bench.pointer === null) bench.pointer = performance.now(); }, true);
})();"""

SETTLED = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale=true], [data-testid=stSkeleton], [data-testid=stStatusWidget]')) return false;
  if (!document.querySelector('[data-testid=stMainBlockContainer] [data-testid=stElementContainer]')) return false;
  const charts = [...document.querySelectorAll('[data-testid=stPlotlyChart]')];
  return charts.every(chart => { const plot = chart.querySelector('.js-plotly-plot');
                                 return plot && plot._fullLayout && plot.querySelector('.main-svg'); });
}"""


@dataclass
class Target:
    """One page to measure: the floor, or one page of the app."""

    name: str
    url: str
    page_load: Timing = field(default_factory=Timing)
    filter_change: Timing = field(default_factory=Timing)
    has_chart: bool = True
    load_bytes: dict[str, int] = field(default_factory=dict)  # websocket / http_data / http_static, last run
    filter_bytes: int = 0  # websocket bytes of the last filter change

    def to_dict(self) -> dict:
        return {"name": self.name, "url": self.url, "page_load": self.page_load.to_dict(),
                "filter_change": self.filter_change.to_dict(), "has_chart": self.has_chart, "load_bytes": self.load_bytes,
                "filter_bytes": self.filter_bytes}


class ByteCounter:
    """Websocket payload bytes received, and the finished HTTP requests, of one page."""

    def __init__(self, page: Page):
        self.websocket = 0
        self.requests = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))
        page.on("requestfinished", lambda request: self.requests.append(request))

    def _frame(self, payload: bytes | str) -> None:
        self.websocket += len(payload.encode() if isinstance(payload, str) else payload)

    def totals(self) -> dict[str, int]:
        http = {"http_data": 0, "http_static": 0}
        for request in self.requests:
            sizes = request.sizes()
            kind = "http_static" if STATIC_PATH in request.url else "http_data"
            http[kind] += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        return {"websocket": self.websocket, **http}


def _settle(page: Page) -> None:
    page.wait_for_function(SETTLED, polling="raf", timeout=TIMEOUT_MS)
    page.wait_for_timeout(QUIET_MS)


def _exception(page: Page) -> str:
    errors = page.locator("[data-testid=stException]")
    return f"exception on page: {errors.first.inner_text()[:200]}" if errors.count() else ""


def _load(page: Page, target: Target, counter: ByteCounter) -> None:
    page.goto(target.url)
    _settle(page)
    bench = page.evaluate("window.__bench")
    target.has_chart = page.locator(CHART).count() > 0
    target.page_load.seconds.append((bench["firstChart"] if target.has_chart else bench["lastIdle"]) / 1000)
    target.page_load.note = target.page_load.note or _exception(page)
    target.load_bytes = counter.totals()


def _change_filter(page: Page, target: Target, counter: ByteCounter) -> None:
    picker = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():  # presentation mode starts with the sidebar collapsed: a user opens it first
        expand.click()
        picker.wait_for(timeout=ACTION_TIMEOUT_MS)
        page.wait_for_timeout(QUIET_MS)  # the sidebar's slide-in animation
    if not picker.is_visible():
        target.filter_change.note = "no filter visible (sidebar collapsed or absent)"
        return
    picker.click(timeout=ACTION_TIMEOUT_MS)
    option = page.get_by_role("option", name=FILTER_OPTION).first
    option.wait_for(timeout=ACTION_TIMEOUT_MS)
    page.evaluate("Object.assign(window.__bench, {pointer: null, rerunSeen: false, lastChartChange: null})")
    before = counter.websocket
    option.click()
    page.wait_for_function("window.__bench.rerunSeen", polling="raf", timeout=TIMEOUT_MS)
    _settle(page)
    bench = page.evaluate("window.__bench")
    finished = max(bench["lastIdle"], bench["lastChartChange"] or 0)
    target.filter_change.seconds.append((finished - bench["pointer"]) / 1000)
    target.filter_change.note = target.filter_change.note or _exception(page)
    target.filter_bytes = counter.websocket - before


def _measure_once(browser: Browser, target: Target) -> None:
    """One fresh browser context (empty cache, new session): load the page, then change one filter."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(INSTRUMENT)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        counter = ByteCounter(page)
        for step, timing in ((_load, target.page_load), (_change_filter, target.filter_change)):
            try:
                step(page, target, counter)
            except Exception as error:  # reported in the table; the other pages and runs go on
                timing.note = f"error: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
                return
    finally:
        context.close()


def _app_pages(browser: Browser, url: str) -> list[tuple[str, str]]:
    """(title, URL) of every page in the app's sidebar navigation; also warms the server up."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        _settle(page)
        links = page.locator("[data-testid=stSidebarNav] a")
        # A link's text is its icon's ligature name, then the page title: keep the title.
        pages = [(links.nth(i).inner_text().split("\n")[-1].strip(), links.nth(i).get_attribute("href"))
                 for i in range(links.count())]
        return [(title, href if href.startswith("http") else url + href) for title, href in pages] or [("app", url)]
    finally:
        context.close()


def _warm_up(browser: Browser, targets: list[Target]) -> None:
    """Load every page once untimed, so server caches and first-import costs are paid before measuring."""
    for target in targets:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(target.url, timeout=TIMEOUT_MS)
            _settle(page)
        finally:
            context.close()


def browser_timings(data: Path, label: str, runs: int) -> dict:
    """Interleaved runs (floor, then each app page, `runs` times) on one data file; both servers up throughout."""
    logs = RESULTS / "logs"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            with streamlit_server(FLOOR, data, logs / f"floor-{label}.log") as floor_url, \
                    streamlit_server(APP, data, logs / f"app-{label}.log") as app_url:
                started = time.perf_counter()
                targets = [Target("floor", floor_url)]
                targets += [Target(title, url) for title, url in _app_pages(browser, app_url)]
                _warm_up(browser, targets)
                for _ in range(runs):
                    for target in targets:
                        _measure_once(browser, target)
                return {"targets": [t.to_dict() for t in targets], "seconds": time.perf_counter() - started}
        finally:
            browser.close()
