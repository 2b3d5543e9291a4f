"""Every page of the app, on the bundled data, opens by its URL and through the sidebar, draws every chart
and shows no exception or error box; a screenshot of each page lands in test-artifacts/."""

import pytest
from playwright.sync_api import Page

from .helpers import (
    Server,
    assert_charts_drawn,
    assert_no_errors,
    chart_fingerprints,
    count_line,
    nav_links,
    open_path,
    go_to,
    path_of,
    rerun_after,
    screenshot,
)

# URL path of every page -> the number of plotly charts it draws with all findings shown. A new page or a
# removed chart must show up here (the navigation test fails on a page missing from this table).
CHARTS_PER_PAGE = {
    "": 1,  # overview: direction summary
    "timeline": 1,  # the timeline; publications per year once its expander is opened (test below)
    "effects": 1,  # the open tab's chart: the effect direction plot
    "effect_sizes": 1,  # forest plot
    "map": 1,  # evidence map
    "table": 0,
    "presentation": 0,  # the title card; every slide's chart: test_presentation.py
    "data": 0,  # the upload page
    "about": 1,  # the search flow
}


def _name(path: str) -> str:
    return path or "overview"


@pytest.mark.parametrize("path", list(CHARTS_PER_PAGE), ids=_name)
def test_page_opens_by_url_and_draws_every_chart(bundled_server: Server, page: Page, path: str) -> None:
    open_path(page, bundled_server, path)
    assert_no_errors(page)
    assert_charts_drawn(page, CHARTS_PER_PAGE[path])
    assert count_line(page)  # the sidebar frame (data and filters) ran around the page
    screenshot(page, f"page-{_name(path)}")


def test_sidebar_links_open_every_page(bundled_server: Server, page: Page) -> None:
    open_path(page, bundled_server)
    paths = [path_of(link.get_attribute("href")) for link in nav_links(page).all()]
    assert sorted(paths) == sorted(CHARTS_PER_PAGE), "every page in the navigation is tested, and only those"
    for path in paths[1:] + paths[:1]:  # the home page last: leave it and come back
        go_to(page, bundled_server, path)
        assert_no_errors(page)
        assert_charts_drawn(page, CHARTS_PER_PAGE[path])
    assert "Traceback" not in bundled_server.log(), bundled_server.log()[-3000:]


def test_timeline_draws_publications_per_year_when_it_is_opened_and_the_link_keeps_it(
    bundled_server: Server, page: Page, new_context
) -> None:
    open_path(page, bundled_server, "timeline")
    rerun_after(page, page.get_by_text("Publications per year", exact=True).click)
    assert_charts_drawn(page, 2)
    drawn = chart_fingerprints(page)
    assert "Publications per year" in drawn[1] and "per_year=true" in page.url
    assert_no_errors(page)

    shared = new_context().new_page()
    open_path(shared, bundled_server, "timeline", page.url.split("?", 1)[1])
    assert_charts_drawn(shared, 2)


def test_effect_directions_builds_a_tab_when_it_is_opened_and_the_link_keeps_it(
    bundled_server: Server, page: Page, new_context
) -> None:
    open_path(page, bundled_server, "effects")
    first = chart_fingerprints(page)
    rerun_after(page, page.get_by_role("tab", name="Vote count (exploratory)").click)
    assert_charts_drawn(page, 1)
    votes = chart_fingerprints(page)
    assert votes != first and "Vote count" in votes[0]
    assert "show=Vote+count" in page.url
    assert_no_errors(page)

    shared = new_context().new_page()
    open_path(shared, bundled_server, "effects", page.url.split("?", 1)[1])
    assert chart_fingerprints(shared) == votes
