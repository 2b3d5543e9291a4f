"""The one look every chart shares, and the helpers every chart builder uses.

A builder takes the typed (filtered) findings frame and the active-filter caption as `subtitle`, and returns a
figure ready for a slide: the shared light, high-contrast look, a title and a subtitle naming the filters;
colours, symbols, labels and orders only from `kviz.schema`; every data string escaped before plotly sees it
(plotly renders a subset of HTML in titles, ticks, legends and hover text, so a headline such as "<b>" must reach
the reader as text); an empty frame gives a figure with a plain message and no axes, never an exception.
"""

from __future__ import annotations

import copy
import functools
import html
import math
import re
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kviz import schema

NO_DATA_MESSAGE = "No findings match the current filters"

# The one shared look: white background, dark text, large type that survives a projector.
TEXT_COLOUR = "#1A1A1A"
MUTED_TEXT_COLOUR = "#4D4D4D"
GRID_COLOUR = "#E3E3E3"
AXIS_COLOUR = "#7F7F7F"
MARKER_OUTLINE = "#333333"
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


_AXIS_NAME = re.compile(r"[xy]axis\d*")
_SLIDE_TEMPLATE_JSON = SLIDE_TEMPLATE.to_plotly_json()


def slide_layout(layout: dict) -> dict:
    """`layout` (plotly JSON) with the slide look laid under it as explicit values, not only as a template: a page
    theme (Streamlit's, unless the page passes theme=None) overrides template values but not these. Every axis
    `layout` names gets the slide axis look (the first x and y axes when it names none). An empty list (no shapes)
    is left out, as plotly leaves it out."""
    layout = {key: value for key, value in layout.items() if not (isinstance(value, list) and not value)}
    result = _merged(copy.deepcopy(SLIDE_LAYOUT), layout)
    for name in [key for key in layout if _AXIS_NAME.fullmatch(key)] or ["xaxis", "yaxis"]:
        result[name] = _merged(copy.deepcopy(SLIDE_AXIS), layout.get(name, {}))
    result["template"] = copy.deepcopy(_SLIDE_TEMPLATE_JSON)
    return result


# ----------------------------------------------------------------------------------------------- text helpers


def escape(text: object) -> str:
    """A data string made safe for plotly text: <, > and & shown as themselves, never as markup."""
    return html.escape("" if text is None else str(text), quote=False)


@functools.lru_cache(maxsize=None)
def _line_pattern(width: int) -> re.Pattern:
    """Up to `width` characters ending at a space (or a `width`-long piece of an unbroken word)."""
    return re.compile(r"\S.{0,%d}(?=\s|$)|\S{1,%d}" % (width - 1, width))


def wrapped(text: str, width: int) -> str:
    """Escape, then wrap long text into lines joined with plotly's <br> (regex-based: fast on 100k rows)."""
    if len(text) <= width:
        return escape(text)
    return "<br>".join(escape(line) for line in _line_pattern(width).findall(text))


def short_label(label: str, width: int = 14) -> str:
    """A category label wrapped onto two lines for crowded axes."""
    return wrapped(label, width)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _wrapped_texts(values: pd.Series | Sequence, width: int = HOVER_WIDTH) -> list[str]:
    """`wrapped` for each value of a column (or list) as text, missing values as '', computed once per distinct
    value."""
    texts = [("" if pd.isna(value) else str(value)) for value in
             (values.tolist() if isinstance(values, pd.Series) else values)]
    lookup = {text: wrapped(text, width) for text in set(texts)}
    return [lookup[text] for text in texts]


def hover_texts(heading: pd.Series | Sequence, fields: Sequence[tuple[str, pd.Series | Sequence]]) -> list[str]:
    """Hover text per row: `heading` in bold, then 'Label: value' for each field (a column or a list of the same
    length) whose value is not empty.

    Plain lists, not Series arithmetic: a few string joins per row cost less than a pandas operation per field."""
    labelled = [(f"<br>{escape(label)}: ", _wrapped_texts(column)) for label, column in fields]
    return [
        "".join([f"<b>{title}</b>", *(prefix + values[i] for prefix, values in labelled if values[i])])
        for i, title in enumerate(_wrapped_texts(heading))
    ]


def category_fields(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """Hover fields for categorical columns: the vocabulary's title and each row's label."""
    return [(schema.VOCABULARIES[column].title, category_labels(frame[column], column)) for column in columns]


def category_labels(series: pd.Series, column: str) -> pd.Series:
    """Human labels for a categorical column (missing values become ''); a categorical column's labels are looked
    up once per category, not once per row."""
    labels = schema.VOCABULARIES[column].labels
    if isinstance(series.dtype, pd.CategoricalDtype):
        by_code = np.array([labels.get(str(code), "") for code in series.cat.categories] + [""], dtype=object)
        return pd.Series(by_code[series.cat.codes.to_numpy()], index=series.index, dtype=object)
    return pd.Series([labels.get(code, "") if isinstance(code, str) else "" for code in series.tolist()],
                     index=series.index, dtype=object)


def counts_text(series: pd.Series) -> pd.Series:
    return series.map(lambda n: "" if pd.isna(n) else f"{int(n):,}").astype(str)


# --------------------------------------------------------------------------------------------- layout helpers


def slide_figure(traces: list[dict], layout: dict, title: str, subtitle: str = "", notes: Iterable[str] = (),
                 top_space: int = TITLE_GAP) -> go.Figure:
    """The figure every builder returns: its traces and layout (plotly JSON: dicts with a trace `type`, lists,
    numpy arrays) under the title block (the title, then the subtitle: the filter caption and any notes) and the
    slide look.

    `layout["height"]` is the plot area's; the title block and `top_space` (pixels kept between the subtitle and
    the plot, for what sits there) come on top. The figure is made in one step without plotly's per-property
    validation, which was most of a build's time: tests build every chart again with validation and require the
    same JSON, so a property plotly would reject or change fails there.
    """
    style = f"font-size:{SUBTITLE_FONT_SIZE}px;color:{MUTED_TEXT_COLOUR};font-weight:normal"
    lines = [f"<b>{escape(title)}</b>"]
    for text in (subtitle, *notes):  # each wrapped line gets its own span: styles end at a <br>
        lines += [f'<span style="{style}">{line}</span>' for line in wrapped(text, SUBTITLE_WIDTH).split("<br>") if line]
    title_height = int(TITLE_LINE_HEIGHT * len(lines)) + TITLE_TOP + top_space
    layout = _merged(layout, {"title": {"text": "<br>".join(lines), "pad": {"b": top_space}},
                              "height": (layout.get("height") or DEFAULT_PLOT_HEIGHT) + title_height})
    return go.Figure({"data": traces, "layout": slide_layout(layout)}, _validate=False)


def empty_figure(title: str, subtitle: str = "", message: str = NO_DATA_MESSAGE, notes: Iterable[str] = ()) -> go.Figure:
    """A figure with no axes and one plain message: what every builder returns when there is nothing to draw."""
    annotation = dict(text=escape(message), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                      font=dict(size=BASE_FONT_SIZE + 3, color=MUTED_TEXT_COLOUR))
    layout = dict(annotations=[annotation], xaxis=dict(visible=False), yaxis=dict(visible=False), height=200)
    return slide_figure([], layout, title, subtitle, notes)


def marker_style(colour: str, symbol: str, size, **extra) -> dict:
    """A fully opaque marker with a dark outline; open symbols get a thicker line in their own colour."""
    outline = dict(width=2.5) if symbol.endswith("-open") else dict(color=MARKER_OUTLINE, width=1)
    # plotly fades markers with per-point sizes to 70 % unless told otherwise.
    return dict(color=colour, symbol=symbol, size=size, opacity=1, line=outline, **extra)


def legend_only(name: str, group: str, group_title: str, **marker) -> dict:
    """A legend entry with no points, for encodings that are not traces of their own (symbol, size)."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=escape(name), marker=marker,
                legendgroup=group, legendgrouptitle=dict(text=escape(group_title)), hoverinfo="skip")


def outcome_order(present: Iterable[str] = (), include_key: bool = False) -> list[str]:
    """Outcome codes in display order: the key outcomes first, then the rest in schema order.

    Only outcomes in `present` are listed, plus the key outcomes when `include_key` is true.
    """
    wanted = set(present) | (set(schema.KEY_OUTCOMES) if include_key else set())
    ordered = list(schema.KEY_OUTCOMES) + [c for c in schema.OUTCOME.codes if c not in schema.KEY_OUTCOMES]
    return [code for code in ordered if code in wanted]


def present_codes(frame: pd.DataFrame, column: str) -> list[str]:
    """The codes of a categorical column that occur in `frame`, in schema order."""
    seen = {str(code) for code in frame[column].dropna().unique()}
    if column == "outcome":
        return outcome_order(seen)
    return [code for code in schema.VOCABULARIES[column].codes if code in seen]


def outcome_columns(columns: list[str]) -> tuple[dict, int]:
    """Outcome labels as column headers above the plot: the x axis settings, and the height they need (for
    `slide_figure`'s `top_space`).

    Up to a few columns the labels stay horizontal (wrapped); more are slanted so they never overlap.
    """
    labels = [schema.OUTCOME.label(code) for code in columns]
    slanted = len(columns) > HORIZONTAL_COLUMNS
    axis = dict(
        tickvals=list(range(len(columns))),
        ticktext=[escape(label) if slanted else short_label(label) for label in labels],
        tickangle=-COLUMN_LABEL_ANGLE if slanted else 0,
        side="top",
        showline=False,
        ticks="",
    )
    if slanted:
        longest = max(len(label) for label in labels) * CHARACTER_WIDTH
        return axis, int(longest * math.sin(math.radians(COLUMN_LABEL_ANGLE))) + 2 * BASE_FONT_SIZE
    lines = max(short_label(label).count("<br>") + 1 for label in labels)
    return axis, int(lines * BASE_FONT_SIZE * 1.3) + BASE_FONT_SIZE


def count_axis(largest: int, title: str = "Publications") -> dict:
    """A count axis from zero: whole numbers only (no 0.5 publications), room for labels above the bars."""
    axis = dict(title=dict(text=title), range=[0, largest * 1.15 + 0.5], tickformat=",d")
    if largest <= 6:
        axis["dtick"] = 1
    return axis


# Saved images are 16:9 for slides: at least 1920×1080, taller charts keep their height and get wider to match.
EXPORT_HEIGHT = 1080
EXPORT_ASPECT = 16 / 9
EXPORT_SCALE = 2


def chart_config(filename: str, image_format: str = "png", height: float | None = None) -> dict:
    """plotly config for slide-ready export: no logo; the camera button saves a 16:9 image named `filename`
    (`height`: the figure's own, so a tall chart is not squeezed into 1080 px).

    `image_format` may be 'svg' for charts without WebGL traces (WebGL cannot be vector-exported).
    """
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", filename).strip("-.") or "kviz_chart"
    export_height = max(EXPORT_HEIGHT, int(height or 0))
    return {
        "displaylogo": False,
        # The toolbar (camera included) appears while the pointer is over the chart: always shown, it covered
        # the right end of long titles and cluttered projected slides.
        "displayModeBar": "hover",
        "responsive": True,
        "toImageButtonOptions": {
            "format": image_format, "scale": EXPORT_SCALE, "filename": safe_name,
            "width": round(export_height * EXPORT_ASPECT), "height": export_height,
        },
    }


SOURCE_LINE_FONT_SIZE = 12


def add_source_line(fig: go.Figure, text: str) -> go.Figure:
    """Append a small source line (kviz, data version, date, link) to the title block, so a saved image says where
    it came from; the figure grows by the line's height."""
    style = f"font-size:{SOURCE_LINE_FONT_SIZE}px;color:{MUTED_TEXT_COLOUR};font-weight:normal"
    lines = [f'<span style="{style}">{line}</span>' for line in wrapped(text, SUBTITLE_WIDTH).split("<br>")]
    fig.update_layout(title_text="<br>".join([fig.layout.title.text or "", *lines]),
                      height=(fig.layout.height or DEFAULT_PLOT_HEIGHT) + int(TITLE_LINE_HEIGHT * len(lines)))
    return fig


_FONT_SIZE_IN_TEXT = re.compile(r"font-size:(\d+(?:\.\d+)?)px")
_SCALED_LENGTHS = ("size", "pad", "tracegroupgap", "l", "r", "t", "b", "yshift", "xshift", "standoff")
_DATA_UNIT_PARENTS = ("xbins", "ybins")  # their `size` is in data units, not pixels


def _zoomed(value: Any, factor: float, key: str = "", parent: str = "") -> Any:
    """A plotly JSON value with every font size, marker size, line width, margin and inline text size multiplied by
    `factor` (a bar's `width` is in data units and stays)."""
    if isinstance(value, dict):
        return {k: _zoomed(v, factor, k, key) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_zoomed(v, factor, key, parent) for v in value]
    if isinstance(value, str):
        return _FONT_SIZE_IN_TEXT.sub(lambda m: f"font-size:{float(m.group(1)) * factor:.0f}px", value)
    pixels = (key in _SCALED_LENGTHS and parent not in _DATA_UNIT_PARENTS) or (key == "width" and parent == "line")
    if not pixels:
        return value
    if isinstance(value, np.ndarray):
        return value * factor if value.dtype.kind in "iuf" else value
    return value * factor if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def zoomed(fig: go.Figure, factor: float, height: int) -> go.Figure:
    """The figure drawn `factor` times larger (text, markers, margins, title room), `height` pixels tall: a chart
    designed for a 720-pixel screen, shown on a larger one."""
    data = fig.to_plotly_json()
    layout = _zoomed({k: v for k, v in data["layout"].items() if k != "template"}, factor)
    layout["height"] = height
    zoomed_fig = go.Figure(data=[_zoomed(trace, factor) for trace in data["data"]], layout=layout)
    zoomed_fig.layout.template = fig.layout.template
    return zoomed_fig
