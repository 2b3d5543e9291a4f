"""Presentation mode: a title card, then the key charts one slide at a time, filling the screen, for meetings.

No page heading and one slim row of controls: the rest of the screen is the slide. Charts are laid out for the
browser window's size (kviz.charts.slides): text grows with the screen, and tall charts are split over several
slides rather than shrunk. The slide number is kept in the URL (`?slide=3`) like the filters, so a copied link
reopens the same slide with the same filters, and the browser's Back and Forward step through the slides shown.
Previous / Next also answer the ← and → keys.

The server's session, not the browser, holds the slide number; the URL is written from it. Browser-held copies
lost presses: with a URL-bound `st.pagination` that Previous / Next wrote to, or with the query parameter itself,
a rerun the browser sent meanwhile (the pagination widget reports itself after it is drawn) carried the old slide
back and undid the press (the browser test caught it in about one run of three).
"""

import dataclasses
import datetime

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from kviz import filters, report, ui
from kviz.charts import catalogue, slides
from kviz.charts.style import add_source_line, chart_config
from kviz.ui.viewport import window_size

SLIDE_KEY = "slide"  # the URL parameter
SHOWN_SLIDE_KEY = "presentation_slide"  # the session's slide number, which the URL follows
IMAGE_FORMAT_KEY = "image"
IMAGE_FORMATS = {"png": "PNG", "svg": "SVG"}
DEFAULT_WINDOW = (1920, 1080)  # until the browser has told its size (and in tests)
# Less room than the header strip Streamlit keeps above every page, and no footer padding: the slide fills the rest.
SLIDE_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.1rem; padding-bottom: 0.25rem; }
</style>"""


def _slide_in_url() -> int:
    """The slide the URL names; the title card for a missing or malformed number."""
    text = st.query_params.get(SLIDE_KEY, "")
    return int(text) if text.isdecimal() else 1


def _kept_slide(count: int) -> int:
    """The session's slide, or the title card while that is past this deck's end (kept: the first run lays the deck
    out for a default screen, and a smaller screen's deck, the one a link may come from, has more slides)."""
    slide = st.session_state.get(SHOWN_SLIDE_KEY, 1)
    return slide if 1 <= slide <= count else 1


def _shown_slide(count: int) -> int:
    """The slide to show, kept by the session and written to the URL. The URL decides only when it is new to the
    session: on opening the page or a link, and on the browser's Back / Forward; a rerun the browser sends with an
    older URL does not undo a press. (Back / Forward is told by the run context: Streamlit has no public flag for
    it; without one, Back keeps the slide shown.)"""
    context = get_script_run_ctx()
    if SHOWN_SLIDE_KEY not in st.session_state or getattr(context, "is_history_navigation", False):
        st.session_state[SHOWN_SLIDE_KEY] = _slide_in_url()
    slide = _kept_slide(count)
    if slide == 1:  # the deck's own link stays clean
        st.query_params.pop(SLIDE_KEY, None)
    elif st.query_params.get(SLIDE_KEY) != str(slide):
        st.query_params[SLIDE_KEY] = str(slide)
    return slide


def _step(by: int, count: int) -> None:
    """Previous / Next: one slide on, staying on the first or last slide at the ends."""
    st.session_state[SHOWN_SLIDE_KEY] = min(max(_kept_slide(count) + by, 1), count)


def _jump(picker_key: str, drawn_on: int) -> None:
    """A page number chosen in the pagination widget drawn on slide `drawn_on`. The widget also reports its own
    page after it is drawn, which can arrive after a later press: that is not a choice."""
    chosen = st.session_state[picker_key]
    if chosen != drawn_on:
        st.session_state[SHOWN_SLIDE_KEY] = chosen


def _title_card(view: ui.View, today: datetime.date) -> None:
    st.title(report.TITLE, anchor=False)
    newest = report.newest_publication(view.findings)
    with st.container(horizontal=True, gap="large"):
        st.metric("Findings shown", f"{len(view.rows):,} of {len(view.findings):,}", border=True)
        st.metric("Publications", f"{view.rows['study_id'].nunique():,}", border=True)
        st.metric("Newest publication in the data", newest or "—", border=True)
        st.metric("Presented", today.isoformat(), border=True)
    st.subheader("Filters", anchor=False)
    # These lines are built from schema labels and numbers only; the search words (user text) come as plain text.
    for line in filters.describe(dataclasses.replace(view.state, search="")) or ["None: all findings"]:
        st.header(line, anchor=False)
    if view.state.search:
        st.text(f"Search: “{view.state.search}”")
    if view.rows.empty:
        st.warning("No findings match these filters: the charts will be empty.", icon=":material/filter_alt_off:")
        ui.reset_button(view, key="reset_presentation")
    st.caption(report.CAVEAT)
    st.download_button(
        "Download report (HTML, works offline)",
        data=lambda: report.html_report(view.findings, view.state, today).encode("utf-8"),
        file_name=report.report_filename(view.state, today),
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
        help="One file with the filters, these charts, the findings table and the citations; "
        "it opens in any browser without a server or network.",
    )


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Laying out the slides for this screen…")
def _deck(data_token: str, state: filters.FilterState, slide_height: int, zoom: float, source: str,
          _rows: pd.DataFrame) -> list[slides.Slide]:
    """The slides for this data, these filters and this screen: laid out once, shared by every session."""
    return slides.slides(catalogue.PRESENTATION_CHARTS, _rows, state, slide_height, zoom,
                         decorate=lambda figure: add_source_line(figure, source))


def _chart_slide(view: ui.View, slide: slides.Slide, number: int, today: datetime.date, slide_height: int,
                 zoom: float, image_format: str) -> None:
    source = ui.source_line(view, today)  # this slide's own link
    figure = ui.shared_figure(view, slide.chart, variant=(slide.keys, source), build=lambda: slides.design_figure(
        slide, view.rows, view.state, lambda built: add_source_line(built, source)))
    name = slide.chart.filename(view.state, today) + (f"_part-{slide.part}" if slide.parts > 1 else "")
    shown = slides.on_screen(figure, slide_height, zoom)
    st.plotly_chart(shown, width="stretch", theme=None, key=f"slide_{number}",
                    config=chart_config(name, image_format=image_format, height=shown.layout.height))


view = ui.page_view("", shows_findings=False)
st.html(SLIDE_STYLE)
today = datetime.date.today()
_, window_height = window_size(DEFAULT_WINDOW)
slide_height, zoom = slides.slide_area(window_height)
# Measured with the source line of the deck's own link; each slide then carries its own (with ?slide=N).
deck = _deck(view.data_token, view.state, slide_height, zoom, ui.source_line(view, today, slide=None), view.rows)
count = 1 + len(deck)  # the title card, then the chart slides

with st.container(horizontal=True, vertical_alignment="center", gap="small"):  # one slim row, also at 1280 × 720
    st.button("Previous", icon=":material/arrow_back:", on_click=_step, args=(-1, count), shortcut="Left",
              help="Previous slide (← key)")
    slide = _shown_slide(count)
    picker_key = f"slide_picker_{slide}"  # a new widget per slide, drawn on it
    st.pagination(count, default=slide, max_visible_pages=5, key=picker_key, on_change=_jump,
                  args=(picker_key, slide))
    st.button("Next", icon=":material/arrow_forward:", icon_position="right", on_click=_step, args=(1, count),
              shortcut="Right", help="Next slide (→ key)")
    image_format = st.segmented_control(
        "Camera button saves", list(IMAGE_FORMATS), format_func=IMAGE_FORMATS.get, default="png", required=True,
        key=IMAGE_FORMAT_KEY, bind="query-params", label_visibility="collapsed",
        help="Image format of the chart's camera button: PNG (high resolution) or SVG (vector, for slides).",
    )
    upcoming = f" · next: {deck[slide - 1].title}" if slide < count else ""
    st.caption(f"Slide {slide} of {count}{upcoming}")

if slide == 1:
    _title_card(view, today)
else:
    _chart_slide(view, deck[slide - 2], slide - 2, today, slide_height, zoom, image_format)
