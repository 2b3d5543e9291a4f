"""The Effect sizes page as a user drives it: the forest plot draws, changing "Group by" and a sidebar filter
redraws it, and the copied link reopens the same plot in another browser."""

from playwright.sync_api import Page

from .helpers import (
    FORM,
    Server,
    assert_charts_drawn,
    assert_no_errors,
    chart_fingerprints,
    choose,
    open_path,
    rerun_after,
    screenshot,
    settle,
)


def test_forest_plot_follows_group_by_and_filters_and_the_link_restores_it(server: Server, new_context) -> None:
    page: Page = new_context().new_page()
    open_path(page, server, "effect_sizes")
    assert_charts_drawn(page, 1)
    first = chart_fingerprints(page)

    rerun_after(page, lambda: page.get_by_role("radio", name="Vitamin D3", exact=True).click())
    grouped = chart_fingerprints(page)
    assert grouped != first, "grouping by vitamin D3 redraws the forest plot"
    assert "by=Vitamin+D3" in page.url

    choose(page, FORM, "K2")
    narrowed = chart_fingerprints(page)
    assert narrowed != grouped, "a sidebar filter redraws the forest plot"
    assert "form=K2" in page.url
    assert_no_errors(page)
    screenshot(page, "effect-sizes-k2-by-d3")

    other: Page = new_context().new_page()  # another browser: nothing shared but the link
    other.goto(page.url)
    settle(other)
    assert_charts_drawn(other, 1)
    assert chart_fingerprints(other) == narrowed, "the link reopens the same forest plot"
    assert other.get_by_role("radio", name="Vitamin D3", exact=True).get_attribute("aria-checked") == "true"
