"""One link must not stall everyone: a search of 40,000 characters in the URL is cut to the cap, answered at once,
and leaves the server idle once its visitor has gone."""

from __future__ import annotations

import time
from typing import Callable

from playwright.sync_api import BrowserContext

from .helpers import Server, assert_no_errors, open_path

HUGE_SEARCH = "q=" + "+".join(["bone"] * 8000)  # 40,000 characters
SLOWER_THAN_A_PLAIN_VISIT = 2.0  # seconds the huge link may add to a plain visit (benchmarks/load.py: 0.2 s)
IDLE_CPU_SECONDS = 0.5  # CPU the server may use in the quiet seconds after the visitor left


def test_a_40000_character_search_link_is_answered_quickly_and_leaves_the_server_idle(
    server: Server, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    started = time.monotonic()
    open_path(page, server, "", "q=bone")
    plain = time.monotonic() - started
    started = time.monotonic()
    open_path(page, server, "", HUGE_SEARCH)
    assert time.monotonic() - started < plain + SLOWER_THAN_A_PLAIN_VISIT
    assert_no_errors(page)
    assert len(page.get_by_test_id("stTextInput").locator("input").input_value()) == 200
    page.context.close()  # the visitor leaves

    before = server.cpu_seconds()
    time.sleep(3)
    assert server.cpu_seconds() - before < IDLE_CPU_SECONDS, "the server kept working for nobody"


def test_no_request_leaves_for_an_outside_host(server: Server, new_context: Callable[..., BrowserContext]) -> None:
    """A meeting room may have no internet: the app's pages, icons and fonts all come from the server itself."""
    page = new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ("", "timeline", "presentation", "about"):
        open_path(page, server, path)
    outside = [url for url in requested if not url.startswith((server.url, "data:", "blob:"))]
    assert outside == []
    assert "External URL" not in server.log()  # the server did not look up its address outside either
