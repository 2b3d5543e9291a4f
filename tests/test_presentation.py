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

from kviz import filters, report, synthetic, ui
from kviz.charts import catalogue, slides
from kviz.filters import FilterState, apply_filters
from kviz.loader import load_findings

PAGE = "pages/presentation.py"
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


def slide_count(at: AppTest) -> int:
    """The number of slides the caption states (tall charts take several)."""
    return int(slide_caption(at).split(" of ")[1].split()[0])


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
    assert slide_caption(at).startswith(f"Slide 1 of {slide_count(at)} · next: {catalogue.PRESENTATION_CHARTS[0].title}")
    assert slide_count(at) >= 1 + len(catalogue.PRESENTATION_CHARTS)
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
    total = slide_count(at)
    seen, files = [], set()
    for number in range(2, total + 1):
        press(at, "Next")
        assert slide_caption(at).startswith(f"Slide {number} of {total}")
        assert at.query_params["slide"] == str(number)
        seen.append(chart_title(at))
        files.add(json.loads(charts(at)[0].proto.config)["toImageButtonOptions"]["filename"].split("_part-")[0])
    assert len(set(seen)) == total - 1, "every slide shows its own chart, or its own part of one"
    assert files == {chart.filename(FilterState(), TODAY) for chart in catalogue.PRESENTATION_CHARTS}
    press(at, "Next")
    assert slide_caption(at) == f"Slide {total} of {total}"
    press(at, "Previous")
    assert chart_title(at) == seen[-2]


def test_a_page_number_jumps_to_its_slide_and_previous_counts_from_there():
    at = open_slides()
    at.get("pagination")[0].set_value(4).run()
    assert slide_caption(at).startswith("Slide 4 of")
    assert at.query_params["slide"] == "4"
    press(at, "Previous")
    assert slide_caption(at).startswith("Slide 3 of")
    assert at.get("pagination")[0].value == 3


def test_a_rerun_sent_with_an_older_link_does_not_undo_a_press():
    """The browser can send a rerun whose URL predates the last press (another widget reporting meanwhile): the
    session's slide stands, and the URL is written back to it."""
    at = open_slides()
    press(at, "Next")
    press(at, "Next")
    at.query_params["slide"] = "2"
    at.run()
    assert slide_caption(at).startswith("Slide 3 of")
    assert at.query_params["slide"] == "3"
    press(at, "Previous")
    press(at, "Previous")
    assert slide_caption(at).startswith("Slide 1 of")
    assert "slide" not in at.query_params, "the title card is the deck's own link"


def test_a_tall_chart_is_split_over_slides_in_parts_that_name_themselves(tmp_path, monkeypatch):
    many = tmp_path / "many.csv"
    synthetic.write_csv(many, 400, seed=5)
    monkeypatch.setenv(ui.DATA_ENV_VAR, str(many))
    at = open_slides()
    parts = []
    for number in range(2, slide_count(at) + 1):
        at = open_slides({"slide": str(number)})
        if "Effect direction plot" in chart_title(at):
            parts.append(chart_title(at))
    assert len(parts) > 1
    assert all(f"part {i} of {len(parts)}" in title for i, title in enumerate(parts, start=1))


def test_every_slide_is_ready_for_a_slide_deck():
    at = open_slides({"d3": "With D3"})
    state = FilterState(d3=("with_d3",))
    names = {chart.filename(state, TODAY) for chart in catalogue.PRESENTATION_CHARTS}
    for number in range(2, slide_count(at) + 1):
        at = open_slides({"slide": str(number), "d3": "With D3"})
        assert slide_caption(at).startswith(f"Slide {number} of")
        (drawn,) = charts(at)
        config = json.loads(drawn.proto.config)
        image = config["toImageButtonOptions"]
        assert config["displaylogo"] is False
        assert image["scale"] >= 2 and image["format"] == "png"
        assert image["width"] * 9 == image["height"] * 16 or abs(image["width"] / image["height"] - 16 / 9) < 0.01
        assert image["height"] >= 1080
        assert image["filename"].split("_part-")[0] in names
        assert drawn.proto.theme == "", "the figure's own slide template, not Streamlit's theme"
        spec = json.loads(drawn.proto.spec)["layout"]
        assert "kviz · data" in spec["title"]["text"], "the source line travels with a saved image"
        assert spec["height"] == slides.slide_area(1080)[0]


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
