"""The sidebar filters as a user drives them: K2, then MK-7 only, then "with D3" narrow the findings and
redraw the charts; the filters survive page changes; a copied link restores them in another browser."""

from playwright.sync_api import Page, expect


from .helpers import (
    ALL_COUNT,
    FORM,
    K2_COUNT,
    MK7_COUNT,
    MK7_WITH_D3_COUNT,
    SUBTYPE,
    TIMELINE_CHARTS,
    WITH_D3,
    WITH_D3_LABEL,
    Server,
    assert_charts_drawn,
    assert_mk7_with_d3_shown,
    assert_no_errors,
    chart_fingerprints,
    choose,
    count_line,
    go_to,
    open_path,
    path_of,
    press_pill,
    rerun_after,
    screenshot,
    settle,
)


def narrow_to_mk7_with_d3(page: Page) -> None:
    """Choose K2, MK-7 and With D3 in turn; each step must change the count and every chart."""
    steps = [
        (lambda: choose(page, FORM, "K2"), K2_COUNT),
        (lambda: choose(page, SUBTYPE, "MK-7"), MK7_COUNT),
        (lambda: press_pill(page, WITH_D3), MK7_WITH_D3_COUNT),
    ]
    assert count_line(page) == ALL_COUNT
    charts = chart_fingerprints(page)
    for act, expected_count in steps:
        act()
        assert count_line(page) == expected_count
        before, charts = charts, chart_fingerprints(page)
        changed = [old != new for old, new in zip(before, charts)]
        assert charts and all(changed), f"charts unchanged after narrowing to {expected_count}: {changed}"
        assert_no_errors(page)


def test_k2_mk7_and_d3_narrow_the_findings_and_redraw_the_charts(server: Server, page: Page) -> None:
    open_path(page, server, "timeline")
    narrow_to_mk7_with_d3(page)
    main = page.get_by_test_id("stMainBlockContainer")
    for named in ("K2", "MK-7", WITH_D3_LABEL):  # the page itself says which filters are active
        expect(main).to_contain_text(named)
    screenshot(page, "filters-timeline-mk7-with-d3")


def test_filters_survive_switching_pages(server: Server, page: Page) -> None:
    open_path(page, server, "timeline")
    narrow_to_mk7_with_d3(page)
    for path in ["effects", "map", "table", "presentation", "data", "about", "", "timeline"]:
        go_to(page, server, path)
        assert_mk7_with_d3_shown(page)
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
    assert_mk7_with_d3_shown(second)
    assert second.get_by_role("radio", name="Study design", exact=True).get_attribute("aria-checked") == "true"
    assert_charts_drawn(second, TIMELINE_CHARTS)
    assert chart_fingerprints(second) == charts, "the link reopens the very same charts"
    assert_no_errors(second)
    screenshot(second, "filters-restored-from-link")


_CUT_TEXT = """() => [...document.querySelectorAll('[data-testid=stSidebar] [data-tag] > span[title]')]
    .filter(span => span.scrollWidth > span.clientWidth + 1).map(span => span.textContent)"""


def test_chosen_options_show_their_whole_label_and_every_option_its_count(server: Server, page: Page) -> None:
    open_path(page, server, "", "outcome=Vitamin+status+%26+absorption&design=Cross-sectional+or+case-control")
    assert page.evaluate(_CUT_TEXT) == [], "a chip ends in '…'"
    outcome_counts = page.locator("[data-testid=stSidebar] [data-testid=stCaptionContainer]").filter(
        has_text="Bone density").first.inner_text()
    assert "Vitamin status & absorption" in outcome_counts and "Fracture" in outcome_counts
