"""The search flow, PRISMA-style: records considered → excluded by reason → included publications → findings.

Every number comes from a `kviz.screening.Flow`, itself counted from data/screening.csv and the findings.
"""

from __future__ import annotations

import plotly.graph_objects as go

from kviz.charts.style import BASE_FONT_SIZE, MUTED_TEXT_COLOUR, TEXT_COLOUR, escape, slide_figure
from kviz.screening import Flow

BOX_FILL = "#F4F7FA"
EXCLUDED_FILL = "#FBF3EA"
BOX_LINE = "#8A939C"
# Boxes as (x0, x1, y0, y1) on hidden 0–1 axes: the main flow on the left, exclusions on the right.
CONSIDERED = (0.0, 0.46, 0.74, 1.0)
INCLUDED = (0.0, 0.46, 0.40, 0.60)
IN_TABLE = (0.0, 0.46, 0.0, 0.22)
EXCLUDED = (0.56, 1.0, 0.40, 1.0)
FLOW_HEIGHT = 460


def _box(bounds: tuple[float, float, float, float], fill: str) -> dict:
    x0, x1, y0, y1 = bounds
    return dict(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=fill,
                line=dict(color=BOX_LINE, width=1.5), layer="below")


def _texts(boxes: list[tuple[tuple[float, float, float, float], str, list[str]]]) -> dict:
    """Each box's heading and lines as one text trace, anchored at the box's top left corner."""
    return dict(
        type="scatter", x=[bounds[0] + 0.015 for bounds, _, _ in boxes],
        y=[bounds[3] - 0.03 for bounds, _, _ in boxes],
        text=["<br>".join([f"<b>{escape(heading)}</b>", *(escape(line) for line in lines)])
              for _, heading, lines in boxes],
        mode="text", textposition="bottom right", textfont=dict(size=BASE_FONT_SIZE, color=TEXT_COLOUR),
        hoverinfo="skip", showlegend=False,
    )


def _arrow(x: float, y: float, ax: float, ay: float) -> dict:
    """An arrow from (ax, ay) to (x, y), in the 0–1 coordinates of the hidden axes."""
    return dict(x=x, y=y, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", text="",
                showarrow=True, arrowhead=2, arrowsize=1.4, arrowwidth=2, arrowcolor=MUTED_TEXT_COLOUR)


def search_flow(flow: Flow, subtitle: str = "") -> go.Figure:
    """Boxes and arrows of the search flow, each count from `flow`."""
    considered = [f"{label}: {count:,}" for label, count in flow.by_source.items()]
    excluded = [f"{label}: {count:,}" for label, count in flow.excluded.items()]
    middle = (CONSIDERED[0] + CONSIDERED[1]) / 2
    texts = _texts([
        (CONSIDERED, f"Records considered: {flow.considered:,}", considered),
        (EXCLUDED, f"Excluded: {flow.excluded_total:,}", excluded),
        (INCLUDED, f"Publications included: {flow.included_records:,}",
         [f"{label}: {count:,}" for label, count in flow.included.items()]
         + [f"of which untraced claims of the seed: {flow.untraced_publications:,}"]),
        (IN_TABLE, f"In the table: {flow.findings:,} findings",
         [f"from {flow.publications:,} publications (one row per outcome and comparison)"]),
    ])
    layout = dict(
        shapes=[_box(CONSIDERED, BOX_FILL), _box(INCLUDED, BOX_FILL), _box(IN_TABLE, BOX_FILL),
                _box(EXCLUDED, EXCLUDED_FILL)],
        annotations=[
            _arrow(middle, INCLUDED[3], middle, CONSIDERED[2]),
            _arrow(middle, IN_TABLE[3], middle, INCLUDED[2]),
            _arrow(EXCLUDED[0], 0.87, CONSIDERED[1], 0.87),
        ],
        height=FLOW_HEIGHT,
        xaxis=dict(visible=False, range=[0, 1]),
        yaxis=dict(visible=False, range=[0, 1]),
        plot_bgcolor="#FFFFFF",
        hovermode=False,
        margin=dict(l=10, r=10, b=10),
    )
    return slide_figure([texts], layout, "How the studies were found", subtitle,
                  ["Counted from data/screening.csv and data/findings.csv: records → exclusions → included → findings"])
