"""Shared fixtures and readers for the chart tests: frames from partial rows, a 100k-row frame, and what a
reader can see of a figure."""

from __future__ import annotations

import io
import json

import plotly.graph_objects as go
import pytest

from kviz import synthetic
from kviz.loader import load_findings

SUBTITLE = "Filters: Search: “<b>natto</b> & more”"
ESCAPED_SUBTITLE = "Filters: Search: “&lt;b&gt;natto&lt;/b&gt; &amp; more”"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> & <b>bold</b>"


@pytest.fixture
def frame_of(make_csv):
    """Typed frame from partial rows (each row a dict of overrides on conftest's valid base row)."""
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


@pytest.fixture(scope="module")
def big_frame():
    """100,000 synthetic findings, loaded like real data."""
    return load_findings(synthetic.generate(100_000, seed=1).to_csv(index=False).encode(), name="big.csv")


def visible_texts(fig: go.Figure) -> list[str]:
    """Every string a reader can see: title, axis titles and ticks, annotations, legend, bar text, hover."""
    layout = fig.layout
    texts = [layout.title.text or ""]
    for axis in [value for key, value in layout.to_plotly_json().items() if key.startswith(("xaxis", "yaxis"))]:
        texts += [str(t) for t in axis.get("ticktext", [])] + [str(axis.get("title", {}).get("text", ""))]
    texts += [a.text or "" for a in layout.annotations]
    for trace in fig.data:
        texts += [trace.name or "", (trace.legendgrouptitle.text or "") if "legendgrouptitle" in trace else ""]
        for attribute in ("text", "hovertext", "hovertemplate", "x", "y"):
            value = getattr(trace, attribute, None)
            if isinstance(value, str):
                texts.append(value)
            elif value is not None:
                texts += [v for v in value if isinstance(v, str)]
    return texts


def assert_valid_plotly(fig: go.Figure) -> None:
    """Builders skip plotly's validation: the same figure built again with validation on must be accepted and
    serialise to the same JSON (nothing plotly would reject, rename or coerce differently)."""
    validated = go.Figure(fig.to_dict())
    assert json.loads(validated.to_json()) == json.loads(fig.to_json())


def point_traces(fig: go.Figure) -> list:
    """Traces that draw something (legend-only entries have x = [None])."""
    return [t for t in fig.data if t.x is not None and any(v is not None for v in t.x)]


def points(fig: go.Figure) -> int:
    return sum(len(t.x) for t in point_traces(fig))


def hover_texts(fig: go.Figure) -> list[str]:
    return [h for t in fig.data if t.hovertext is not None for h in t.hovertext]
