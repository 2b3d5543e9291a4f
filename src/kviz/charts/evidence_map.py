"""The evidence map: a gap map of vitamin K form (optionally split by D3 or design) × outcome.

Every outcome column and every vitamin K form row is drawn, empty cells included: where there are no studies is
the point of a gap map. A cell's bar is as long as the square root of its number of publications allows, split
into benefit, no clear effect, mixed, harm and no effect stated, so directions stay apart; its number is written
beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import schema, stats
from kviz.charts.style import (
    BASE_FONT_SIZE, GRID_COLOUR, MARKER_OUTLINE, MUTED_TEXT_COLOUR, empty_figure, escape, outcome_columns,
    outcome_order, slide_figure,
)

BAR_SPAN = 0.72  # the longest bar, in cell widths (a cell is 1 wide); its number goes to the right
BAR_THICKNESS = 0.42  # in row heights
ROW_HEIGHT = 52
EMPTY_MARK = "–"


def _rows(split: str | None) -> list[tuple[str, str]]:
    """(k_form, group) per map row, top to bottom: every vitamin K form, and each split group within it."""
    groups = [label for label, _ in stats.MAP_SPLITS[split][2]] if split else [""]
    return [(form, group) for form in schema.K_FORM.codes for group in groups]


def _row_label(form: str, group: str) -> str:
    label = escape(schema.K_FORM.label(form))
    return f"{label} · {escape(group)}" if group else label


def evidence_map(frame: pd.DataFrame, subtitle: str = "", count_all: bool = False, split: str | None = None) -> go.Figure:
    """Vitamin K form × outcome, every cell drawn: publications per direction as a split bar, count beside it.
    customdata = (k_form, outcome, group) codes so a selected cell can list its findings."""
    title = "Evidence map: vitamin K form × outcome" + (f", by {stats.MAP_SPLITS[split][0].lower()}" if split else "")
    counted, counted_note = stats.counted_rows(frame, count_all)
    notes = ["Bar length grows with the number of publications (written beside it); its parts are the directions of "
             f"effect; {EMPTY_MARK} = no publication", *([counted_note] if counted_note else [])]
    if frame.empty:
        return empty_figure(title, subtitle, notes=notes)
    cells = stats.evidence_map_cells(counted, split)
    columns = outcome_order(schema.OUTCOME.codes)
    rows = _rows(split)
    cells["x"] = cells["outcome"].map({code: i for i, code in enumerate(columns)}).astype(int)
    cells["y"] = pd.Series([rows.index(key) for key in zip(cells["k_form"], cells["group"])], index=cells.index, dtype=int)
    largest = int(cells["publications"].max()) if not cells.empty else 1
    cells["length"] = BAR_SPAN * np.sqrt(cells["publications"] / largest)
    left = cells["x"] - 0.45

    # Plain arrays from here: each direction's bar part is a few numpy operations, not a dozen pandas ones.
    publications, length = cells["publications"].to_numpy(), cells["length"].to_numpy()
    y, keys = cells["y"].to_numpy(), cells[["k_form", "outcome", "group"]].to_numpy()
    hover = np.array(_hover(cells), dtype=object)
    denominator = np.where(publications > 0, publications, np.nan)
    traces: list[dict] = []
    start = left.to_numpy()
    for direction in stats.EFFECT_AND_NONE:
        category = schema.DIRECTION[direction]
        width = length * cells[direction].to_numpy() / denominator
        shown = width > 0  # a direction with no cell still gets its legend entry
        traces.append(dict(
            type="bar", x=width[shown], y=y[shown], base=start[shown].tolist(), orientation="h", width=BAR_THICKNESS,
            name=escape(category.label), marker=dict(color=category.colour, line=dict(color=MARKER_OUTLINE, width=0.5)),
            customdata=keys[shown], hovertext=hover[shown].tolist(), hoverinfo="text",
        ))
        start = start + np.nan_to_num(width)
    occupied = set(zip(cells["x"], cells["y"]))
    empty = [(x, y) for y in range(len(rows)) for x in range(len(columns)) if (x, y) not in occupied]
    traces.append(dict(  # counts beside the bars, and a dot in each empty cell
        type="scatter", x=[*(left + cells["length"] + 0.04), *(x for x, _ in empty)],
        y=[*cells["y"], *(y for _, y in empty)],
        text=[*(f"{n:,}" for n in cells["publications"]), *([EMPTY_MARK] * len(empty))],
        mode="text", textposition=["middle right"] * len(cells) + ["middle center"] * len(empty),
        textfont=dict(size=BASE_FONT_SIZE - 1, color=MUTED_TEXT_COLOUR), showlegend=False,
        hovertext=[*hover, *(f"<b>{_row_label(*rows[y])} · {escape(schema.OUTCOME.label(columns[x]))}</b>"
                                     "<br>No publication" for x, y in empty)],
        hoverinfo="text",
    ))
    column_axis, top_space = outcome_columns(columns)
    layout = dict(
        barmode="overlay", height=max(300, ROW_HEIGHT * len(rows) + 90), hovermode="closest",
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, traceorder="normal"),
        shapes=[dict(type="line", xref="x", yref="paper", x0=x - 0.5, x1=x - 0.5, y0=0, y1=1,
                     line=dict(color=GRID_COLOUR, width=1)) for x in range(1, len(columns))]
        + [dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=y - 0.5, y1=y - 0.5,
                line=dict(color=GRID_COLOUR, width=1)) for y in range(1, len(rows))],
        xaxis=dict(column_axis, range=[-0.5, len(columns) - 0.5], showgrid=False),
        yaxis=dict(tickvals=list(range(len(rows))), ticktext=[_row_label(*row) for row in rows],
                   range=[len(rows) - 0.5, -0.5], showgrid=False),
    )
    return slide_figure(traces, layout, title, subtitle, notes, top_space)


def _hover(cells: pd.DataFrame) -> list[str]:
    texts = []
    for row in cells.itertuples(index=False):
        lines = [f"<b>{_row_label(row.k_form, row.group)} · {escape(schema.OUTCOME.label(row.outcome))}</b>",
                 f"Publications: {row.publications:,}"]
        lines += [f"{escape(schema.DIRECTION.label(d))}: {getattr(row, d):,}" for d in stats.EFFECT_AND_NONE
                  if getattr(row, d)]
        texts.append("<br>".join(lines))
    return texts

