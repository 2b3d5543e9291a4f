"""Time charts: the timeline and publications per year."""

from __future__ import annotations

import pandas as pd
import pytest

from kviz import schema, stats
from kviz.charts import style, timeline

from conftest import BASE_ROW
from tests.charts.conftest import hover_texts, point_traces, points, visible_texts

# ------------------------------------------------------------------------------------------------ timeline


def test_timeline_beyond_its_limit_draws_a_stable_sample_and_says_so(big_frame):
    fig = timeline.timeline(big_frame)
    ids = [c[0] for t in point_traces(fig) for c in t.customdata]
    assert len(ids) == len(set(ids)) == timeline.TIMELINE_MAX_POINTS
    assert set(ids) <= set(big_frame["finding_id"])
    dated = int(big_frame[schema.PUBLISHED_DATE].notna().sum())
    assert f"A random sample of {timeline.TIMELINE_MAX_POINTS:,} of the {dated:,} dated findings" in fig.layout.title.text
    again = [c[0] for t in point_traces(timeline.timeline(big_frame)) for c in t.customdata]
    assert sorted(again) == sorted(ids)  # the same view draws the same markers on every rerun
    assert len(fig.to_json()) < 3_000_000


def test_timeline_marks_every_dated_finding_once_with_its_id(typed_frame):
    fig = timeline.timeline(typed_frame)
    ids = [c[0] for t in point_traces(fig) for c in t.customdata]
    dated = typed_frame[typed_frame[schema.PUBLISHED_DATE].notna()]
    assert sorted(ids) == sorted(dated["finding_id"])
    assert "2 undated findings not shown" in fig.layout.title.text


def test_timeline_colour_is_direction_and_symbol_is_design(typed_frame):
    fig = timeline.timeline(typed_frame)
    by_id = typed_frame.set_index("finding_id")
    for trace in point_traces(fig):
        directions = {str(by_id.at[c[0], "direction"]) for c in trace.customdata}
        designs = {str(by_id.at[c[0], "design"]) for c in trace.customdata}
        assert len(directions) == len(designs) == 1
        assert trace.marker.color == schema.DIRECTION.colours[directions.pop()]
        assert trace.marker.symbol == schema.DESIGN.symbols[designs.pop()]
        assert trace.type == "scatter"
    legend = [t.name for t in fig.data if t.showlegend is not False]
    present_directions = [c for c in schema.DIRECTION.codes if c in set(typed_frame["direction"].astype(str))]
    present_designs = [c for c in schema.DESIGN.codes if c in set(typed_frame.dropna(subset=[schema.PUBLISHED_DATE])["design"].astype(str))]
    assert legend == schema.labelled("direction", present_directions) + schema.labelled("design", present_designs)


@pytest.mark.parametrize("axis", timeline.TIMELINE_AXES)
def test_timeline_rows_are_labels_in_schema_order(axis, typed_frame):
    fig = timeline.timeline(typed_frame, y=axis)
    dated = typed_frame[typed_frame[schema.PUBLISHED_DATE].notna()]
    present = set(dated[axis].astype(str))
    order = style.outcome_order(present) if axis == "outcome" else [c for c in schema.DESIGN.codes if c in present]
    assert list(fig.layout.yaxis.ticktext) == [style.escape(label) for label in schema.labelled(axis, order)]
    assert order[: len(schema.KEY_OUTCOMES)] == list(schema.KEY_OUTCOMES) or axis == "design"


def test_timeline_spreads_findings_of_one_row_and_month(frame_of):
    fig = timeline.timeline(frame_of([{"study_id": f"s{i}", "published": "2019-05"} for i in range(4)]))
    ys = sorted(y for t in point_traces(fig) for y in t.y)
    assert len(set(ys)) == 4
    assert max(abs(y) for y in ys) <= timeline.JITTER_SPAN / 2 + 1e-9


def test_timeline_hover_names_the_finding(typed_frame):
    fig = timeline.timeline(typed_frame)
    hover = next(h for h in hover_texts(fig) if "MK-7 slowed bone loss" in h)
    first_author = BASE_ROW["citation"].split(",")[0]
    for expected in ("Randomised trial", "K2 as MK-7", BASE_ROW["dose_text"], "244", first_author):
        assert expected in hover


def test_timeline_of_undated_findings_only_says_so(frame_of):
    fig = timeline.timeline(frame_of([{"published": ""}, {"published": ""}]))
    assert not fig.data
    assert "publication date" in fig.layout.annotations[0].text
    assert "2 undated findings not shown" in fig.layout.title.text


def test_timeline_rejects_an_unknown_axis(typed_frame):
    with pytest.raises(ValueError, match="outcome, design"):
        timeline.timeline(typed_frame, y="k_form")


def test_timeline_uses_webgl_and_few_traces_for_many_findings(big_frame):
    fig = timeline.timeline(big_frame)
    drawn = point_traces(fig)
    assert {t.type for t in drawn} == {"scattergl"}
    assert len(fig.data) <= len(schema.DIRECTION.codes) * (len(schema.DESIGN.codes) + 1) + len(schema.DESIGN.codes)
    assert points(fig) == timeline.TIMELINE_MAX_POINTS


# ----------------------------------------------------------------------------------- publications per year


def test_publications_per_year_counts_distinct_publications_by_form(typed_frame):
    fig = timeline.publications_per_year(typed_frame)
    bars = [t for t in fig.data if t.type == "bar"]
    present = [c for c in schema.K_FORM.codes if c in set(typed_frame.dropna(subset=[schema.YEAR])["k_form"].astype(str))]
    assert [t.name for t in bars] == [style.escape(schema.K_FORM.label(c)) for c in present]
    assert [t.marker.color for t in bars] == [schema.K_FORM.colours[c] for c in present]
    totals = {}
    for trace in bars:
        for year, count in zip(trace.x, trace.y):
            totals[year] = totals.get(year, 0) + count
    dated = typed_frame.dropna(subset=[schema.YEAR])
    expected = dated.groupby(schema.YEAR)["study_id"].nunique()
    assert {y: c for y, c in totals.items() if c} == {int(y): c for y, c in expected.items()}
    assert "2 undated publications not shown" in fig.layout.title.text


def test_publications_per_year_writes_totals_only_while_they_fit(typed_frame, frame_of):
    totals = [t for t in timeline.publications_per_year(typed_frame).data if t.type == "scatter"]
    assert len(totals) == 1 and "1" in totals[0].text
    span = timeline.MAX_LABELLED_YEARS + 1
    crowded = timeline.publications_per_year(frame_of([{"study_id": f"s{i}", "published": str(1950 + i)} for i in range(span)]))
    assert {t.type for t in crowded.data} == {"bar"}


def test_publication_on_several_forms_counts_once_as_several_forms(frame_of):
    fig = timeline.publications_per_year(frame_of([{"study_id": "a", "k_form": "K1"}, {"study_id": "a", "k_form": "MK-4"}]))
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == [schema.K_FORM.label(stats.SEVERAL_FORMS)]
    assert list(bars[0].y) == [1]


@pytest.mark.parametrize("dates", [["2019-06"], ["2019-06", "2019-07"], ["1995", "2025-11"]])
def test_the_time_axis_shows_dates_only_over_at_least_a_year(frame_of, dates):
    fig = timeline.timeline(frame_of([{"finding_id": f"f{i}", "published": d} for i, d in enumerate(dates)]))
    axis = fig.layout.xaxis
    assert axis.tickformat in ("%Y", "%b %Y")  # never a time of day, e.g. '23:59:59.999'
    start, end = (pd.Timestamp(value) for value in axis.range)
    assert end - start >= pd.Timedelta(days=365)
