"""kviz.ui helpers that need no running app: links, the table frame, chart selections, filter defaults, URL labels."""

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from kviz import filters, loader, schema, ui
from kviz.charts.catalogue import CHARTS

FIXTURE = Path(__file__).resolve().parent / "data" / "app_findings.csv"


@pytest.fixture
def typed_frame() -> pd.DataFrame:
    return loader.load_findings(FIXTURE)


def selection(*customdata: tuple) -> SimpleNamespace:
    """What st.plotly_chart returns with on_select='rerun' after points were selected."""
    points = [{"curve_number": 0, "point_index": i, "customdata": list(data)} for i, data in enumerate(customdata)]
    return SimpleNamespace(selection=SimpleNamespace(points=points))


def test_doi_link_builds_https_doi_org_links_and_nothing_for_empty():
    assert ui.doi_link("10.1007/s00198-013-2325-6") == "https://doi.org/10.1007/s00198-013-2325-6"
    assert ui.doi_link("") is None


@pytest.mark.parametrize("url", ["http://example.org", "javascript:alert(1)", "ftp://x", "", "data:text/html,x"])
def test_https_link_drops_every_other_scheme(url):
    assert ui.https_link(url) is None


def test_https_link_keeps_https():
    assert ui.https_link("https://pubmed.ncbi.nlm.nih.gov/23525894/") == "https://pubmed.ncbi.nlm.nih.gov/23525894/"


def test_table_frame_shows_labels_not_codes_and_links(typed_frame):
    table = ui.table_frame(typed_frame)
    for column, vocabulary in schema.VOCABULARIES.items():
        shown = set(table[column].dropna().astype(str))
        assert shown <= set(vocabulary.labels.values()), column
        assert not shown & (set(vocabulary.codes) - set(vocabulary.labels.values())), column
    dois = table["doi"].dropna()
    assert len(dois) == (typed_frame["doi"] != "").sum()
    assert dois.str.startswith("https://doi.org/10.").all()
    assert table["url"].dropna().str.startswith("https://").all()


def test_table_frame_keeps_category_order_for_sorting(typed_frame):
    table = ui.table_frame(typed_frame)
    assert list(table["direction"].cat.categories) == [schema.DIRECTION.label(c) for c in schema.DIRECTION.codes]


def test_selected_rows_by_finding_id(typed_frame):
    picked = ui.selected_rows(selection(("t-mk7-bmd-2013", "t-mk7-rct-2013")), typed_frame, ("finding_id",))
    assert list(picked["finding_id"]) == ["t-mk7-bmd-2013"]


def test_selected_rows_by_two_columns_matches_every_row_of_the_cell(typed_frame):
    picked = ui.selected_rows(selection(("MK-7", "bone_density"), ("K1", "bone_density")), typed_frame, ("k_form", "outcome"))
    assert sorted(picked["finding_id"]) == ["t-k1-bmd-2008", "t-k1-bmd-harm-2017", "t-k1-bmd-obs-2015", "t-mk7-bmd-2013"]


def test_selected_rows_without_selection_is_empty_with_the_same_columns(typed_frame):
    assert ui.selected_rows(None, typed_frame, ("finding_id",)).empty
    picked = ui.selected_rows(selection(), typed_frame, ("finding_id",))
    assert picked.empty and list(picked.columns) == list(typed_frame.columns)


def test_filter_defaults_mean_no_filter(typed_frame):
    defaults = ui.filter_defaults(typed_frame)
    assert defaults[ui.YEARS_KEY] == filters.year_bounds(typed_frame)
    assert defaults[ui.UNTRACED_KEY] is True and defaults[ui.SEARCH_KEY] == ""
    assert all(defaults[choice.key] == [] for choice in ui.CHOICES)


def test_filter_defaults_leave_out_years_when_nothing_is_dated(typed_frame):
    undated = typed_frame.assign(**{schema.YEAR: pd.array([None] * len(typed_frame), dtype=schema.INT_DTYPE)})
    assert ui.YEARS_KEY not in ui.filter_defaults(undated)


def test_every_filter_maps_to_a_filter_state_field_and_unique_url_labels():
    keys = [choice.key for choice in ui.CHOICES] + [ui.YEARS_KEY, ui.UNTRACED_KEY, ui.SEARCH_KEY]
    assert len(keys) == len(set(keys))
    assert {choice.field for choice in ui.CHOICES} == set(filters.MULTI_VALUE_FIELDS)
    for choice in ui.CHOICES:
        labels = [choice.option_label(code) for code in choice.options]
        assert len(labels) == len(set(labels)), choice.key


def test_k_form_chips_read_k1_and_k2_for_the_families():
    """Browser tests remove the K2 chip by its aria-label 'Remove K2'."""
    assert ui.FORM.option_label("K2") == "K2"
    assert ui.FORM.option_label("K1") == "K1"
    assert [ui.SUBTYPE.option_label(code) for code in schema.K2_SUBTYPES if code != "K2"] == ["MK-4", "MK-7"]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.key)
def test_a_shared_figure_sends_what_the_chart_builds_and_is_a_copy_each_time(typed_frame, chart):
    state = filters.FilterState()
    view = ui.View(findings=typed_frame, state=state, rows=typed_frame, data_token=f"test-{chart.key}")
    expected = json.loads(chart.figure(typed_frame, state).to_json())  # what st.plotly_chart sends

    first = ui.shared_figure(view, chart)
    assert json.loads(first.to_json()) == expected
    first.update_layout(title_text="changed by a page")
    assert json.loads(ui.shared_figure(view, chart).to_json()) == expected
