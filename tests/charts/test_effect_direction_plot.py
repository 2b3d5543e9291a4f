"""The effect direction plot."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from kviz import schema, stats
from kviz.charts import effect_direction_plot, style

from tests.charts.conftest import hover_texts, point_traces, points, visible_texts

# ------------------------------------------------------------------------------------ effect direction plot


def test_effect_direction_plot_symbols_and_colours_are_the_schema_directions(typed_frame):
    fig = effect_direction_plot.effect_direction_plot(typed_frame)
    drawn = point_traces(fig)
    label_to_code = {schema.DIRECTION.label(c): c for c in schema.DIRECTION.codes}
    codes = [label_to_code[t.name] for t in drawn]
    assert codes == [c for c in schema.EFFECT_DIRECTIONS if c in codes]
    for trace, code in zip(drawn, codes):
        assert trace.marker.symbol == schema.DIRECTION.symbols[code]
        assert trace.marker.color == schema.DIRECTION.colours[code]
    assert {"triangle-up", "triangle-down"} <= {t.marker.symbol for t in drawn}


def test_effect_direction_plot_leaves_out_rows_without_a_direction(typed_frame):
    fig = effect_direction_plot.effect_direction_plot(typed_frame)
    studies = {c[0] for t in point_traces(fig) for c in t.customdata}
    assert studies == set(stats.effect_rows(stats.counted_rows(typed_frame)[0])["study_id"])
    assert schema.DIRECTION.label(stats.NO_EFFECT_STATED) not in [t.name for t in fig.data]


def test_effect_direction_plot_counts_only_evidence_unless_asked_and_marks_the_rest(typed_frame):
    default = effect_direction_plot.effect_direction_plot(typed_frame)
    assert "vascular-2020" not in {c[0] for t in point_traces(default) for c in t.customdata}  # an untraced claim
    assert "Left out of the counts: 1 finding" in default.layout.title.text
    everything = effect_direction_plot.effect_direction_plot(typed_frame, count_all=True)
    assert "vascular-2020" in {c[0] for t in point_traces(everything) for c in t.customdata}
    assert any(tick.endswith(effect_direction_plot.NOT_EVIDENCE_MARK) for tick in everything.layout.yaxis.ticktext)


def test_effect_direction_plot_columns_start_with_the_key_outcomes(typed_frame):
    fig = effect_direction_plot.effect_direction_plot(typed_frame)
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[:3] == [style.escape(label) for label in schema.labelled("outcome", schema.KEY_OUTCOMES)]
    assert fig.layout.xaxis.side == "top"


def test_effect_direction_plot_groups_and_shades_rows_by_design(typed_frame):
    fig = effect_direction_plot.effect_direction_plot(typed_frame)
    counted = stats.effect_rows(stats.counted_rows(typed_frame)[0])
    designs = [c for c in schema.DESIGN.codes if c in set(counted["design"].astype(str))]
    assert [s.fillcolor for s in fig.layout.shapes] == [schema.DESIGN.colours[c] for c in designs]
    labels = [a.text for a in fig.layout.annotations]
    assert [re.sub("<[^>]+>", " ", text).split() for text in labels] == [
        style.escape(schema.DESIGN.label(c)).split() for c in designs
    ]
    tops = [s.y0 for s in fig.layout.shapes]
    assert tops == sorted(tops)


def test_effect_direction_plot_sizes_markers_by_sample_size(typed_frame):
    fig = effect_direction_plot.effect_direction_plot(typed_frame)
    by_study = stats.effect_rows(typed_frame).groupby("study_id")["n_participants"].max()
    for trace in point_traces(fig):
        for (study, _), size in zip(trace.customdata, trace.marker.size):
            n = by_study[study]
            assert size == schema.sample_size_band(None if pd.isna(n) else int(n))[1]
    legend = [t.name for t in fig.data if t.legendgroup == "size"]
    bands = [band[0] for band in schema.SAMPLE_SIZE_BANDS] + [schema.SAMPLE_SIZE_UNKNOWN[0]]
    assert legend == [style.escape(band) for band in bands]


def test_effect_direction_plot_caps_to_the_most_recent_publications(frame_of):
    count = effect_direction_plot.MAX_EDP_PUBLICATIONS + 10
    rows = [{"study_id": f"s{i:03d}", "published": f"{1950 + i}-01", "citation": f"Author{i}, A title. J. {1950 + i}"}
            for i in range(count)]
    fig = effect_direction_plot.effect_direction_plot(frame_of(rows))
    assert f"the {effect_direction_plot.MAX_EDP_PUBLICATIONS} most recent of {count} publications" in fig.layout.title.text
    labels = list(fig.layout.yaxis.ticktext)
    assert len(labels) == effect_direction_plot.MAX_EDP_PUBLICATIONS
    assert f"Author{count - 1} {1950 + count - 1}" in labels and "Author0 1950" not in labels


def test_effect_direction_plot_gives_a_publication_one_marker_per_design_and_outcome(frame_of):
    """Its rows that disagree make one 'mixed' marker, sized and described by the largest n and by every headline."""
    fig = effect_direction_plot.effect_direction_plot(frame_of([
        {"study_id": "a", "direction": "benefit", "n_participants": "40", "headline": "First"},
        {"study_id": "a", "direction": "harm", "n_participants": "1200", "headline": "Second"},
        {"study_id": "a", "direction": "harm", "outcome": "fracture", "n_participants": "", "headline": "Third"},
        {"study_id": "b", "direction": "benefit", "n_participants": "", "headline": "Fourth"},
    ]))
    markers = {trace.name: trace for trace in point_traces(fig)}
    mixed = markers[style.escape(schema.DIRECTION.label(stats.MIXED))]
    assert len(mixed.x) == 1 and "First | Second" in mixed.hovertext[0] and "1,200" in mixed.hovertext[0]
    assert list(mixed.marker.size) == [schema.sample_size_band(1200)[1]]
    assert len(markers[style.escape(schema.DIRECTION.label("harm"))].x) == 1  # the same publication, on fracture
    assert len(markers[style.escape(schema.DIRECTION.label("benefit"))].x) == 1


def test_effect_direction_plot_cells_take_their_direction_as_study_directions_does(big_frame):
    """The plot gathers each cell in one pass of its own (for speed): its directions must stay those of
    stats.study_directions, which every other chart counts with, rows that disagree and missing keys included."""
    rows = stats.effect_rows(big_frame.iloc[:3000])
    shuffled = rows["direction"].sample(frac=1, random_state=1).to_numpy()
    rows = pd.concat([rows, rows.assign(direction=pd.Categorical(shuffled, dtype=rows["direction"].dtype))],
                     ignore_index=True)
    rows.loc[rows.index[::97], "design"] = None
    cells = effect_direction_plot._edp_cells(rows)
    expected = stats.study_directions(rows, by=["design"])
    assert (cells["direction"] == stats.MIXED).sum() > 100
    pd.testing.assert_frame_equal(cells[list(expected.columns)],
                                  expected.astype({"design": str, "outcome": str}))


def test_effect_direction_plot_labels_tell_publications_apart(frame_of):
    rows = [{"study_id": "a", "published": "2011-01", "citation": "Site page one"},
            {"study_id": "b", "published": "2011-05", "citation": "Site page two"},
            {"study_id": "c", "published": "", "citation": ""}]
    labels = list(effect_direction_plot.effect_direction_plot(frame_of(rows)).layout.yaxis.ticktext)
    assert sorted(labels) == ["C (undated)", "Site page one 2011", "Site page two 2011"]
    same = [{"study_id": s, "published": "2011-0" + m, "citation": "Vitamin D Life"} for s, m in (("x", "3"), ("y", "1"))]
    assert sorted(effect_direction_plot.effect_direction_plot(frame_of(same)).layout.yaxis.ticktext) == [
        "Vitamin D Life 2011a", "Vitamin D Life 2011b"
    ]


def test_effect_direction_plot_says_when_nothing_has_a_direction(frame_of):
    fig = effect_direction_plot.effect_direction_plot(frame_of([{"direction": "not_applicable"}]))
    assert not fig.data and "direction of effect" in fig.layout.annotations[0].text


@pytest.mark.parametrize(("citation", "study_id", "name"), [
    ("Knapen MHJ, Drummen NE, Smit E. Three-year low-dose menaquinone-7", "knapen-2013", "Knapen"),
    ("Y. Sato, Y. Honda, H. Kuno. Menatetrenone ameliorates osteopenia", "sato-1998-stroke", "Sato"),
    ("Sato Yoshihiro, Honda Yoshiaki. Menatetrenone and vitamin D2", "sato-2011-alzheimer", "Sato"),
    ("Sang Hyeon Je, Nam Seok Joo. Vitamin K supplement along with vitamin D", "je-2011", "Je"),
    ("van Ballegooijen AJ, Beulens JWJ. Vitamin K status and physical function", "van-ballegooijen-2019", "van Ballegooijen"),
    ("Vitamin D Life, 'Overview Vitamin K and Vitamin D' list item", "vdl-2011-03-low-dk", "Vitamin D Life"),
    ("Does vitamin K2 play a role in the prevention and treatment of osteoporosis", "huang-2015", "Huang"),
])
def test_a_row_is_named_by_its_first_author_whole_never_cut(citation, study_id, name):
    assert effect_direction_plot._publication_label(citation, study_id, 2011) == f"{name} 2011"
