"""The evidence map: a gap map where every outcome column and vitamin K form row is drawn, directions stay apart
inside each cell, and the rows can be split by D3 or design."""

from __future__ import annotations

import io

import pytest

from kviz import schema, stats
from kviz.charts import evidence_map
from kviz.loader import load_findings

from tests.charts.conftest import visible_texts


@pytest.fixture
def frame_of(make_csv):
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


def bars(fig):
    return [trace for trace in fig.data if trace.type == "bar"]


def test_every_outcome_column_and_every_form_row_is_drawn_empty_cells_included(frame_of):
    fig = evidence_map.evidence_map(frame_of([{"study_id": "a", "k_form": "K1", "outcome": "fracture"}]))
    assert len(fig.layout.xaxis.ticktext) == len(schema.OUTCOME.codes)
    assert list(fig.layout.yaxis.ticktext) == schema.labelled("k_form", schema.K_FORM.codes)
    dashes = [t for t in fig.data if t.type == "scatter"][0]
    assert list(dashes.text).count(evidence_map.EMPTY_MARK) == len(schema.OUTCOME.codes) * len(schema.K_FORM.codes) - 1


def test_each_cell_keeps_the_directions_apart_and_counts_publications(frame_of):
    rows = [{"study_id": "a", "k_form": "K1", "direction": "benefit"}, {"study_id": "b", "k_form": "K1", "direction": "harm"},
            {"study_id": "c", "k_form": "K1", "direction": "no_effect"}, {"study_id": "d", "k_form": "K1", "direction": "mixed"}]
    fig = evidence_map.evidence_map(frame_of(rows))
    by_name = {t.name: t for t in bars(fig)}
    for direction in schema.EFFECT_DIRECTIONS:
        trace = by_name[schema.DIRECTION.label(direction)]
        assert trace.marker.color == schema.DIRECTION.colours[direction] and len(trace.x) == 1
        assert list(trace.customdata[0]) == ["K1", "bone_density", ""]
    widths = [by_name[schema.DIRECTION.label(d)].x[0] for d in schema.EFFECT_DIRECTIONS]
    assert widths == pytest.approx([evidence_map.BAR_SPAN / 4] * 4)
    assert "4" in visible_texts(fig)


def test_rows_split_by_d3_or_design(typed_frame):
    by_d3 = evidence_map.evidence_map(typed_frame, split="d3")
    groups = [label for label, _ in stats.MAP_SPLITS["d3"][2]]
    assert len(by_d3.layout.yaxis.ticktext) == len(schema.K_FORM.codes) * len(groups)
    assert "K1 · With D3" in by_d3.layout.yaxis.ticktext[0] or by_d3.layout.yaxis.ticktext[0].startswith("K1 · With D3")
    cells = {tuple(c) for t in bars(by_d3) for c in t.customdata}
    assert ("K1", "bone_density", "With D3") in cells
    by_design = evidence_map.evidence_map(typed_frame, split="design")
    assert any("Trials" in tick for tick in by_design.layout.yaxis.ticktext)


def test_the_map_counts_evidence_about_vitamin_k_unless_asked(frame_of):
    rows = [{"study_id": "a", "k_form": "K1"}, {"study_id": "b", "k_form": "none", "d3": "d3_only"},
            {"study_id": "c", "k_form": "K1", "design": "review"}]
    default = evidence_map.evidence_map(frame_of(rows))
    assert sum(len(t.x) for t in bars(default)) == 1
    assert "Left out of the counts: 2 findings" in default.layout.title.text
    everything = evidence_map.evidence_map(frame_of(rows), count_all=True)
    assert "Also counting 2 findings" in everything.layout.title.text


@pytest.mark.parametrize("rows", [
    [{"study_id": "a", "k_form": "none", "d3": "d3_only"}],  # nothing left to count
    [{"study_id": "a", "k_form": "K1", "direction": "not_applicable"}],  # counted, but no effect stated
])
def test_a_map_with_nothing_or_no_effect_to_count_still_draws_every_cell(frame_of, rows):
    fig = evidence_map.evidence_map(frame_of(rows))
    marks = list([t for t in fig.data if t.type == "scatter"][0].text)
    assert len(marks) == len(schema.OUTCOME.codes) * len(schema.K_FORM.codes)
