"""Fixtures for the browser tests: real `streamlit run` servers and a headless Debian Chromium.

Servers and the browser are session-scoped (started once, stopped whatever happens); every test gets
fresh browser contexts, so no cookies, storage or websocket sessions leak between tests.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from .helpers import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    FIXTURE_DATA,
    TIMEOUT_MS,
    VIEWPORT,
    Server,
    chromium_path,
    streamlit_server,
)

BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (`-m "not browser"` skips them all)."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The app on the small fixture table (tests/browser/data/findings-fixture.csv), via KVIZ_DATA."""
    with streamlit_server("fixture", FIXTURE_DATA) as running:
        yield running


@pytest.fixture(scope="session")
def bundled_server() -> Iterator[Server]:
    """The app on its bundled data/findings.csv, as a user starts it."""
    with streamlit_server("bundled", None) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., BrowserContext]]:
    """Opens fresh browser contexts (separate users; `viewport=` for another screen size); on failure each open page
    is screenshotted."""
    contexts: list[BrowserContext] = []
    page_errors: list[str] = []

    def open_context(viewport: dict[str, int] = VIEWPORT) -> BrowserContext:
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", lambda page: page.on("pageerror", lambda error: page_errors.append(str(error))))
        contexts.append(context)
        return context

    yield open_context
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        failures = ARTIFACTS / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                with contextlib.suppress(PlaywrightError):  # best effort: the page may have crashed
                    page.screenshot(path=failures / f"{request.node.name}-{c}-{p}.png")
    for context in contexts:
        context.close()
    assert not page_errors, f"uncaught JavaScript errors in the page: {page_errors}"


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    """A page in a fresh browser context."""
    return new_context().new_page()
