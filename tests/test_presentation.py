"""Presentation page in AppTest: title card, one chart per slide, Previous / Next, the slide in the URL,
the camera button's format, and the offline report behind "Download report"."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import open_page
from test_cli_export import app_downloads  # noqa: F401  (fixture: what each download button sends)

from kviz.charts import catalogue
from kviz import filters, report, ui
from kviz.filters import FilterState, apply_filters
from kviz.loader import load_findings

PAGE = "pages/presentation.py"
SLIDES = 1 + len(catalogue.PRESENTATION_CHARTS)
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def data_file(tmp_path: Path, findings_csv_text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "findings.csv"
    path.write_text(findings_csv_text, encoding="utf-8")
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(path))
    return path


def open_slides(query: dict[str, str | list[str]] | None = None) -> AppTest:
    return open_page(PAGE, query)


def slide_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Slide "))


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def chart_title(at: AppTest) -> str:
    (chart,) = charts(at)
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- title card ---------------------------------------------------------------------------------------


def test_title_card_states_counts_data_date_and_no_filters(data_file):
    at = open_slides()
    assert slide_caption(at).startswith(f"Slide 1 of {SLIDES} · next: {catalogue.PRESENTATION_CHARTS[0].title}")
    assert charts(at) == []
    table = load_findings(data_file)
    assert {m.label: m.value for m in at.metric} == {
        "Findings shown": "12 of 12",
        "Publications": "11",
        "Newest publication in the data": report.newest_publication(table),
        "Presented": TODAY.isoformat(),
    }
    assert "None: all findings" in [h.value for h in at.main.header]
    assert at.title[0].value == report.TITLE


def test_title_card_lists_the_links_filters_and_shows_search_words_as_plain_text():
    hostile = "*bone* <b>x</b> [a](https://evil.example) :smile:"
    outcomes = ("bone_density", "bone_quality")
    at = open_slides({"form": "K2", "outcome": [ui.OUTCOME.option_label(o) for o in outcomes], "q": hostile})
    assert [h.value for h in at.main.header] == filters.describe(FilterState(k_forms=("K2",), outcomes=outcomes))
    assert f"Search: “{hostile}”" in [t.value for t in at.main.text]
    markdown = [m.value for m in (*at.markdown, *at.header, *at.subheader, *at.caption, *at.title)]
    assert not any("evil.example" in value for value in markdown), "search words never reach Markdown"
    assert {m.label: m.value for m in at.metric}["Findings shown"] == "0 of 12"  # no row has these words


def test_empty_result_warns_offers_reset_and_charts_still_draw():
    at = open_slides({"q": "no finding says this"})
    assert "No findings match these filters" in at.warning[0].value
    assert any(b.label == "Reset filters" for b in at.button)
    press(at, "Next")
    assert len(charts(at)) == 1  # the builder's own "nothing to show" figure, not an exception


# --- slides -------------------------------------------------------------------------------------------


def test_next_and_previous_move_one_slide_and_stop_at_the_ends():
    at = open_slides()
    press(at, "Previous")
    assert slide_caption(at).startswith("Slide 1 of")
    seen = []
    for number in range(2, SLIDES + 1):
        press(at, "Next")
        assert slide_caption(at).startswith(f"Slide {number} of {SLIDES}")
        assert at.query_params["slide"] == str(number)
        seen.append(chart_title(at))
    assert len(set(seen)) == SLIDES - 1, "every slide shows its own chart"
    press(at, "Next")
    assert slide_caption(at) == f"Slide {SLIDES} of {SLIDES} · the ← and → keys move between slides"
    press(at, "Previous")
    assert chart_title(at) == seen[-2]


@pytest.mark.parametrize("number", range(2, SLIDES + 1))
def test_a_link_restores_its_slide_with_a_slide_ready_chart(number):
    chart = catalogue.PRESENTATION_CHARTS[number - 2]
    at = open_slides({"slide": str(number), "d3": "With D3"})
    assert slide_caption(at).startswith(f"Slide {number} of {SLIDES}")
    (drawn,) = charts(at)
    config = json.loads(drawn.proto.config)
    assert config["displaylogo"] is False
    assert config["toImageButtonOptions"]["scale"] >= 2
    assert config["toImageButtonOptions"]["format"] == "png"
    assert config["toImageButtonOptions"]["filename"] == chart.filename(FilterState(d3=("with_d3",)), TODAY)
    assert drawn.proto.theme == "", "the figure's own slide template, not Streamlit's theme"


def test_svg_camera_format_is_kept_in_the_link():
    at = open_slides({"slide": "3", "image": "SVG"})
    assert json.loads(charts(at)[0].proto.config)["toImageButtonOptions"]["format"] == "svg"
    press(at, "Next")
    assert at.query_params["image"] == "SVG"
    assert json.loads(charts(at)[0].proto.config)["toImageButtonOptions"]["format"] == "svg"


@pytest.mark.parametrize("bad", ["0", "99", "-1", "two", ""])
def test_a_bad_slide_number_in_the_link_opens_the_title_card(bad):
    at = open_slides({"slide": bad})
    assert slide_caption(at).startswith("Slide 1 of")


# --- the offline report -------------------------------------------------------------------------------


def test_download_report_gives_the_report_of_the_shown_filters(app_downloads, data_file):
    state = FilterState(k_forms=("K1",))
    open_slides({"form": "K1"})

    html = app_downloads[report.report_filename(state, TODAY)]().decode("utf-8")
    assert html == report.html_report(load_findings(data_file), state, TODAY)
    for finding_id in apply_filters(load_findings(data_file), state)["finding_id"]:
        assert f'id="finding-{finding_id}"' in html
