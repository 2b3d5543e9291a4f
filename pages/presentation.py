"""Presentation mode: a title card, then the key charts one slide at a time, filling the screen, for meetings.

No page heading and one slim row of controls: the rest of the screen is the slide. Charts are laid out for the
browser window's size (kviz.charts.slides): text grows with the screen, and tall charts are split over several
slides rather than shrunk. The slide number is bound to the URL (`?slide=3`) like the filters, so a copied link
reopens the same slide with the same filters. Previous / Next also answer the ← and → keys.
"""

import dataclasses
import datetime

import pandas as pd
import streamlit as st

from kviz import filters, report, ui
from kviz.charts import catalogue, slides
from kviz.charts.style import add_source_line, chart_config
from kviz.ui.viewport import window_size

SLIDE_KEY = "slide"
IMAGE_FORMAT_KEY = "image"
IMAGE_FORMATS = {"png": "PNG", "svg": "SVG"}
DEFAULT_WINDOW = (1920, 1080)  # until the browser has told its size (and in tests)
# Less room than the header strip Streamlit keeps above every page, and no footer padding: the slide fills the rest.
SLIDE_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.1rem; padding-bottom: 0.25rem; }
</style>"""


def _step(by: int, count: int) -> None:
    """Previous / Next: move the bound slide number, staying on the first or last slide at the ends."""
    current = st.session_state.get(SLIDE_KEY, 1)
    st.session_state[SLIDE_KEY] = min(max(current + by, 1), count)


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
    slide = st.pagination(count, max_visible_pages=5, key=SLIDE_KEY, bind="query-params")
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
