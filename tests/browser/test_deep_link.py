"""A shared link opened as the very first request to a fresh server (the "cold deep link").

With a pages/ folder next to app.py, Streamlit runs pages/<name>.py on its own until app.py has run once
in the server process: no data, no sidebar filters, navigation by file name. The app routes such a run
through app.py; only a new server can show whether that still works, so this test starts its own.
"""

from typing import Callable

from playwright.sync_api import BrowserContext, Page

from .helpers import (
    FIXTURE_DATA,
    MK7_WITH_D3_QUERY,
    TIMELINE_CHARTS,
    assert_charts_drawn,
    assert_mk7_with_d3_shown,
    assert_no_errors,
    nav_links,
    open_path,
    path_of,
    screenshot,
    settle,
    streamlit_server,
)


def navigation(page: Page) -> list[tuple[str, str]]:
    """(label, path) of every sidebar navigation link."""
    return [(" ".join(a.inner_text().split()), path_of(a.get_attribute("href"))) for a in nav_links(page).all()]


def test_cold_deep_link_runs_through_the_app(new_context: Callable[[], BrowserContext]) -> None:
    with streamlit_server("cold-deep-link", FIXTURE_DATA) as fresh:
        cold = new_context().new_page()
        open_path(cold, fresh, "timeline", MK7_WITH_D3_QUERY)  # the server's first page request
        assert_no_errors(cold)
        assert path_of(cold.url) == "timeline"
        assert_mk7_with_d3_shown(cold)
        assert_charts_drawn(cold, TIMELINE_CHARTS)
        screenshot(cold, "cold-deep-link-timeline")

        warm = new_context().new_page()
        open_path(warm, fresh)  # the app's own navigation, now that app.py has run
        assert navigation(cold) == navigation(warm)
        assert "app" not in {path for _, path in navigation(cold)}, "file-name navigation would list app.py"


COLD_VISITORS = 8


def test_many_visitors_opening_one_link_at_once_on_a_fresh_server_all_get_the_whole_app(
    new_context: Callable[[], BrowserContext],
) -> None:
    """A room opens the shared link at the same moment: every page runs inside the app (sidebar, data, filters)."""
    with streamlit_server("cold-deep-link-crowd", FIXTURE_DATA) as fresh:
        pages = [new_context().new_page() for _ in range(COLD_VISITORS)]
        for page in pages:  # every request goes out before any page has finished: the runs overlap on the server
            page.goto(f"{fresh.url}/timeline?{MK7_WITH_D3_QUERY}", wait_until="commit")
        for number, page in enumerate(pages):
            settle(page)
            assert_no_errors(page)
            assert path_of(page.url) == "timeline", number
            assert_mk7_with_d3_shown(page)
            assert_charts_drawn(page, TIMELINE_CHARTS)
        server_log = fresh.log()
        assert "KeyError" not in server_log and "Traceback" not in server_log, server_log[-2000:]
