"""The evidence map."""

from __future__ import annotations

import pandas as pd
import pytest

from kviz import schema, stats
from kviz.charts import evidence_map, style

from tests.charts.conftest import hover_texts, point_traces, points, visible_texts

# --------------------------------------------------------------------------------------------- evidence map


def test_evidence_map_bubbles_count_publications_per_form_and_outcome(typed_frame):
    fig = evidence_map.evidence_map(typed_frame)
    cells = {tuple(c): size for t in point_traces(fig) for c, size in zip(t.customdata, t.marker.size)}
    expected = typed_frame.groupby(["k_form", "outcome"], observed=True)["study_id"].nunique()
    assert cells == {(str(f), str(o)): n for (f, o), n in expected.items()}


def test_evidence_map_colour_is_share_showing_benefit(frame_of):
    rows = [{"study_id": "a", "k_form": "K1", "direction": "benefit"},
            {"study_id": "b", "k_form": "MK-7", "direction": "harm"},
            {"study_id": "c", "k_form": "K2", "direction": "not_applicable"}]
    fig = evidence_map.evidence_map(frame_of(rows))
    fills = {tuple(c)[0]: colour for t in point_traces(fig) for c, colour in zip(t.customdata, t.marker.color)
             if not isinstance(t.marker.color, str)}
    assert fills == {"K1": schema.DIRECTION.colours[stats.BENEFIT].upper(), "MK-7": evidence_map.NEUTRAL_FILL.upper()}
    no_direction = next(t for t in point_traces(fig) if isinstance(t.marker.color, str))
    assert no_direction.marker.symbol == schema.DIRECTION.symbols[stats.NO_EFFECT_STATED]
    assert no_direction.name == schema.DIRECTION.label(stats.NO_EFFECT_STATED)
    assert list(fig.layout.yaxis.ticktext) == schema.labelled("k_form", ["K1", "K2", "MK-7"])
