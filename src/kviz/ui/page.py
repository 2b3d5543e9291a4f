"""What every page does alike: its opening (notices, title, counts, the empty state) and its charts."""

from __future__ import annotations

import datetime
from typing import Any, Callable
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from kviz import filters, loader
from kviz.charts import style
from kviz.charts.catalogue import Chart
from kviz.ui.data import data_label, upload_lost_notice
from kviz.ui.sidebar import FIELD_KEYS, View, current_view, filter_defaults, has_view, reset_button, reset_widgets


def _route_through_app() -> None:
    """Send a run that did not come through app.py back through it.

    With a `pages/` folder next to app.py, a fresh server runs `pages/<name>.py` on its own (Streamlit's old
    multipage mode) until app.py has run once; a shared link opened first would get no data and no filters.
    Clearing the flag and rerunning sends the run through app.py, which lands on the linked page with its URL
    filters. A session without a view is rerouted too, whatever the flag says: with several links opened at once
    on a cold server, one run clears the process-wide flag while another is already inside a page.
    (Internal flag: the cold-link browser tests prove it still works, one link and eight at once.)
    """
    if PagesManager.uses_pages_directory or not has_view():
        PagesManager.uses_pages_directory = False
        st.rerun()


def _ignored_link_notice(view: View) -> None:
    """Link values no filter accepts, at the top of the page where they are seen (plain text: they come from the URL)."""
    ignored = view.ignored_link_values
    if ignored:
        with st.container(border=True):
            st.caption(":material/info: Ignored in the link you opened (not a known value):")
            st.text("\n".join(ignored))


def page_view(title: str, intro: str = "", *, shows_findings: bool = True) -> View:
    """Every page's first call: the current view under a title; with no matching rows, the way out, then stop."""
    _route_through_app()
    view = current_view()
    upload_lost_notice()
    _ignored_link_notice(view)
    if title:
        st.title(title)
    if intro:
        st.markdown(intro)
    if not shows_findings:
        return view
    st.text(f"{view.count_line}  —  {view.caption}")  # plain text: the search words come from the URL
    if view.rows.empty:
        empty_state(view)
        st.stop()
    return view


def coverage(findings: pd.DataFrame) -> str:
    """'208 findings from 111 publications, 1995–2025': what the table covers."""
    bounds = filters.year_bounds(findings)
    years = "" if bounds is None else f", {bounds[0]}–{bounds[1]}" if bounds[0] < bounds[1] else f", {bounds[0]}"
    return loader.summary_line(findings) + years


def empty_state(view: View) -> None:
    """Why nothing matches, and one button per active filter that takes it away, with what that would leave."""
    defaults = filter_defaults(view.findings)
    with st.container(border=True):
        st.subheader(":material/filter_alt_off: No finding matches all these filters", anchor=False)
        st.markdown(f"This combination has no finding in the table, which covers {coverage(view.findings)}. "
                    "Take one filter away to see the nearest evidence:")
        with st.container(horizontal=True):
            for way_out in filters.relaxations(view.state):
                left = len(filters.apply_filters(view.findings, way_out.state))
                # Schema labels only: the search words are user text, and a button label reads Markdown.
                name = "the search" if way_out.field == "search" else f"*{way_out.words}*"
                st.button(
                    f"Without {name}: {left:,} finding{'s' if left != 1 else ''}", key=f"without_{way_out.field}",
                    on_click=reset_widgets, args=(defaults, FIELD_KEYS[way_out.field]), disabled=left == 0,
                    icon=":material/filter_alt_off:",
                )
        reset_button(view, key="reset_empty", type="primary")


def page_choice(label: str, options: dict[str, str], key: str, help: str = "") -> str:
    """A page's own switch (e.g. timeline rows), bound to the URL like the filters."""
    return st.segmented_control(
        label, list(options), format_func=options.get, default=next(iter(options)), required=True,
        key=key, bind="query-params", help=help or None,
    )


def view_link(**replaced: str | None) -> str:
    """This view's address with its filters (what a copied link would open); `replaced` sets or (None) drops
    parameters."""
    params = [(key, value) for key in st.query_params for value in st.query_params.get_all(key) if key not in replaced]
    params += [(key, value) for key, value in replaced.items() if value is not None]
    base = str(st.context.url or "").split("?")[0]
    return base + ("?" + urlencode(params) if params else "")


def source_line(view: View, on: datetime.date, **link_parameters: str | None) -> str:
    """What a saved chart image says about itself: kviz, the data's version, the filters, the date, the view's link
    (with `link_parameters` set or dropped)."""
    return " · ".join(["kviz", data_label(), view.caption, on.isoformat(), view_link(**link_parameters)])


# Figures shared by every session: twenty visitors of one link get the same figure built once. Keyed by the data's
# identity, the filters, the chart and the page's own choices; the data itself is not hashed (View.data_token).
FIGURE_CACHE_ENTRIES = 256
FIGURE_CACHE_SECONDS = 3600


@st.cache_data(max_entries=FIGURE_CACHE_ENTRIES, ttl=FIGURE_CACHE_SECONDS, show_spinner=False)
def _shared_figure_spec(data_token: str, state: filters.FilterState, chart_key: str, variant: tuple,
                        _build: Callable[[], go.Figure]) -> dict:
    return _build().to_dict()


def shared_figure(view: View, chart: Chart, *, build: Callable[[], go.Figure] | None = None,
                  variant: tuple = ()) -> go.Figure:
    """The chart's figure for the view (a copy: callers may change it), built at most once for all sessions;
    `build` makes a variant with a page's own choices, which `variant` names.

    The cache keeps the figure as a plain dict, validated when it was built: a hit wraps it without validating every
    property again (unpickling a Figure would), which was most of a cached page run's time.
    """
    spec = _shared_figure_spec(view.data_token, view.state, chart.key, variant,
                               _build=build or (lambda: chart.figure(view.rows, view.state)))
    return go.Figure(spec, _validate=False)


@st.cache_data(max_entries=FIGURE_CACHE_ENTRIES, ttl=FIGURE_CACHE_SECONDS, show_spinner=False)
def _shared_result(data_token: str, state: filters.FilterState, chart_key: str, variant: tuple,
                   _build: Callable[[], Any]) -> Any:
    return _build()


def shared_result(view: View, chart: Chart, build: Callable[[], Any], variant: tuple = ()) -> Any:
    """What a page derives from the view for `chart` and shows beside it (its vote counts, its pooled analysis),
    computed at most once for all sessions like the figure; `variant` names the page's own choices."""
    return _shared_result(view.data_token, view.state, chart.key, variant, _build=build)


def chart(view: View, chart: Chart, *, build: Callable[[], go.Figure] | None = None, variant: tuple = (),
          key: str | None = None, selectable: bool = False) -> Any:
    """Draw a catalogue chart full width for the view (`build` and `variant`: see shared_figure).

    Its camera button saves a 16:9 image named after the chart and the filters, with the source line at its foot.
    """
    today = datetime.date.today()
    fig = style.add_source_line(shared_figure(view, chart, build=build, variant=variant), source_line(view, today))
    return st.plotly_chart(
        fig, width="stretch", config=style.chart_config(chart.filename(view.state, today), height=fig.layout.height),
        key=key, on_select="rerun" if selectable else "ignore", selection_mode=("points", "box"),
    )


def selected_rows(event: Any, rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows behind the selected points of a chart drawn with `selectable=True`.

    Each point's customdata starts with the values of `columns` (e.g. finding_id; or k_form, outcome).
    """
    points = event.selection.points if event else []
    wanted = {tuple(str(v) for v in point["customdata"][: len(columns)]) for point in points if point.get("customdata")}
    if not wanted:
        return rows.iloc[:0]
    keys = zip(*(rows[column].astype(str) for column in columns))
    return rows[[key in wanted for key in keys]]
