"""Every chart of the catalogue: titled and slide-ready, labels never codes, escaped data strings, empty frames,
bounded output for large frames."""

from __future__ import annotations

import functools
import inspect
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from kviz import schema
from kviz.charts import catalogue, style, timeline

from tests.charts.conftest import (
    ESCAPED_SUBTITLE, HOSTILE, SUBTITLE, assert_valid_plotly, hover_texts, point_traces, points, visible_texts,
)

# Codes that would give themselves away if shown (plain words such as 'benefit' are also their labels' words).
RAW_CODES = sorted({code for v in schema.VOCABULARIES.values() for code in v.codes if "_" in code})
# Every chart's builder; the vote count with a threshold of 1, so that the small test frames fill it.
BUILDERS = {
    chart.key: functools.partial(chart.build, min_publications=1) if chart is catalogue.VOTE_COUNT else chart.build
    for chart in catalogue.CHARTS
}
builders = pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())

# ------------------------------------------------------------------------------------------ every builder


@builders
def test_builder_returns_a_titled_slide_ready_figure(build, typed_frame):
    fig = build(typed_frame, subtitle=SUBTITLE)
    assert isinstance(fig, go.Figure)
    assert point_traces(fig)
    assert ESCAPED_SUBTITLE in fig.layout.title.text
    # The look is explicit layout, not only a template, so a page theme cannot shrink or grey it.
    layout = fig.layout
    assert layout.font.size >= 14 and layout.title.font.size >= 20 and layout.legend.font.size >= 14
    assert layout.paper_bgcolor == layout.plot_bgcolor == "#FFFFFF"
    assert layout.xaxis.tickfont.size >= 14 and layout.xaxis.tickfont.color == layout.font.color
    assert layout.template.layout.font.size == layout.font.size


@builders
@pytest.mark.parametrize("count_all", [False, True], ids=["vitamin-K-evidence", "count-all"])
def test_builder_figure_is_what_plotly_validation_accepts_unchanged(build, typed_frame, frame_of, count_all):
    """Figures are made without plotly's validation (for speed): every kind of figure a builder makes, with
    data, escaped hostile text, one row and none, must come out the same when plotly validates it."""
    hostile = frame_of([dict(headline=HOSTILE, citation=HOSTILE, study_id="a", direction="benefit"),
                        dict(headline=HOSTILE, study_id="b", direction="harm", k_form="K1", d3="yes")])
    counting = {"count_all": count_all} if "count_all" in inspect.signature(build).parameters else {}
    for frame in (typed_frame, hostile, typed_frame.iloc[:1], typed_frame.iloc[:0]):
        assert_valid_plotly(build(frame, subtitle=SUBTITLE, **counting))


@builders
def test_builder_shows_labels_never_raw_codes(build, typed_frame):
    texts = " ".join(visible_texts(build(typed_frame, subtitle="")))
    shown = [code for code in RAW_CODES if re.search(rf"\b{re.escape(code)}\b", texts)]
    assert not shown


@builders
def test_builder_names_categories_by_label(build, typed_frame):
    """Axis ticks, legend entries and category values are labels: no code that is not also a label."""
    fig = build(typed_frame, subtitle="")
    labels = {style.escape(c.label) for v in schema.VOCABULARIES.values() for c in v.categories}
    codes_only = {code for v in schema.VOCABULARIES.values() for code in v.codes} - labels
    structural = [t.name for t in fig.data] + [t.y for t in fig.data if isinstance(t.y, str)]
    structural += [v for t in fig.data if t.y is not None and not isinstance(t.y, str) for v in t.y if isinstance(v, str)]
    structural += list(fig.layout.xaxis.ticktext or ()) + list(fig.layout.yaxis.ticktext or ())
    assert not set(structural) & codes_only


@builders
def test_builder_on_an_empty_frame_shows_a_message_and_no_axes(build, typed_frame):
    fig = build(typed_frame.iloc[:0], subtitle=SUBTITLE)
    assert not fig.data
    assert [a.text for a in fig.layout.annotations] == [style.NO_DATA_MESSAGE]
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert ESCAPED_SUBTITLE in fig.layout.title.text


@builders
def test_builder_escapes_data_strings(build, frame_of):
    hostile = {column: HOSTILE for column in ("headline", "citation", "dose_text", "population", "notes")}
    frame = frame_of([
        dict(hostile, study_id="a", direction="benefit"),
        dict(hostile, study_id="b", direction="harm", k_form="K1", d3="yes"),
        dict(hostile, study_id="c", direction="no_effect", outcome="fracture"),
    ])
    texts = visible_texts(build(frame, subtitle=HOSTILE))
    assert not [t for t in texts if re.search(r"<script|<img|<b>bold", t)]
    assert any("&lt;script&gt;" in t for t in texts)


@builders
def test_builder_stays_bounded_on_a_large_frame(build, big_frame):
    fig = build(big_frame, subtitle=SUBTITLE)
    assert point_traces(fig)
    assert_valid_plotly(fig)  # WebGL traces, samples and caps included
    if getattr(build, "func", None) is timeline.timeline:
        assert points(fig) == timeline.TIMELINE_MAX_POINTS  # a sample: see the timeline tests
        return
    assert points(fig) <= 2 * len(schema.OUTCOME.codes) * len(schema.DIRECTION.codes) * len(schema.DESIGN.codes)
    assert len(fig.data) <= 40
