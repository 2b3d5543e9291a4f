"""The forest plot: one square per finding with its CI, sections by site and design family, subgroup and overall
diamonds, a log axis for ratios, labels never codes, flagged studies marked, empty and single-study cases."""

from __future__ import annotations

import io

import pytest

from kviz import meta_analysis as ma
from kviz.charts import forest
from kviz.loader import load_findings

from tests.charts.conftest import visible_texts

BASE = dict(outcome="fracture", measure="RR", site="hip fracture", design="rct", d3="without_d3", blinding="double_blind")


@pytest.fixture
def frame_of(make_csv):
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


def result(study, estimate, low, high, **extra):
    return {**BASE, "study_id": study, "finding_id": f"{study}-fracture", "estimate": str(estimate), "ci_low": str(low),
            "ci_high": str(high), **extra}


def analysis(frame, measure="RR", by="k_form"):
    outcome = "fracture" if measure in ("RR", "OR", "HR") else "bone_density"
    return ma.analyse(frame, outcome, measure, by)


def diamonds(fig):
    return [trace for trace in fig.data if trace.fill == "toself"]


def test_findings_are_squares_with_their_intervals_and_ids(frame_of):
    frame = frame_of([result("smith-2010", 0.5, 0.3, 0.9, k_form="K1"), result("jones-2012", 0.7, 0.5, 0.98, k_form="K1")])
    fig = forest.forest_plot(analysis(frame))
    squares = fig.data[0]
    assert squares.marker.symbol == "square"
    assert list(squares.x) == [0.5, 0.7] or sorted(squares.x) == [0.5, 0.7]
    assert sorted(squares.error_x.array) == pytest.approx(sorted([0.4, 0.28]))
    assert {row[0] for row in squares.customdata} == {"smith-2010-fracture", "jones-2012-fracture"}
    assert fig.layout.xaxis.type == "log"


def test_sections_subgroups_and_diamonds_are_labelled_in_words(frame_of):
    frame = frame_of([result("a-2010", 0.5, 0.3, 0.9, k_form="K1"), result("b-2011", 0.7, 0.5, 0.98, k_form="K1"),
                      result("c-2012", 0.6, 0.4, 0.9, k_form="MK-4"), result("d-2013", 0.8, 0.6, 1.1, k_form="MK-4"),
                      result("e-2014", 0.9, 0.5, 1.5, k_form="K1", design="cohort")])
    fig = forest.forest_plot(analysis(frame))
    ticks = list(fig.layout.yaxis.ticktext)
    for label in ("Hip fracture", "Trials", "Observational studies", "K1", "K2 as MK-4", "Pooled: K1", "Pooled: all trials"):
        assert any(label in tick for tick in ticks), label
    assert not any("_" in tick for tick in ticks)  # no raw codes such as without_d3
    assert len(diamonds(fig)[0].x) == 3 * 6  # K1, MK-4 and all trials: five points and a break each
    numbers = " ".join(visible_texts(fig))
    assert "k = 2" in numbers and "k = 4" in numbers and "I²" in numbers


def test_differences_use_a_linear_axis_with_the_favoured_side_named(frame_of):
    rows = [dict(result("a-2010", 1.2, 0.2, 2.2), measure="pct_diff", outcome="bone_density", site="lumbar spine",
                 unit="%"),
            dict(result("b-2011", 0.5, -0.3, 1.3), measure="pct_diff", outcome="bone_density", site="lumbar spine",
                 unit="%")]
    fig = forest.forest_plot(analysis(frame_of(rows), "pct_diff"))
    assert fig.layout.xaxis.type == "linear"
    assert "favours vitamin K →" in fig.layout.xaxis.title.text
    ratio = forest.forest_plot(analysis(frame_of([result("a-2010", 0.5, 0.3, 0.9)])))
    assert "← favours vitamin K" in ratio.layout.xaxis.title.text
    assert [shape.x0 for shape in fig.layout.shapes] == [0.0] and [shape.x0 for shape in ratio.layout.shapes] == [1.0]


def test_a_single_study_gets_no_diamond(frame_of):
    fig = forest.forest_plot(analysis(frame_of([result("a-2010", 0.5, 0.3, 0.9)])))
    assert not diamonds(fig)
    assert len(fig.data[0].x) == 1


def test_no_result_gives_a_message_not_an_error(frame_of):
    fig = forest.forest_plot(analysis(frame_of([{**BASE, "study_id": "a-2010"}])))
    assert not fig.data
    assert "No matching finding reports this measure" in fig.layout.annotations[0].text


def test_flagged_and_unpooled_findings_are_marked(frame_of):
    frame = frame_of([result("a-2010", 0.5, 0.3, 0.9, integrity="retracted"), result("b-2011", 0.7, 0.5, 0.98),
                      result("c-2012", 0.4, 0.2, 0.8, design="meta_analysis")])
    fig = forest.forest_plot(analysis(frame))
    assert any(tick.endswith("✕") for tick in fig.layout.yaxis.ticktext)
    fills = dict(zip((row[0] for row in fig.data[0].customdata), fig.data[0].marker.color))
    assert fills["c-2012-fracture"] == forest.NOT_POOLED_COLOUR
    assert "Hollow squares: 1 finding not pooled" in fig.layout.title.text


def test_the_catalogue_chart_picks_a_key_outcome_by_itself(typed_frame):
    fig = forest.forest_chart(typed_frame, subtitle="All findings (no filters)")
    assert "Effect sizes" in fig.layout.title.text
