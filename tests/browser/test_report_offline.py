"""The offline report, opened from a file with every network request refused, draws all its charts."""

import datetime

from playwright.sync_api import Browser

from kviz.charts import catalogue
from kviz import report
from kviz.filters import FilterState

DAY = datetime.date(2026, 11, 24)


def test_report_draws_every_chart_from_a_file_with_no_network(browser: Browser, typed_frame, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report.html_report(typed_frame, FilterState(), DAY), encoding="utf-8")
    outside, errors = [], []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                   else (outside.append(route.request.url), route.abort()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length === {len(catalogue.REPORT_CHARTS)}"
            " && [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg .trace'))",
            timeout=60_000,
        )
        assert page.locator("tbody tr").count() == len(typed_frame)
    finally:
        context.close()
    assert outside == [], "the report asked the network for something"
    assert errors == []
