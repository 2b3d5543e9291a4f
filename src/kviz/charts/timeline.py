"""Time charts: every dated finding on a time axis, and publications per year by vitamin K form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import schema, stats
from kviz.charts.style import (
    BASE_FONT_SIZE, GRID_COLOUR, MARKER_OUTLINE, MUTED_TEXT_COLOUR, NO_DATA_MESSAGE, category_fields,
    count_axis, counts_text, empty_figure, escape, hover_texts, legend_only, marker_style, plural,
    present_codes, slide_figure,
)

# Above this many markers the timeline draws with WebGL: SVG scatter gets slow in the browser.
WEBGL_THRESHOLD = 1000
# The timeline draws at most this many markers (a seeded random sample beyond it): every marker carries its
# hover text, so 100k markers meant ~50 MB sent to the browser and seconds of building, for a cloud no one reads.
TIMELINE_MAX_POINTS = 3000
TIMELINE_AXES = ("outcome", "design")
MAX_LABELLED_YEARS = 30  # publications per year: totals are written above the bars up to this many years
# Findings sharing a timeline row and month are spread over at most JITTER_SPAN of the row's height.
JITTER_STEP, JITTER_SPAN = 0.17, 0.7

# --------------------------------------------------------------------------------------------------- timeline


def timeline(frame: pd.DataFrame, y: str = "outcome", subtitle: str = "") -> go.Figure:
    """Every dated finding on a time axis; y = 'outcome' or 'design'; colour = direction, symbol = design.

    Findings sharing a row and month are spread vertically so none hides another. Hover: headline, design,
    form, dose, n, citation. customdata = (finding_id, study_id) per marker, for selections. Beyond
    TIMELINE_MAX_POINTS dated findings, a seeded random sample of that many is drawn and the subtitle says so.
    """
    if y not in TIMELINE_AXES:
        raise ValueError(f"y must be one of {', '.join(TIMELINE_AXES)}, not {y!r}")
    vocabulary = schema.VOCABULARIES[y]
    title = f"Findings over time, by {vocabulary.title.lower()}"
    dated = frame[frame[schema.PUBLISHED_DATE].notna()]
    undated = len(frame) - len(dated)
    notes = [f"{plural(undated, 'undated finding')} not shown"] if undated else []
    if dated.empty:
        message = NO_DATA_MESSAGE if frame.empty else "None of the matching findings has a publication date"
        return empty_figure(title, subtitle, message, notes)

    if len(dated) > TIMELINE_MAX_POINTS:
        notes.append(
            f"A random sample of {TIMELINE_MAX_POINTS:,} of the {len(dated):,} dated findings is shown: "
            "narrow the filters to see every one"
        )
        dated = dated.sample(n=TIMELINE_MAX_POINTS, random_state=0)
    rows_order = present_codes(dated, y)
    points = _timeline_points(dated, y, rows_order)
    webgl = len(points) > WEBGL_THRESHOLD
    # One trace per (direction, design): a single symbol per trace keeps 100k-point figures fast to build. The
    # direction is the legend group, so clicking a direction in the legend hides all its markers.
    traces: list[dict] = []
    dates, y_positions = points[schema.PUBLISHED_DATE].to_numpy(), points["y_position"].to_numpy()
    selections, hovers = points[["finding_id", "study_id"]].to_numpy(), points["hover"].to_numpy()
    parts: dict[tuple[str, str], list[int]] = {}  # the positions of each (direction, design)'s points
    keys = zip(points["direction"].astype(str).tolist(), points["design"].astype(str).tolist())
    for position, key in enumerate(keys):
        parts.setdefault(key, []).append(position)
    for number, direction in enumerate(present_codes(points, "direction")):
        label = escape(schema.DIRECTION.label(direction))
        traces.append(dict(  # the legend entry: a colour swatch, since marker shapes stand for designs here
            type="bar", x=[None], y=[None], name=label,
            marker=dict(color=schema.DIRECTION.colours[direction], line=dict(color=MARKER_OUTLINE, width=1)),
            legendgroup=direction,
            legendgrouptitle=dict(text=escape(schema.DIRECTION.title) if number == 0 else ""),
            hoverinfo="skip",
        ))
        for design in schema.DESIGN.codes:
            part = parts.get((direction, design))  # row positions
            if part is None:
                continue
            traces.append(dict(
                type="scattergl" if webgl else "scatter", x=dates[part], y=y_positions[part], mode="markers",
                name=label,
                marker=marker_style(schema.DIRECTION.colours[direction], schema.DESIGN.symbols[design], 8 if webgl else 12),
                customdata=selections[part], hovertext=hovers[part], hoverinfo="text", legendgroup=direction,
                showlegend=False,
            ))
    traces += [legend_only(schema.DESIGN.label(design), "design", schema.DESIGN.title,
                           symbol=schema.DESIGN.symbols[design], color=MUTED_TEXT_COLOUR, size=11)
               for design in present_codes(points, "design")]
    layout = dict(
        xaxis=dict(title=dict(text="Publication date"), type="date", **_date_axis(points[schema.PUBLISHED_DATE])),
        yaxis=dict(tickvals=list(range(len(rows_order))),
                   ticktext=[escape(vocabulary.label(code)) for code in rows_order],
                   range=[len(rows_order) - 0.5, -0.5], showgrid=False),
        shapes=[  # lines between the rows
            dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=boundary - 0.5, y1=boundary - 0.5,
                 line=dict(color=GRID_COLOUR, width=1))
            for boundary in range(1, len(rows_order))
        ],
        height=max(320, 80 * len(rows_order) + 90), hovermode="closest", legend=dict(tracegroupgap=4),
    )
    return slide_figure(traces, layout, title, subtitle, notes)


MIN_SPAN = pd.Timedelta(days=365)  # a time axis covers at least a year: a few close dates never zoom to hours


def _date_axis(dates: pd.Series) -> dict:
    """Dates only, never a time of day: ticks by year (or month, for a short span) over at least a year."""
    first, last = dates.min(), dates.max()
    if last - first < MIN_SPAN:
        middle = first + (last - first) / 2
        first, last = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    long = last - first >= 3 * MIN_SPAN
    axis = dict(range=[first - MIN_SPAN / 12, last + MIN_SPAN / 12], tickformat="%Y" if long else "%b %Y")
    if not long or last - first < 20 * MIN_SPAN:
        axis["dtick"] = "M12" if long else "M2"
    return axis


def _timeline_points(dated: pd.DataFrame, y: str, rows_order: list[str]) -> pd.DataFrame:
    """What the timeline draws of the dated rows (their date, ids, direction and design), with a jittered y position
    and the hover text."""
    points = dated[[schema.PUBLISHED_DATE, "finding_id", "study_id", "direction", "design"]].copy()
    row_of = {code: i for i, code in enumerate(rows_order)}
    row_index = np.array([row_of.get(code, -1) for code in dated[y].astype(str).tolist()], dtype=np.int64)
    dates = points[schema.PUBLISHED_DATE].dt
    month = (dates.year * 12 + dates.month).to_numpy(dtype=np.int64)
    # Each finding's rank among those sharing its row and month (in row order), and how many share them.
    group, _ = pd.factorize(row_index * (month.max() + 1) + month)
    size = np.bincount(group)[group]
    first_of_group = np.concatenate([[0], np.cumsum(np.bincount(group))[:-1]])
    in_group_order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=np.int64)
    rank[in_group_order] = np.arange(len(group)) - first_of_group[group[in_group_order]]
    step = np.minimum(JITTER_STEP, JITTER_SPAN / np.maximum(size - 1, 1))
    # A row without a value on the y axis has no place on it (it is not drawn).
    points["y_position"] = np.where(row_index >= 0, row_index + (rank - (size - 1) / 2) * step, np.nan)
    published = dated["published"].map({p: _month_text(p) for p in dated["published"].unique().tolist()})
    points["hover"] = hover_texts(
        dated["headline"],
        [("Published", published)]
        + category_fields(dated, ("outcome", "direction", "design", "k_form", "d3"))
        + [
            (schema.LABELS["dose_text"], dated["dose_text"]),
            (schema.LABELS["n_participants"], counts_text(dated["n_participants"])),
            (schema.LABELS["citation"], dated["citation"]),
        ],
    )
    return points


def _month_text(published: str) -> str:
    """'2019-05' -> 'May 2019'; a year alone stays as it is."""
    return pd.Timestamp(published).strftime("%b %Y") if len(published) > 4 else published


# -------------------------------------------------------------------------------------- publications per year


def publications_per_year(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Distinct publications per year, stacked by vitamin K form (a publication on several forms counts once,
    under 'several forms')."""
    title = "Publications per year, by vitamin K form"
    dated = frame[frame[schema.YEAR].notna()]
    undated = frame.loc[frame[schema.YEAR].isna(), "study_id"].nunique()
    notes = [f"{plural(undated, 'undated publication')} not shown"] if undated else []
    if dated.empty:
        message = NO_DATA_MESSAGE if frame.empty else "None of the matching findings has a publication date"
        return empty_figure(title, subtitle, message, notes)

    studies = pd.DataFrame(
        {"year": dated.groupby("study_id")[schema.YEAR].min().astype(int), "k_form": stats.publication_forms(dated)}
    )
    counts = pd.crosstab(studies["year"], studies["k_form"])
    years = list(range(int(counts.index.min()), int(counts.index.max()) + 1))
    counts = counts.reindex(years, fill_value=0)
    traces = []
    for form in [code for code in schema.K_FORM.codes if code in counts.columns]:
        label = escape(schema.K_FORM.label(form))
        traces.append(dict(
            type="bar", x=years, y=counts[form].tolist(), name=label,
            marker=dict(color=schema.K_FORM.colours[form], line=dict(color="#FFFFFF", width=0.5)),
            hovertemplate=f"{label}<br>%{{x}}: %{{y}} publication(s)<extra></extra>",
        ))
    totals = counts.sum(axis=1)
    if len(years) <= MAX_LABELLED_YEARS:  # totals above the bars; beyond this they crowd into each other
        traces.append(dict(
            type="scatter", x=years, y=totals.tolist(), text=[f"{t:,}" if t else "" for t in totals], mode="text",
            textposition="top center", textfont=dict(size=BASE_FONT_SIZE - 2, color=MUTED_TEXT_COLOUR),
            showlegend=False, hoverinfo="skip",
        ))
    year_axis = dict(title=dict(text="Year of publication"), tickformat="d", showgrid=False)
    if len(years) <= 20:
        year_axis["dtick"] = 1
    layout = dict(barmode="stack", legend=dict(title=dict(text=escape(schema.K_FORM.title))), height=380,
                  xaxis=year_axis, yaxis=count_axis(int(totals.max())))
    return slide_figure(traces, layout, title, subtitle, notes)
