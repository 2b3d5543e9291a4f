"""Figure builders: a (filtered, typed) findings DataFrame in, a plotly Figure out.

Every builder takes the typed frame from `kviz.loader` (possibly empty, possibly 100k rows) and the active-filter
caption from `kviz.filters.caption` as `subtitle`, and returns a figure that is ready for a slide:

- one shared light, high-contrast look (`SLIDE_TEMPLATE`), a title and a subtitle naming the filters;
- colours, symbols, labels and category orders only from `kviz.schema`, never raw codes;
- every data string escaped before plotly sees it (plotly renders a subset of HTML in titles, ticks, legends
  and hover text, so a headline such as "<b>" must reach the reader as text);
- an empty frame gives a figure with a plain message and no axes, never an exception or a broken chart;
- large frames are aggregated (counts, one bubble per cell) or capped (the effect direction plot), and the
  timeline switches to WebGL, so the browser never receives more markers than it needs.

Effect charts (direction summary, effect direction plot, direction counts, vote count) count publications, not
rows, and leave out rows whose direction is "no effect stated" (see `kviz.stats`).
"""

from __future__ import annotations

import functools
import html
import math
import re
import textwrap
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kviz import schema, stats

NO_DATA_MESSAGE = "No findings match the current filters"
# Above this many markers the timeline draws with WebGL: SVG scatter gets slow in the browser.
WEBGL_THRESHOLD = 1000
# The timeline draws at most this many markers (a seeded random sample beyond it): every marker carries its
# hover text, so 100k markers meant ~50 MB sent to the browser and seconds of building, for a cloud no one reads.
TIMELINE_MAX_POINTS = 3000
# The effect direction plot stays legible up to about this many publications; it shows the most recent.
MAX_EDP_PUBLICATIONS = 60
SEVERAL_FORMS = "mixed"  # the K_FORM code a publication studying several forms is counted under
TIMELINE_AXES = ("outcome", "design")
SPLITS = ("k_family", "d3")
MAX_LABELLED_YEARS = 30  # publications per year: totals are written above the bars up to this many years
# Findings sharing a timeline row and month are spread over at most JITTER_SPAN of the row's height.
JITTER_STEP, JITTER_SPAN = 0.17, 0.7

# The one shared look: white background, dark text, large type that survives a projector.
TEXT_COLOUR = "#1A1A1A"
MUTED_TEXT_COLOUR = "#4D4D4D"
GRID_COLOUR = "#E3E3E3"
AXIS_COLOUR = "#7F7F7F"
MARKER_OUTLINE = "#333333"
NEUTRAL_FILL = "#F0F0F0"  # the low end of the share-showing-benefit scale
MAX_BUBBLE_DIAMETER = 54
SUMMARY_COLUMN_X = 1.06  # where the vote count's "k of n show benefit · p" column starts (share axis units)
FONT_FAMILY = "'Source Sans Pro', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"
BASE_FONT_SIZE = 15
TITLE_FONT_SIZE = 22
SUBTITLE_FONT_SIZE = 14
SUBTITLE_WIDTH = 135  # characters per subtitle line before it wraps
HOVER_WIDTH = 70
HORIZONTAL_COLUMNS = 5  # column headers stay horizontal up to this many columns, then they are slanted
COLUMN_LABEL_ANGLE = 40
CHARACTER_WIDTH = 0.55 * BASE_FONT_SIZE  # average label character width, to reserve room for slanted labels
TITLE_GAP = 12  # pixels between the subtitle and the plot area (more where annotations sit on top of the plot)
FACET_TITLE_SPACE = 40
TITLE_LINE_HEIGHT = 1.3 * TITLE_FONT_SIZE  # plotly spaces every line of the title block like a title line
TITLE_TOP = 24
DEFAULT_PLOT_HEIGHT = 400
EDP_ROW_HEIGHT = 34

SLIDE_AXIS = dict(
    showgrid=True,
    gridcolor=GRID_COLOUR,
    linecolor=AXIS_COLOUR,
    showline=True,
    ticks="outside",
    tickcolor=AXIS_COLOUR,
    tickfont=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE, color=TEXT_COLOUR),
    zeroline=False,
    title=dict(font=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE + 1, color=TEXT_COLOUR)),
    automargin=True,
)
SLIDE_LAYOUT = dict(
    font=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE, color=TEXT_COLOUR),
    title=dict(
        # Normal weight: the title itself is bold (<b>), its subtitle lines are not, whatever a page theme says.
        font=dict(family=FONT_FAMILY, size=TITLE_FONT_SIZE, color=TEXT_COLOUR, weight="normal"),
        # The title block (title, then subtitle lines in the same text, so automargin sizes them together)
        # sits above the plot area and anything drawn there (top tick labels, facet titles).
        xref="container",
        x=0,
        xanchor="left",
        yref="paper",
        y=1,
        yanchor="bottom",
        pad=dict(l=12, b=TITLE_GAP),
        automargin=True,
    ),
    paper_bgcolor="#FFFFFF",
    plot_bgcolor="#FFFFFF",
    legend=dict(
        font=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE - 1, color=TEXT_COLOUR),
        title=dict(font=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE, color=TEXT_COLOUR)),
        grouptitlefont=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE, color=TEXT_COLOUR),
        bgcolor="rgba(255,255,255,0.9)",
        tracegroupgap=14,
    ),
    hoverlabel=dict(
        font=dict(family=FONT_FAMILY, size=BASE_FONT_SIZE - 1, color=TEXT_COLOUR),
        bgcolor="#FFFFFF",
        bordercolor=AXIS_COLOUR,
        align="left",
    ),
    margin=dict(l=20, r=20, t=40, b=20),
    bargap=0.2,
)
# The same look as a template, for anyone building a figure of their own in this style.
SLIDE_TEMPLATE = go.layout.Template(layout=dict(SLIDE_LAYOUT, xaxis=SLIDE_AXIS, yaxis=SLIDE_AXIS))


def _merged(base: dict, override: dict) -> dict:
    """`base` with `override` laid over it, nested dicts merged key by key (override wins)."""
    result = dict(base)
    for key, value in override.items():
        both_dicts = isinstance(value, dict) and isinstance(base.get(key), dict)
        result[key] = _merged(base[key], value) if both_dicts else value
    return result


def _apply_slide_look(fig: go.Figure) -> None:
    """Lay the slide look under the builder's own settings as explicit layout values, not only as a template:
    a page theme (Streamlit's, unless the page passes theme=None) overrides template values but not these."""
    layout = _merged(SLIDE_LAYOUT, fig.layout.to_plotly_json())
    for name in [key for key in layout if re.fullmatch(r"[xy]axis\d*", key)] or ["xaxis", "yaxis"]:
        layout[name] = _merged(SLIDE_AXIS, layout.get(name, {}))
    fig.layout = go.Layout(layout, template=SLIDE_TEMPLATE)


# ----------------------------------------------------------------------------------------------- text helpers


def escape(text: object) -> str:
    """A data string made safe for plotly text: <, > and & shown as themselves, never as markup."""
    return html.escape("" if text is None else str(text), quote=False)


@functools.lru_cache(maxsize=None)
def _line_pattern(width: int) -> re.Pattern:
    """Up to `width` characters ending at a space (or a `width`-long piece of an unbroken word)."""
    return re.compile(r"\S.{0,%d}(?=\s|$)|\S{1,%d}" % (width - 1, width))


def _wrapped(text: str, width: int) -> str:
    """Escape, then wrap long text into lines joined with plotly's <br> (regex-based: fast on 100k rows)."""
    if len(text) <= width:
        return escape(text)
    return "<br>".join(escape(line) for line in _line_pattern(width).findall(text))


def _short_label(label: str, width: int = 14) -> str:
    """A category label wrapped onto two lines for crowded axes."""
    return _wrapped(label, width)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _wrapped_column(values: pd.Series, width: int = HOVER_WIDTH) -> pd.Series:
    """`_wrapped` for a column, computed once per distinct value."""
    values = values.astype(str)
    return values.map({value: _wrapped(value, width) for value in values.unique().tolist()})


def _hover(heading: pd.Series, fields: Sequence[tuple[str, pd.Series]]) -> list[str]:
    """Hover text per row: `heading` in bold, then 'Label: value' for each field whose value is not empty."""
    text = "<b>" + _wrapped_column(heading) + "</b>"
    for label, column in fields:
        values = _wrapped_column(column.fillna(""))
        text = text + ("<br>" + escape(label) + ": " + values).where(values != "", "")
    return text.tolist()


def _category_fields(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """Hover fields for categorical columns: the vocabulary's title and each row's label."""
    return [(schema.VOCABULARIES[column].title, _labels(frame[column], column)) for column in columns]


def _labels(series: pd.Series, column: str) -> pd.Series:
    """Human labels for a categorical column (missing values become '')."""
    return series.astype("string").map(schema.VOCABULARIES[column].labels).fillna("").astype(str)


def _counts_text(series: pd.Series) -> pd.Series:
    return series.map(lambda n: "" if pd.isna(n) else f"{int(n):,}").astype(str)


# --------------------------------------------------------------------------------------------- layout helpers


def _titled(
    fig: go.Figure, title: str, subtitle: str = "", notes: Iterable[str] = (), top_space: int = TITLE_GAP
) -> go.Figure:
    """Apply the shared template, the title and a subtitle (the filter caption, then any notes).

    `top_space` is the room in pixels kept between the subtitle and the plot area, for what sits there.
    """
    style = f"font-size:{SUBTITLE_FONT_SIZE}px;color:{MUTED_TEXT_COLOUR};font-weight:normal"
    lines = [f"<b>{escape(title)}</b>"]
    for text in (subtitle, *notes):  # each wrapped line gets its own span: styles end at a <br>
        lines += [f'<span style="{style}">{line}</span>' for line in _wrapped(text, SUBTITLE_WIDTH).split("<br>") if line]
    # Builders size their plot area; the title block and the space under it come on top.
    title_height = int(TITLE_LINE_HEIGHT * len(lines)) + TITLE_TOP + top_space
    fig.update_layout(
        title=dict(text="<br>".join(lines), pad_b=top_space),
        height=(fig.layout.height or DEFAULT_PLOT_HEIGHT) + title_height,
    )
    _apply_slide_look(fig)
    return fig


def _empty(title: str, subtitle: str = "", message: str = NO_DATA_MESSAGE, notes: Iterable[str] = ()) -> go.Figure:
    """A figure with no axes and one plain message: what every builder returns when there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=escape(message),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=BASE_FONT_SIZE + 3, color=MUTED_TEXT_COLOUR),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=200)
    return _titled(fig, title, subtitle, notes)


def _marker(colour: str, symbol: str, size, **extra) -> dict:
    """A fully opaque marker with a dark outline; open symbols get a thicker line in their own colour."""
    outline = dict(width=2.5) if symbol.endswith("-open") else dict(color=MARKER_OUTLINE, width=1)
    # plotly fades markers with per-point sizes to 70 % unless told otherwise.
    return dict(color=colour, symbol=symbol, size=size, opacity=1, line=outline, **extra)


def _legend_only(name: str, group: str, group_title: str, **marker) -> go.Scatter:
    """A legend entry with no points, for encodings that are not traces of their own (symbol, size)."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        name=escape(name),
        marker=marker,
        legendgroup=group,
        legendgrouptitle=dict(text=escape(group_title)),
        hoverinfo="skip",
    )


def outcome_order(present: Iterable[str] = (), include_key: bool = False) -> list[str]:
    """Outcome codes in display order: the key outcomes first, then the rest in schema order.

    Only outcomes in `present` are listed, plus the key outcomes when `include_key` is true.
    """
    wanted = set(present) | (set(schema.KEY_OUTCOMES) if include_key else set())
    ordered = list(schema.KEY_OUTCOMES) + [c for c in schema.OUTCOME.codes if c not in schema.KEY_OUTCOMES]
    return [code for code in ordered if code in wanted]


def _present(frame: pd.DataFrame, column: str) -> list[str]:
    """The codes of a categorical column that occur in `frame`, in schema order."""
    seen = {str(code) for code in frame[column].dropna().unique()}
    if column == "outcome":
        return outcome_order(seen)
    return [code for code in schema.VOCABULARIES[column].codes if code in seen]


def _outcome_columns(fig: go.Figure, columns: list[str]) -> int:
    """Outcome labels as column headers above the plot; returns the height they need (for `_titled`).

    Up to a few columns the labels stay horizontal (wrapped); more are slanted so they never overlap.
    """
    labels = [schema.OUTCOME.label(code) for code in columns]
    slanted = len(columns) > HORIZONTAL_COLUMNS
    fig.update_xaxes(
        tickvals=list(range(len(columns))),
        ticktext=[escape(label) if slanted else _short_label(label) for label in labels],
        tickangle=-COLUMN_LABEL_ANGLE if slanted else 0,
        side="top",
        showline=False,
        ticks="",
    )
    if slanted:
        longest = max(len(label) for label in labels) * CHARACTER_WIDTH
        return int(longest * math.sin(math.radians(COLUMN_LABEL_ANGLE))) + 2 * BASE_FONT_SIZE
    lines = max(_short_label(label).count("<br>") + 1 for label in labels)
    return int(lines * BASE_FONT_SIZE * 1.3) + BASE_FONT_SIZE


def _count_axis(axis_update, largest: int, title: str = "Publications") -> None:
    """A count axis from zero: whole numbers only (no 0.5 publications), room for labels above the bars."""
    axis_update(
        title_text=title,
        range=[0, largest * 1.15 + 0.5],
        dtick=1 if largest <= 6 else None,
        tickformat=",d",
    )


def chart_config(filename: str, image_format: str = "png") -> dict:
    """plotly config for slide-ready export: no logo, the camera button saves a 3× image named `filename`.

    `image_format` may be 'svg' for charts without WebGL traces (WebGL cannot be vector-exported).
    """
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", filename).strip("-.") or "kviz_chart"
    return {
        "displaylogo": False,
        # The toolbar (camera included) appears while the pointer is over the chart: always shown, it covered
        # the right end of long titles and cluttered projected slides.
        "displayModeBar": "hover",
        "responsive": True,
        "toImageButtonOptions": {"format": image_format, "scale": 3, "filename": safe_name, "width": None, "height": None},
    }


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
    notes = [f"{_plural(undated, 'undated finding')} not shown"] if undated else []
    if dated.empty:
        message = NO_DATA_MESSAGE if frame.empty else "None of the matching findings has a publication date"
        return _empty(title, subtitle, message, notes)

    if len(dated) > TIMELINE_MAX_POINTS:
        notes.append(
            f"A random sample of {TIMELINE_MAX_POINTS:,} of the {len(dated):,} dated findings is shown: "
            "narrow the filters to see every one"
        )
        dated = dated.sample(n=TIMELINE_MAX_POINTS, random_state=0)
    rows_order = _present(dated, y)
    points = _timeline_points(dated, y, rows_order)
    scatter = go.Scattergl if len(points) > WEBGL_THRESHOLD else go.Scatter
    fig = go.Figure()
    # One trace per (direction, design): a single symbol per trace keeps 100k-point figures fast to build.
    # The direction is the legend group, so clicking a direction in the legend hides all its markers.
    for number, direction in enumerate(_present(points, "direction")):
        label = escape(schema.DIRECTION.label(direction))
        fig.add_trace(  # the legend entry: a colour swatch, since marker shapes stand for designs here
            go.Bar(
                x=[None],
                y=[None],
                name=label,
                marker=dict(color=schema.DIRECTION.colours[direction], line=dict(color=MARKER_OUTLINE, width=1)),
                legendgroup=direction,
                legendgrouptitle=dict(text=escape(schema.DIRECTION.title) if number == 0 else ""),
                hoverinfo="skip",
            )
        )
        of_direction = points[points["direction"] == direction]
        for design in _present(of_direction, "design"):
            part = of_direction[of_direction["design"] == design]
            fig.add_trace(
                scatter(
                    x=part[schema.PUBLISHED_DATE],
                    y=part["y_position"],
                    mode="markers",
                    name=label,
                    marker=_marker(
                        schema.DIRECTION.colours[direction],
                        schema.DESIGN.symbols[design],
                        12 if scatter is go.Scatter else 8,
                    ),
                    customdata=part[["finding_id", "study_id"]].to_numpy(),
                    hovertext=part["hover"].to_numpy(),
                    hoverinfo="text",
                    legendgroup=direction,
                    showlegend=False,
                )
            )
    for design in _present(points, "design"):
        fig.add_trace(
            _legend_only(
                schema.DESIGN.label(design),
                "design",
                schema.DESIGN.title,
                symbol=schema.DESIGN.symbols[design],
                color=MUTED_TEXT_COLOUR,
                size=11,
            )
        )
    fig.update_xaxes(title_text="Publication date", type="date")
    fig.update_yaxes(
        tickvals=list(range(len(rows_order))),
        ticktext=[escape(vocabulary.label(code)) for code in rows_order],
        range=[len(rows_order) - 0.5, -0.5],
        showgrid=False,
    )
    fig.update_layout(
        # Lines between the rows, set in one go: each add_hline call re-processes the figure's whole layout.
        shapes=[
            dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=boundary - 0.5, y1=boundary - 0.5,
                 line=dict(color=GRID_COLOUR, width=1))
            for boundary in range(1, len(rows_order))
        ],
        height=max(320, 80 * len(rows_order) + 90), hovermode="closest", legend=dict(tracegroupgap=4),
    )
    return _titled(fig, title, subtitle, notes)


def _timeline_points(dated: pd.DataFrame, y: str, rows_order: list[str]) -> pd.DataFrame:
    """The dated rows with a jittered y position and their hover text."""
    points = dated.copy()
    row_index = points[y].astype(str).map({code: i for i, code in enumerate(rows_order)})
    month = points[schema.PUBLISHED_DATE].dt.to_period("M")
    group = points.groupby([row_index, month], sort=False)
    rank = group.cumcount()
    size = group["finding_id"].transform("size")
    step = np.minimum(JITTER_STEP, JITTER_SPAN / np.maximum(size - 1, 1))
    points["y_position"] = row_index + (rank - (size - 1) / 2) * step
    published = points["published"].map({p: _month_text(p) for p in points["published"].unique().tolist()})
    points["hover"] = _hover(
        points["headline"],
        [("Published", published)]
        + _category_fields(points, ("outcome", "direction", "design", "k_form", "d3"))
        + [
            (schema.LABELS["dose_text"], points["dose_text"]),
            (schema.LABELS["n_participants"], _counts_text(points["n_participants"])),
            (schema.LABELS["citation"], points["citation"]),
        ],
    )
    return points


def _month_text(published: str) -> str:
    """'2019-05' -> 'May 2019'; a year alone stays as it is."""
    return pd.Timestamp(published).strftime("%b %Y") if len(published) > 4 else published


# -------------------------------------------------------------------------------------- publications per year


def publication_forms(frame: pd.DataFrame) -> pd.Series:
    """The vitamin K form of each publication (study_id): its rows' form, or 'several forms' when they differ."""
    grouped = frame.groupby("study_id", observed=True)["k_form"]
    first = grouped.first().astype(str)
    return first.where(grouped.nunique() == 1, SEVERAL_FORMS)


def publications_per_year(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Distinct publications per year, stacked by vitamin K form (a publication on several forms counts once,
    under 'several forms')."""
    title = "Publications per year, by vitamin K form"
    dated = frame[frame[schema.YEAR].notna()]
    undated = frame.loc[frame[schema.YEAR].isna(), "study_id"].nunique()
    notes = [f"{_plural(undated, 'undated publication')} not shown"] if undated else []
    if dated.empty:
        message = NO_DATA_MESSAGE if frame.empty else "None of the matching findings has a publication date"
        return _empty(title, subtitle, message, notes)

    studies = pd.DataFrame(
        {"year": dated.groupby("study_id")[schema.YEAR].min().astype(int), "k_form": publication_forms(dated)}
    )
    counts = pd.crosstab(studies["year"], studies["k_form"])
    years = list(range(int(counts.index.min()), int(counts.index.max()) + 1))
    counts = counts.reindex(years, fill_value=0)
    fig = go.Figure()
    for form in [code for code in schema.K_FORM.codes if code in counts.columns]:
        label = escape(schema.K_FORM.label(form))
        fig.add_trace(
            go.Bar(
                x=years,
                y=counts[form].tolist(),
                name=label,
                marker=dict(color=schema.K_FORM.colours[form], line=dict(color="#FFFFFF", width=0.5)),
                hovertemplate=f"{label}<br>%{{x}}: %{{y}} publication(s)<extra></extra>",
            )
        )
    totals = counts.sum(axis=1)
    if len(years) <= MAX_LABELLED_YEARS:  # totals above the bars; beyond this they crowd into each other
        fig.add_trace(
            go.Scatter(
                x=years,
                y=totals.tolist(),
                text=[f"{t:,}" if t else "" for t in totals],
                mode="text",
                textposition="top center",
                textfont=dict(size=BASE_FONT_SIZE - 2, color=MUTED_TEXT_COLOUR),
                showlegend=False,
                hoverinfo="skip",
            )
        )
    fig.update_layout(barmode="stack", legend_title_text=escape(schema.K_FORM.title), height=380)
    fig.update_xaxes(title_text="Year of publication", tickformat="d", dtick=1 if len(years) <= 20 else None, showgrid=False)
    _count_axis(fig.update_yaxes, int(totals.max()))
    return _titled(fig, title, subtitle, notes)


# ------------------------------------------------------------------------------------------ direction summary


def direction_summary(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Compact horizontal stacked bars: publications by direction for the key outcomes (bone density, fracture,
    muscle)."""
    key_labels = [schema.OUTCOME.label(code) for code in schema.KEY_OUTCOMES]
    title = "Direction of effect: " + ", ".join(key_labels)
    key_rows = frame[frame["outcome"].isin(schema.KEY_OUTCOMES)]
    counts = stats.direction_table(key_rows)
    if counts.empty:
        message = NO_DATA_MESSAGE if frame.empty else (
            f"No publication on {', '.join(key_labels[:-1])} or {key_labels[-1]} with a direction of effect matches the current filters"
        )
        return _empty(title, subtitle, message)

    counts.index = counts.index.astype(str)
    counts = counts.reindex(list(schema.KEY_OUTCOMES), fill_value=0)
    fig = go.Figure()
    for direction in schema.EFFECT_DIRECTIONS:
        label = escape(schema.DIRECTION.label(direction))
        values = counts[direction].tolist()
        fig.add_trace(
            go.Bar(
                y=[escape(label) for label in key_labels],
                x=values,
                orientation="h",
                name=label,
                marker=dict(color=schema.DIRECTION.colours[direction], line=dict(color="#FFFFFF", width=1)),
                text=[str(v) if v else "" for v in values],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate=f"%{{y}}<br>{label}: %{{x}} publication(s)<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", height=220, legend=dict(traceorder="normal"), bargap=0.3)
    _count_axis(fig.update_xaxes, int(counts.sum(axis=1).max()))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return _titled(fig, title, subtitle, ["Each publication counts once per outcome; rows with no effect stated are left out"])


# ------------------------------------------------------------------------------------- effect direction plot


def _publication_label(citation: str, study_id: str, year: object) -> str:
    """A short row label: the citation's first author (or the study id) and the year."""
    author = re.split(r"[,.;:(]", citation.strip(), maxsplit=1)[0].strip() if citation.strip() else study_id
    author = textwrap.shorten(author, 26, placeholder="…")
    return f"{author} {year}" if pd.notna(year) else f"{author} (undated)"


def _publication_labels(effect: pd.DataFrame, publications: pd.DataFrame) -> list[str]:
    """Row labels for publications; equal labels get a, b, … in date order ('Vitamin D Life 2011a')."""
    citations = effect[effect["citation"].str.strip() != ""].groupby("study_id")["citation"].first()
    labels = pd.Series(
        [_publication_label(citations.get(study, ""), study, year) for study, year in zip(publications.index, publications["year"])],
        index=publications.index,
    )
    ordered = publications.assign(label=labels).rename_axis("study_id").reset_index()
    ordered = ordered.sort_values(["date", "study_id"], na_position="last")
    repeated = ordered[ordered.duplicated("label", keep=False)]
    for study, label, number in zip(repeated["study_id"], repeated["label"], repeated.groupby("label").cumcount()):
        separator = "" if label[-1].isdigit() else " "
        labels[study] = f"{label}{separator}{'abcdefghijklmnopqrstuvwxyz'[number % 26]}"
    return labels.tolist()


def _edp_publications(effect: pd.DataFrame) -> pd.DataFrame:
    """Per publication (indexed by study_id): earliest date and year of its rows with an effect direction."""
    grouped = effect.groupby("study_id")
    return pd.DataFrame({"date": grouped[schema.PUBLISHED_DATE].min(), "year": grouped[schema.YEAR].min()})


def _most_recent(publications: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` most recent publications (undated ones last, ties by study_id for a stable choice)."""
    ordered = publications.rename_axis("study_id").reset_index().sort_values(
        ["date", "study_id"], ascending=[False, True], na_position="last"
    )
    return publications.loc[ordered["study_id"].iloc[:limit]]


def _edp_cells(effect: pd.DataFrame) -> pd.DataFrame:
    """One cell per (publication, design, outcome): its direction, largest known n, forms and headlines."""
    keys = ["study_id", "design", "outcome"]
    directions = stats.study_directions(effect, by=["design"]).astype({"design": str, "outcome": str})
    details = effect.groupby(keys, observed=True).agg(
        n=("n_participants", "max"),
        headline=("headline", lambda h: " | ".join(dict.fromkeys(h))),
        k_form=("k_form", lambda f: ", ".join(schema.K_FORM.label(c) for c in dict.fromkeys(f.astype(str)))),
    )
    details = details.reset_index().astype({"design": str, "outcome": str})
    return directions.merge(details, on=keys, how="left")


def effect_direction_plot(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """Effect direction plot (Thomson & Thomas 2013): rows = publications grouped by design (shaded), columns
    = outcomes (key outcomes first), ▲ benefit, ▼ harm, ◆ no clear effect or mixed, marker size by sample size.

    A publication whose findings have several designs gets one row per design. Above MAX_EDP_PUBLICATIONS
    publications only the most recent are drawn, and the title says so. customdata = (study_id, outcome).
    """
    title = "Effect direction plot"
    effect = stats.effect_rows(frame)
    if effect.empty:
        message = NO_DATA_MESSAGE if frame.empty else "No matching finding has a direction of effect"
        return _empty(title, subtitle, message)

    publications = _edp_publications(effect)
    if len(publications) > MAX_EDP_PUBLICATIONS:
        title += f": the {MAX_EDP_PUBLICATIONS} most recent of {len(publications):,} publications"
        publications = _most_recent(publications, MAX_EDP_PUBLICATIONS)
        effect = effect[effect["study_id"].isin(publications.index)]
    publications["label"] = _publication_labels(effect, publications)

    cells = _edp_cells(effect)
    rows = _edp_rows(cells, publications)
    columns = outcome_order(cells["outcome"], include_key=True)
    cells = cells.merge(rows[["study_id", "design", "row", "label"]], on=["study_id", "design"])
    cells["column"] = cells["outcome"].map({code: i for i, code in enumerate(columns)})
    cells["size"] = [schema.sample_size_band(None if pd.isna(n) else int(n))[1] for n in cells["n"]]

    fig = go.Figure()
    label_x = len(columns) - 0.3
    _shade_design_groups(fig, rows, label_x)
    for direction in schema.EFFECT_DIRECTIONS:
        part = cells[cells["direction"] == direction]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["column"],
                y=part["row"],
                mode="markers",
                name=escape(schema.DIRECTION.label(direction)),
                marker=_marker(schema.DIRECTION.colours[direction], schema.DIRECTION.symbols[direction], part["size"].tolist()),
                customdata=part[["study_id", "outcome"]].to_numpy(),
                hovertext=_edp_hover(part),
                hoverinfo="text",
                legendgroup="direction",
                legendgrouptitle=dict(text=escape(schema.DIRECTION.title)),
            )
        )
    bands = [(label, size) for label, _, _, size in schema.SAMPLE_SIZE_BANDS] + [schema.SAMPLE_SIZE_UNKNOWN]
    for band, size in bands:
        fig.add_trace(_legend_only(band, "size", "Participants", symbol="circle", color=AXIS_COLOUR, size=size))
    top_space = _outcome_columns(fig, columns)
    fig.update_xaxes(range=[-0.5, label_x + 2.4])
    fig.update_yaxes(
        tickvals=rows["row"].tolist(),
        ticktext=[escape(label) for label in rows["label"]],
        range=[len(rows) - 0.5, -0.5],
        showgrid=False,
        showline=False,
        ticks="",
    )
    fig.update_layout(
        height=max(300, EDP_ROW_HEIGHT * len(rows) + 30),
        legend=dict(itemsizing="trace", yanchor="top", y=1, x=1.02),
        hovermode="closest",
    )
    notes = ["Each marker is one publication's result on one outcome; disagreeing results count as mixed"]
    return _titled(fig, title, subtitle, notes, top_space)


def _edp_rows(cells: pd.DataFrame, publications: pd.DataFrame) -> pd.DataFrame:
    """One row per (publication, design), grouped by design in schema order, oldest first within a design."""
    rows = cells[["study_id", "design"]].drop_duplicates().astype({"design": str})
    rows = rows.join(publications[["date", "label"]], on="study_id")
    rows["design_order"] = rows["design"].map({code: i for i, code in enumerate(schema.DESIGN.codes)})
    rows = rows.sort_values(["design_order", "date", "label"], na_position="last").reset_index(drop=True)
    rows["row"] = range(len(rows))
    return rows


def _shade_design_groups(fig: go.Figure, rows: pd.DataFrame, label_x: float) -> None:
    """Shade each design's block of rows in its schema colour and name it at the right.

    Shapes and labels are laid out in one update rather than one add_shape / add_annotation call each.
    """
    shapes, labels = list(fig.layout.shapes), list(fig.layout.annotations)
    for design, block in rows.groupby("design", sort=False):
        top, bottom = block["row"].min() - 0.5, block["row"].max() + 0.5
        shapes.append(dict(
            type="rect", xref="paper", x0=0, x1=1, y0=top, y1=bottom,
            fillcolor=schema.DESIGN.colours[design], line=dict(width=0), layer="below",
        ))
        labels.append(dict(
            x=label_x, y=(top + bottom) / 2, text=f"<b>{_short_label(schema.DESIGN.label(design), 16)}</b>",
            showarrow=False, xanchor="left", align="left", font=dict(size=BASE_FONT_SIZE - 1, color=TEXT_COLOUR),
        ))
    fig.update_layout(shapes=shapes, annotations=labels)


def _edp_hover(cells: pd.DataFrame) -> list[str]:
    return _hover(
        cells["label"],
        _category_fields(cells, ("design", "outcome", "direction"))
        + [
            (schema.K_FORM.title, cells["k_form"]),
            (schema.LABELS["n_participants"], _counts_text(cells["n"])),
            (schema.LABELS["headline"], cells["headline"]),
        ],
    )


# ------------------------------------------------------------------------------------------ direction counts


def comparison_groups(frame: pd.DataFrame, split: str) -> list[tuple[str, pd.DataFrame]]:
    """The two sides of a comparison with their labels: K1 vs the K2 family, or with vs without D3."""
    if split == "k_family":
        return [
            (schema.K_FAMILY.label(family), frame[frame["k_form"].isin(schema.k_forms_of_family(family))])
            for family in schema.COMPARED_K_FAMILIES
        ]
    if split == "d3":
        return [(schema.D3.label(code), frame[frame["d3"] == code]) for code in schema.COMPARED_D3]
    raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")


def _left_out_note(frame: pd.DataFrame, split: str) -> str:
    """Names the publications neither side of the comparison covers, so nothing disappears silently."""
    if split == "k_family":
        compared = [code for family in schema.COMPARED_K_FAMILIES for code in schema.k_forms_of_family(family)]
        column, vocabulary = "k_form", schema.K_FAMILY
        others = [code for code in schema.K_FAMILY.codes if code not in schema.COMPARED_K_FAMILIES]
    else:
        compared, column, vocabulary = list(schema.COMPARED_D3), "d3", schema.D3
        others = [code for code in schema.D3.codes if code not in schema.COMPARED_D3]
    left_out = stats.effect_rows(frame)
    left_out = left_out.loc[~left_out[column].isin(compared), "study_id"].nunique()
    if not left_out:
        return ""
    names = ", ".join(vocabulary.label(code) for code in others)
    return f"Not shown: {_plural(left_out, 'publication')} ({names})"


def direction_counts(frame: pd.DataFrame, split: str = "k_family", subtitle: str = "") -> go.Figure:
    """Per-outcome counts of publications by direction, side by side for K1 vs K2 (split='k_family', K2 =
    K2 + MK-4 + MK-7) or with vs without D3 (split='d3')."""
    groups = comparison_groups(frame, split)
    title = "Direction of effect by outcome: " + " vs ".join(label for label, _ in groups)
    note = _left_out_note(frame, split)
    tables = [(label, stats.direction_table(part)) for label, part in groups]
    if all(table.empty for _, table in tables):
        message = NO_DATA_MESSAGE if frame.empty else "No matching finding on either side has a direction of effect"
        return _empty(title, subtitle, message, [note])

    outcomes = outcome_order({str(code) for _, table in tables for code in table.index})
    outcome_labels = [escape(schema.OUTCOME.label(code)) for code in outcomes]
    tables = [(label, table.set_axis(table.index.astype(str)).reindex(outcomes, fill_value=0)) for label, table in tables]
    largest = max(int(table.to_numpy().max()) for _, table in tables)
    fig = make_subplots(
        rows=1, cols=len(tables), shared_yaxes=True, horizontal_spacing=0.05,
        subplot_titles=[f"<b>{escape(label)}</b>" for label, _ in tables],
    )
    for column_number, (group_label, table) in enumerate(tables, start=1):
        for direction in schema.EFFECT_DIRECTIONS:
            label = escape(schema.DIRECTION.label(direction))
            values = table[direction].tolist()
            fig.add_trace(
                go.Bar(
                    y=outcome_labels,
                    x=values,
                    orientation="h",
                    name=label,
                    marker=dict(color=schema.DIRECTION.colours[direction]),
                    text=[str(v) if v else "" for v in values],
                    textposition="outside",
                    cliponaxis=False,
                    legendgroup=direction,
                    showlegend=column_number == 1,
                    hovertemplate=f"{escape(group_label)}<br>%{{y}}<br>{label}: %{{x}} publication(s)<extra></extra>",
                ),
                row=1,
                col=column_number,
            )
        _count_axis(functools.partial(fig.update_xaxes, row=1, col=column_number), largest)
    fig.update_layout(
        barmode="group", bargap=0.22, bargroupgap=0.04, height=max(280, 72 * len(outcomes) + 80),
        legend=dict(traceorder="normal"),
    )
    fig.update_annotations(font=dict(size=BASE_FONT_SIZE + 2, color=TEXT_COLOUR))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    notes = [n for n in ("Each publication counts once per outcome and side", note) if n]
    return _titled(fig, title, subtitle, notes, top_space=FACET_TITLE_SPACE)


# ------------------------------------------------------------------------------------------------- vote count


def vote_count(frame: pd.DataFrame, subtitle: str = "", min_publications: int = stats.MIN_PUBLICATIONS) -> go.Figure:
    """Per outcome with >= `min_publications` publications showing benefit or harm: the share showing benefit
    with its Wilson 95% interval and the exact sign-test p (labelled exploratory)."""
    title = "Vote count by direction of effect (exploratory)"
    notes = [
        f"Share of publications showing benefit among those showing benefit or harm; Wilson 95% interval; "
        f"exact two-sided sign test. Outcomes with at least {_plural(min_publications, 'such publication')}. "
        "A count of studies ignores effect sizes and quality: it is not proof"
    ]
    if frame.empty:
        return _empty(title, subtitle, NO_DATA_MESSAGE, notes)
    table = stats.vote_counts(frame, min_publications)
    shown = table[table["shown"]]
    if shown.empty:
        best = int(table["n_directional"].max()) if not table.empty else 0
        message = (
            f"No outcome has at least {min_publications} publications showing benefit or harm "
            f"under the current filters (the most is {best})"
        )
        return _empty(title, subtitle, message, notes)

    labels = [escape(schema.OUTCOME.label(code)) for code in shown.index]
    summaries = [
        f"{b:,} of {n:,} show benefit · p = {_p_text(p)}"
        for b, n, p in zip(shown[stats.BENEFIT], shown["n_directional"], shown["sign_test_p"])
    ]
    hover = [
        f"<b>{label}</b><br>Benefit: {b:,} · Harm: {h:,} (no clear effect: {ne:,}, mixed: {m:,})"
        f"<br>Share showing benefit: {s:.0%} (95% CI {lo:.0%}–{hi:.0%})<br>Sign test p = {_p_text(p)}"
        for label, b, h, ne, m, s, lo, hi, p in zip(
            labels, shown[stats.BENEFIT], shown[stats.HARM], shown["no_effect"], shown[stats.MIXED],
            shown["share_benefit"], shown["wilson_low"], shown["wilson_high"], shown["sign_test_p"],
        )
    ]
    fig = go.Figure(
        go.Scatter(
            x=shown["share_benefit"].tolist(),
            y=labels,
            mode="markers",
            marker=_marker(schema.DIRECTION.colours[stats.BENEFIT], "square", 14),
            error_x=dict(
                type="data",
                symmetric=False,
                array=(shown["wilson_high"] - shown["share_benefit"]).tolist(),
                arrayminus=(shown["share_benefit"] - shown["wilson_low"]).tolist(),
                color=TEXT_COLOUR,
                thickness=2,
                width=8,
            ),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            cliponaxis=False,
        )
    )
    fig.add_trace(  # the counts and p-values in a column of their own, clear of the intervals
        go.Scatter(
            x=[SUMMARY_COLUMN_X] * len(shown),
            y=labels,
            mode="text",
            text=summaries,
            textposition="middle right",
            textfont=dict(size=BASE_FONT_SIZE - 1, color=MUTED_TEXT_COLOUR),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_layout(shapes=[  # the 50 % line, as a plain shape: add_vline re-processes the whole layout
        dict(type="line", xref="x", x0=0.5, x1=0.5, yref="y domain", y0=0, y1=1,
             line=dict(color=AXIS_COLOUR, dash="dash", width=1.5))
    ])
    fig.update_xaxes(
        title_text="Share showing benefit (dashed line: as many show benefit as harm)",
        range=[0, 1.75],
        tickformat=".0%",
        tickvals=[0, 0.25, 0.5, 0.75, 1],
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_layout(height=max(200, 64 * len(shown) + 110))
    return _titled(fig, title, subtitle, notes)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


# ----------------------------------------------------------------------------------------------- evidence map


def evidence_map_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (k_form, outcome) with findings: publications, publications with an effect direction, and those
    showing benefit, and the share showing benefit (NaN where no publication has a direction)."""
    keys = ["k_form", "outcome"]
    publications = frame.groupby(keys, observed=True)["study_id"].nunique().rename("publications")
    directions = stats.study_directions(frame, by=["k_form"])
    with_direction = directions.groupby(keys, observed=True).size().rename("with_direction")
    benefit = directions[directions["direction"] == stats.BENEFIT].groupby(keys, observed=True).size().rename("benefit")
    cells = pd.concat([publications, with_direction, benefit], axis=1).fillna(0).astype(int).reset_index()
    cells["k_form"] = cells["k_form"].astype(str)
    cells["outcome"] = cells["outcome"].astype(str)
    cells["share_benefit"] = (cells["benefit"] / cells["with_direction"].where(cells["with_direction"] > 0)).astype(float)
    return cells


def evidence_map(frame: pd.DataFrame, subtitle: str = "") -> go.Figure:
    """K form x outcome bubbles: area = distinct publications, colour = share of those with a direction of effect
    that show benefit. customdata = (k_form, outcome) codes so a selected bubble can list its findings."""
    title = "Evidence map: vitamin K form × outcome"
    if frame.empty:
        return _empty(title, subtitle)
    cells = evidence_map_cells(frame)
    columns = outcome_order(cells["outcome"])
    rows = [code for code in schema.K_FORM.codes if code in set(cells["k_form"])]
    cells["x"] = cells["outcome"].map({code: i for i, code in enumerate(columns)})
    cells["y"] = cells["k_form"].map({code: i for i, code in enumerate(rows)})
    bubble_area = dict(sizemode="area", sizeref=2 * int(cells["publications"].max()) / MAX_BUBBLE_DIAMETER**2, sizemin=10)
    no_direction = schema.DIRECTION[stats.NO_EFFECT_STATED]

    fig = go.Figure()
    for has_direction, part in cells.groupby(cells["with_direction"] > 0):
        sizes = part["publications"].tolist()
        if has_direction:
            fills = [_share_colour(share) for share in part["share_benefit"]]
            marker = _marker(fills, "circle", sizes, **bubble_area)
            name, text_colours = "Publications with a direction of effect", [_readable_on(fill) for fill in fills]
        else:  # nothing to colour: an open ring, as 'no effect stated' is drawn everywhere
            marker = _marker(no_direction.colour, no_direction.symbol, sizes, **bubble_area)
            name, text_colours = escape(no_direction.label), [TEXT_COLOUR] * len(part)
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers+text",
                text=[f"{n:,}" for n in part["publications"]],
                textfont=dict(color=text_colours, size=BASE_FONT_SIZE - 2),
                marker=marker,
                name=name,
                customdata=part[["k_form", "outcome"]].to_numpy(),
                hovertext=_evidence_hover(part),
                hoverinfo="text",
                showlegend=not has_direction,
            )
        )
    fig.add_trace(_share_colour_bar())
    top_space = _outcome_columns(fig, columns)
    fig.update_xaxes(range=[-0.6, len(columns) - 0.4], showgrid=True)
    fig.update_yaxes(
        tickvals=list(range(len(rows))),
        ticktext=[escape(schema.K_FORM.label(code)) for code in rows],
        range=[len(rows) - 0.4, -0.6],
    )
    fig.update_layout(
        height=max(300, 78 * len(rows) + 90),
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, itemsizing="constant"),
        hovermode="closest",
    )
    notes = ["Bubble area = number of publications; colour = share of those with a direction of effect that show benefit"]
    return _titled(fig, title, subtitle, notes, top_space)


def _share_scale() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ends of the share-showing-benefit scale (RGB): light neutral to the schema's benefit colour.

    One hue from light to dark stays readable under every kind of colour-blindness.
    """
    return _rgb(NEUTRAL_FILL), _rgb(schema.DIRECTION.colours[stats.BENEFIT])


def _rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))


def _share_colour(share: float) -> str:
    low, high = _share_scale()
    return "#" + "".join(f"{round(a + (b - a) * share):02X}" for a, b in zip(low, high))


def _readable_on(fill: str) -> str:
    """Dark or white text, whichever contrasts more with `fill` (WCAG relative luminance)."""
    channels = [c / 255 for c in _rgb(fill)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#FFFFFF" if luminance < 0.2 else TEXT_COLOUR


def _share_colour_bar() -> go.Scatter:
    """An invisible trace that carries the colour bar of the share-showing-benefit scale."""
    low, high = _share_scale()
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker=dict(
            color=[0, 1],
            cmin=0,
            cmax=1,
            colorscale=[[0, f"rgb{low}"], [1, f"rgb{high}"]],
            colorbar=dict(title=dict(text="Share showing<br>benefit", side="top"), tickformat=".0%", len=0.8, thickness=16),
        ),
    )


def _evidence_hover(cells: pd.DataFrame) -> list[str]:
    texts = []
    for form, outcome, publications, with_direction, benefit, share in zip(
        cells["k_form"], cells["outcome"], cells["publications"], cells["with_direction"], cells["benefit"], cells["share_benefit"]
    ):
        lines = [
            f"<b>{escape(schema.K_FORM.label(form))} · {escape(schema.OUTCOME.label(outcome))}</b>",
            f"Publications: {publications:,}",
        ]
        if with_direction:
            lines.append(f"With a direction of effect: {with_direction:,}, of which {benefit:,} show benefit ({share:.0%})")
        else:
            lines.append("None states a direction of effect")
        texts.append("<br>".join(lines))
    return texts
