"""The sidebar filters as a user drives them: K2, then MK-7 only, then "with D3" narrow the findings and
redraw the charts; the filters survive page changes; a copied link restores them in another browser."""

from playwright.sync_api import Page, expect

from .helpers import (
    Server,
    assert_charts_drawn,
    assert_no_errors,
    chart_fingerprints,
    chips,
    choose,
    count_line,
    NAV_LINK,
    nav_links,
    open_path,
    path_of,
    press_pill,
    pressed_pills,
    rerun_after,
    screenshot,
    settle,
)

FORM, SUBTYPE = "Vitamin K form", "K2 subtype"
WITH_D3 = "With D3"
# Counts in tests/browser/data/findings-fixture.csv (18 findings, 15 publications), step by step.
ALL = "18 of 18 findings · 15 publications"
K2 = "9 of 18 findings · 7 publications"  # K2 (not stated), MK-4 and MK-7 rows
MK7 = "6 of 18 findings · 5 publications"
MK7_WITH_D3 = "4 of 18 findings · 3 publications"


def narrow_to_mk7_with_d3(page: Page) -> list[list[str]]:
    """Choose K2, MK-7 and With D3 in turn; check each step changes the count and every chart.

    Returns the chart fingerprints after each step (before any filter first).
    """
    steps = [
        (lambda: choose(page, FORM, "K2"), K2),
        (lambda: choose(page, SUBTYPE, "MK-7"), MK7),
        (lambda: press_pill(page, WITH_D3), MK7_WITH_D3),
    ]
    assert count_line(page) == ALL
    history = [chart_fingerprints(page)]
    for act, expected_count in steps:
        act()
        assert count_line(page) == expected_count
        charts = chart_fingerprints(page)
        changed = [before != after for before, after in zip(history[-1], charts)]
        assert charts and all(changed), f"charts unchanged after narrowing to {expected_count}: {changed}"
        history.append(charts)
        assert_no_errors(page)
    return history


def assert_filters_shown(page: Page, count: str = MK7_WITH_D3) -> None:
    """The sidebar shows K2 / MK-7 / With D3 chosen, and the count they give."""
    assert count_line(page) == count
    assert chips(page, FORM) == ["K2"]
    assert chips(page, SUBTYPE) == ["MK-7"]
    assert pressed_pills(page) == [WITH_D3]


def test_k2_mk7_and_d3_narrow_the_findings_and_redraw_the_charts(server: Server, page: Page) -> None:
    open_path(page, server, "timeline")
    narrow_to_mk7_with_d3(page)
    expect(page.get_by_text("MK-7").first).to_be_visible()  # the active filters are named on the page
    screenshot(page, "filters-timeline-mk7-with-d3")


def test_filters_survive_switching_pages(server: Server, page: Page) -> None:
    open_path(page, server, "timeline")
    narrow_to_mk7_with_d3(page)
    nav_links(page)
    for path in ["effects", "map", "table", "about", "", "timeline"]:
        link = page.locator(f"{NAV_LINK}[href='{server.url}/{path}']")
        rerun_after(page, lambda: link.click())
        assert path_of(page.url) == path
        assert_filters_shown(page)
        assert_no_errors(page)
        assert "form=K2" in page.url and "k2=MK-7" in page.url, page.url


def test_link_with_filters_restores_them_in_a_new_browser(server: Server, new_context) -> None:
    first = new_context().new_page()
    open_path(first, server, "timeline")
    narrow_to_mk7_with_d3(first)
    rows_by_design = first.get_by_role("radio", name="Study design", exact=True)
    rerun_after(first, lambda: rows_by_design.click())
    shared_link, charts = first.url, chart_fingerprints(first)
    assert "y=" in shared_link, "the timeline's own switch is in the link too"

    second = new_context().new_page()  # another browser profile: nothing shared but the link
    second.goto(shared_link)
    settle(second)
    assert path_of(second.url) == "timeline"
    assert_filters_shown(second)
    assert second.get_by_role("radio", name="Study design", exact=True).get_attribute("aria-checked") == "true"
    assert_charts_drawn(second, 2)
    assert chart_fingerprints(second) == charts, "the link reopens the very same charts"
    assert_no_errors(second)
    screenshot(second, "filters-restored-from-link")
