"""The Effect sizes page in AppTest: the forest plot and pooled table of the chosen outcome and measure, its
grouping and switches bound to the URL, and the same numbers as `python -m kviz pool`."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pandas as pd
import pytest

from kviz import cli, filters, loader, meta_analysis
from kviz.filters import FilterState

from test_app import FIXTURE, fixture_data, open_page  # noqa: F401 (fixture_data: the app reads the fixture)

PAGE = "pages/effect_sizes.py"


def pooled_table(at) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "Subgroup" in df.value.columns)


def expected(state: FilterState, outcome: str, measure: str, by: str = "k_form", method: str = "pm", **switches):
    rows = filters.apply_filters(loader.load_findings(FIXTURE), state)
    return meta_analysis.analyse(rows, outcome, measure, by, method, **switches).table


def test_the_page_draws_the_default_analysis_with_its_pooled_table():
    at = open_page(PAGE)
    assert len(at.get("plotly_chart")) == 1
    assert at.selectbox(key="analysis").value == "bone_density:pct_diff"
    table = pooled_table(at)
    want = expected(FilterState(), "bone_density", "pct_diff")
    assert list(table["k"]) == list(want["k"]) and table["estimate"].tolist() == pytest.approx(want["estimate"].tolist())


def test_group_by_method_and_switches_come_from_the_link_and_change_the_pooling():
    at = open_page(PAGE, {"by": "Vitamin D3", "method": "DerSimonian–Laird", "no_open": "true"})
    assert at.segmented_control(key="by").value == "d3" and at.segmented_control(key="method").value == "dl"
    table = pooled_table(at) if any("Subgroup" in df.value.columns for df in at.dataframe) else pd.DataFrame()
    want = expected(FilterState(), "bone_density", "pct_diff", "d3", "dl", exclude_open_label=True)
    assert len(table) == len(want)
    not_pooled = next(df.value for df in at.dataframe if "Why not pooled" in df.value.columns)
    assert meta_analysis.NOT_POOLED_REASONS["open_label"] in set(not_pooled["Why not pooled"])


def test_sidebar_filters_narrow_the_forest_plot():
    at = open_page(PAGE, {"form": "K2"})
    want = expected(FilterState(k_forms=("K2",)), "bone_density", "pct_diff")
    shown = [df.value for df in at.dataframe if "Subgroup" in df.value.columns]
    assert (shown[0]["k"].tolist() if shown else []) == want["k"].tolist()


def test_the_command_line_prints_the_pages_numbers():
    with redirect_stdout(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) as captured:
        code = cli.main(["pool", "--data", str(FIXTURE), "--outcome", "bone_density", "--measure", "pct_diff"])
        captured.flush()
        printed = captured.buffer.getvalue().decode("utf-8")
    assert code == 0
    table = pd.read_csv(io.StringIO(printed))
    want = expected(FilterState(outcomes=("bone_density",)), "bone_density", "pct_diff")
    assert list(table.columns) == list(meta_analysis.POOLED_COLUMNS)
    assert table["estimate"].tolist() == pytest.approx(want["estimate"].tolist(), rel=1e-5)
    assert table["tau2"].tolist() == pytest.approx(want["tau2"].tolist(), rel=1e-5, abs=1e-9)
    at = open_page(PAGE)
    assert pooled_table(at)["estimate"].tolist() == pytest.approx(table["estimate"].tolist(), rel=1e-5)


def test_the_first_analysis_shown_follows_the_sidebar_outcome():
    at = open_page(PAGE, {"outcome": "Fracture"})
    assert at.selectbox(key="analysis").value == "fracture:OR"


def test_a_measure_the_filtered_findings_lack_points_to_the_ones_they_report():
    at = open_page(PAGE, {"outcome": "Fracture"})
    at.selectbox(key="analysis").set_value("bone_density:pct_diff").run()
    (note,) = [info.value for info in at.info]
    assert "Fracture · Odds ratio (1)" in note
    at.selectbox(key="analysis").set_value("fracture:OR").run()
    assert not at.info
