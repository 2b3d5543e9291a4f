"""Presenting on a real screen: at 1920×1080 and 1280×720 every slide fits the window with the sidebar closed, text
is large enough at 1080 p, and a saved chart is a 16:9 image that says where it came from."""

from __future__ import annotations

import re
import struct
from typing import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .helpers import ARTIFACTS, CHART, Server, assert_no_errors, open_presentation, rerun_after

SCREENS = {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}
SLIDE = re.compile(r"Slide (\d+) of (\d+)")
MIN_TICK_PX_AT_1080 = 18
MIN_TITLE_PX_AT_1080 = 32

_TEXT_SIZES = """() => {
    const plot = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
    const sizes = selector => [...plot.querySelectorAll(selector)]
        .filter(t => t.textContent.trim()).map(t => parseFloat(getComputedStyle(t).fontSize));
    return {ticks: sizes('.xtick text, .ytick text'), title: sizes('.gtitle')};
}"""


def slide_number(page: Page) -> tuple[int, int]:
    caption = page.get_by_text(SLIDE).first
    expect(caption).to_be_visible()
    current, total = SLIDE.search(caption.inner_text()).groups()
    return int(current), int(total)


def assert_sidebar_closed(page: Page) -> None:
    expect(page.get_by_test_id("stSidebarContent")).not_to_be_in_viewport()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()


def assert_slide_fits(page: Page, screen: dict[str, int], label: str) -> None:
    box = page.locator(CHART).first.bounding_box()
    assert box is not None, label
    assert box["y"] >= 0 and box["y"] + box["height"] <= screen["height"] + 1, (label, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= screen["width"] + 1, (label, box)


@pytest.mark.parametrize("screen_name", SCREENS)
def test_every_slide_fits_the_screen_with_the_sidebar_closed(
    bundled_server: Server, new_context: Callable[..., BrowserContext], screen_name: str
) -> None:
    screen = SCREENS[screen_name]
    page = new_context(viewport=screen).new_page()
    open_presentation(page, bundled_server)
    assert_sidebar_closed(page)
    _, total = slide_number(page)
    assert total > 10, "the bundled data's tall charts are split over several slides"
    for number in range(2, total + 1):
        if number % 2:  # step both ways a presenter does: the → key and the Next button
            rerun_after(page, lambda: page.keyboard.press("ArrowRight"))
        else:
            rerun_after(page, page.get_by_test_id("stButton").filter(has_text="Next").get_by_role("button").click)
        assert slide_number(page) == (number, total)
        assert_no_errors(page)
        assert_sidebar_closed(page)
        assert_slide_fits(page, screen, f"slide {number} at {screen_name}")
        if screen_name == "1080p":
            sizes = page.evaluate(_TEXT_SIZES)
            assert sizes["ticks"] and min(sizes["ticks"]) >= MIN_TICK_PX_AT_1080, (number, sizes["ticks"])
            assert max(sizes["title"]) >= MIN_TITLE_PX_AT_1080, (number, sizes["title"])
        if number in (2, total):
            screenshot_at_screen(page, f"slide-{screen_name}-{number}")


def screenshot_at_screen(page: Page, name: str) -> None:
    """The slide as the audience sees it (the screen's own size, not a tall capture)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def _download_chart(page: Page) -> bytes:
    page.locator(CHART).first.hover()
    button = page.locator(f"{CHART} .modebar-btn[data-title^='Download plot']").first
    with page.expect_download() as download:
        button.click()
    return download.value.path().read_bytes()


def test_a_saved_chart_is_16_9_and_its_svg_twin_names_its_source(
    server: Server, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(viewport=SCREENS["1080p"]).new_page()
    open_presentation(page, server, "slide=2&d3=With+D3")
    png = _download_chart(page)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert abs(width / height - 16 / 9) < 0.01 and height >= 1080, (width, height)

    rerun_after(page, page.get_by_test_id("stButtonGroup").locator("button").filter(has_text="SVG").click)
    assert "image=SVG" in page.url
    svg = _download_chart(page).decode("utf-8")
    (ARTIFACTS / "saved-chart.svg").write_text(svg, encoding="utf-8")
    assert svg.lstrip().startswith("<svg")
    assert "kviz · data" in svg and "with D3" in svg and "/presentation?" in svg  # source line: data, filters, link
    assert_no_errors(page)
