"""kviz.report: one valid, self-contained, escaped HTML file with every filtered finding and its citation."""

from __future__ import annotations

import datetime
import io
from html.parser import HTMLParser

import pandas as pd
import pytest

from kviz.charts import catalogue
from kviz import report, schema
from kviz.filters import FilterState, apply_filters, describe, newest_first
from kviz.loader import load_findings

DAY = datetime.date(2026, 11, 24)
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PLOTLY_LIBRARY_BANNER = "plotly.js v"


class Page(HTMLParser):
    """Parses a document strictly enough to catch broken nesting, and keeps what the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.doctype = ""
        self.feed(text)
        self.close()
        if self.open:
            self.errors.append(f"unclosed: {self.open}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] == "script":
            self.scripts.append(data)
        elif not self.open or self.open[-1] != "style":
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if attrs.get("id")]

    @property
    def body_text(self) -> str:
        return "".join(self.text)


_PAGES: dict[FilterState, Page] = {}  # reports of the unchanged fixture table: building one takes a while


@pytest.fixture
def page_for(typed_frame):
    def build(state: FilterState = FilterState(), table: pd.DataFrame | None = None) -> Page:
        if table is None and state in _PAGES:
            return _PAGES[state]
        page = Page(report.html_report(typed_frame if table is None else table, state, DAY))
        assert page.errors == []
        if table is None:
            _PAGES[state] = page
        return page

    return build


# --- structure and self-containment -------------------------------------------------------------------


def test_report_is_well_formed_html_with_a_title(page_for):
    page = page_for()
    assert page.doctype.lower() == "doctype html"
    assert [name for name, _ in page.tags[:2]] == ["html", "head"]
    assert page.all("meta")[0] == {"charset": "utf-8"}
    assert len(page.all("title")) == 1
    ids = page.ids()
    assert len(ids) == len(set(ids)), "element ids must be unique"


def test_report_needs_no_network(page_for):
    page = page_for()
    assert all("src" not in attrs for attrs in page.all("script")), "no <script src=...>"
    assert page.all("link") == [] and page.all("iframe") == [] and page.all("img") == []
    assert "@import" not in report.STYLE and "url(" not in report.STYLE
    assert sum(PLOTLY_LIBRARY_BANNER in script for script in page.scripts) == 1, "plotly.js embedded exactly once"


def test_every_key_chart_is_drawn_with_the_slide_ready_config(page_for):
    page = page_for(FilterState(k_forms=("K2",)))
    chart_divs = {attrs["id"] for attrs in page.all("div") if "plotly-graph-div" in (attrs.get("class") or "")}
    assert chart_divs == {f"chart-{chart.key}" for chart in catalogue.REPORT_CHARTS}
    calls = [s for s in page.scripts if "Plotly.newPlot" in s]
    assert len(calls) == len(catalogue.REPORT_CHARTS)
    assert all('"displaylogo": false' in call for call in calls)
    assert '"filename": "kviz_K2_2026-11-24_timeline-by-outcome"' in "".join(calls)
    headings = [text.strip() for text in page.text]
    assert all(chart.title in headings for chart in catalogue.REPORT_CHARTS)


# --- content ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [FilterState(), FilterState(k_forms=("K2",), d3=("with_d3",)), FilterState(outcomes=("bone_density",), search="bone")],
    ids=["all", "k2-with-d3", "bmd-search"],
)
def test_every_filtered_finding_is_in_the_table_and_no_other(page_for, typed_frame, state):
    page = page_for(state)
    rows = newest_first(apply_filters(typed_frame, state))  # newest first, like the app's table
    shown = [i.removeprefix("finding-") for i in page.ids() if i.startswith("finding-")]
    assert shown == rows["finding_id"].tolist()
    for finding_id, headline in zip(rows["finding_id"], rows["headline"]):
        assert finding_id in page.body_text and headline in page.body_text
    hidden = typed_frame.loc[~typed_frame["finding_id"].isin(rows["finding_id"]), "headline"]
    assert not any(headline in page.body_text for headline in hidden)


def test_active_filters_and_data_date_are_stated(page_for, typed_frame):
    state = FilterState(k_forms=("K1",), years=(2005, 2015))
    page = page_for(state)
    items = [text for text in page.text if text.strip()]
    for line in describe(state):
        assert line in items
    assert f"newest publication {report.newest_publication(typed_frame)}" in page.body_text
    assert "Report generated 2026-11-24" in page.body_text
    assert "None: all findings" in page_for().body_text


def test_table_uses_labels_not_codes(page_for):
    text = page_for().body_text
    assert "Randomised trial" in text and "No clear effect" in text and "K2 as MK-7" in text
    assert "no_effect" not in text and "not_reported" not in text


def test_citations_are_listed_once_per_publication_with_https_links(page_for, typed_frame):
    page = page_for()
    publications = typed_frame["study_id"].nunique()
    assert len([i for i in page.ids() if i.startswith("ref-")]) == publications
    hrefs = [attrs["href"] for attrs in page.all("a")]
    assert all(href.startswith(("https://", "#ref-")) for href in hrefs)
    assert "https://doi.org/10.5555/k1.2008" in hrefs
    assert "https://example.org/mk7" in hrefs


def test_untraced_claims_are_marked(page_for):
    def marks(page: Page) -> int:
        return sum(attrs.get("class") == "untraced" for attrs in page.all("span"))

    assert marks(page_for(FilterState(outcomes=("covid",)))) == 1
    assert marks(page_for()) == 2
    assert marks(page_for(FilterState(include_untraced=False))) == 0


def test_empty_result_is_a_valid_report_that_says_so(page_for):
    page = page_for(FilterState(search="no finding says this"))
    assert "No findings match these filters." in page.body_text
    assert [i for i in page.ids() if i.startswith(("finding-", "ref-"))] == []


# --- hostile strings ----------------------------------------------------------------------------------

HOSTILE = '</td></tr></table><script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \'single\''


def test_hostile_strings_in_every_text_column_are_shown_as_text(page_for, typed_frame):
    table = typed_frame.copy()
    for column in (c.name for c in schema.COLUMNS if c.kind == "text"):
        table[column] = table[column] + HOSTILE
    page = page_for(FilterState(), table)
    assert page.all("img") == []
    assert len(page.all("script")) == len(page_for().all("script")), "no injected <script>"
    assert len(page.all("table")) == 1 and len(page.all("tr")) == len(table) + 1
    assert page.body_text.count(HOSTILE) >= len(table) * 2  # headline and effect size in the table, at least


def test_hostile_filter_text_is_escaped_in_title_and_filter_list(page_for):
    page = page_for(FilterState(search='</title><script>alert(1)</script>'))
    assert len(page.all("script")) == len(page_for().all("script")), "no injected <script>"
    assert "Search: “</title><script>alert(1)</script>”" in page.body_text


def test_finding_ids_in_attributes_are_escaped(page_for, typed_frame):
    table = typed_frame.copy()
    table.loc[0, "finding_id"] = 'x" onmouseover="alert(1)'
    page = page_for(FilterState(), table)
    assert 'finding-x" onmouseover="alert(1)' in page.ids()
    assert all("onmouseover" not in attrs for _, attrs in page.tags)


# --- links --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doi", "link"),
    [
        ("10.1007/s00198-013-2325-6", "https://doi.org/10.1007/s00198-013-2325-6"),
        ("10.1002/(SICI)1097<x>#y?z", "https://doi.org/10.1002/%28SICI%291097%3Cx%3E%23y%3Fz"),
    ],
)
def test_doi_links_are_https_and_percent_encoded(doi, link):
    assert report.doi_link(doi) == link


def test_only_https_addresses_become_links(page_for, typed_frame):
    table = typed_frame.head(4).copy()
    table["url"] = ["javascript:alert(1)", "http://insecure.example/", "data:text/html,x", "https://ok.example/a?b=1&c"]
    table["doi"] = ["", "", "", ""]
    page = page_for(FilterState(), table)
    hrefs = [attrs["href"] for attrs in page.all("a") if not attrs["href"].startswith("#")]
    assert hrefs == ["https://ok.example/a?b=1&c"]
    assert "javascript:alert(1)" not in page.body_text  # an unsafe address is not even shown


# --- names and dates ----------------------------------------------------------------------------------


def test_report_and_chart_file_names():
    state = FilterState(k_forms=("K2",), d3=("with_d3",))
    assert report.report_filename(state, DAY) == "kviz_K2_with-D3_2026-11-24_report.html"
    assert catalogue.EVIDENCE_MAP.filename(FilterState(), DAY) == "kviz_all_2026-11-24_evidence-map"


def test_newest_publication_keeps_the_original_precision(make_csv):
    frame = load_findings(io.StringIO(make_csv([{"published": "2019"}, {"published": "2018-12"}, {"published": ""}])))
    assert report.newest_publication(frame) == "2019"
    assert report.newest_publication(frame.iloc[1:]) == "2018-12"
    assert report.newest_publication(frame.iloc[2:]) == ""


def test_data_line_names_the_file_but_never_its_folder(typed_frame):
    typed_frame.attrs["source"] = "/srv/private/folder/findings.csv"
    line = report.data_line(typed_frame)
    assert line.startswith("12 findings from 11 publications · newest publication 2022-02")
    assert line.endswith("findings.csv") and "/srv" not in line


def test_presentation_and_report_charts_have_unique_keys():
    for charts in (catalogue.REPORT_CHARTS, catalogue.PRESENTATION_CHARTS):
        keys = [chart.key for chart in charts]
        assert len(keys) == len(set(keys))
    assert set(catalogue.REPORT_CHARTS) <= set(catalogue.PRESENTATION_CHARTS)


def test_the_table_keeps_notes_and_population_and_wraps_to_the_page(typed_frame):
    document = report.html_report(typed_frame, FilterState(), DAY)
    for title in (schema.LABELS["notes"], schema.LABELS["population"], schema.EFFECT_TEXT_LABEL):
        assert f"<th>{title}</th>" in document
    assert "overflow-x" not in document  # no sideways scrolling: cells wrap within the page
