"""Presentation mode: a title card, then one key chart at a time at full width, for meetings.

The slide number is bound to the URL (`?slide=3`) like the filters, so a copied link reopens the same
slide with the same filters. Previous / Next also answer the ← and → keys.
"""

import dataclasses
import datetime

import streamlit as st

from kviz import filters, report, ui
from kviz.charts import catalogue
from kviz.charts.style import chart_config

SLIDE_KEY = "slide"
IMAGE_FORMAT_KEY = "image"
IMAGE_FORMATS = {"png": "PNG", "svg": "SVG"}
CHARTS = catalogue.PRESENTATION_CHARTS
SLIDE_COUNT = 1 + len(CHARTS)  # the title card, then one slide per chart

# Presenting starts without the sidebar. Streamlit keeps a sidebar the user opened or closed by hand.
st.set_page_config(initial_sidebar_state="collapsed")


def _step(by: int) -> None:
    """Previous / Next: move the bound slide number, staying on the first or last slide at the ends."""
    current = st.session_state.get(SLIDE_KEY, 1)
    st.session_state[SLIDE_KEY] = min(max(current + by, 1), SLIDE_COUNT)


def _title_card(view: ui.View, today: datetime.date) -> None:
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


def _chart_slide(view: ui.View, chart: catalogue.Chart, today: datetime.date, image_format: str) -> None:
    config = chart_config(chart.filename(view.state, today), image_format=image_format)
    st.plotly_chart(
        chart.figure(view.rows, view.state), width="stretch", theme=None, config=config, key=f"slide_{chart.key}"
    )


view = ui.page_view(report.TITLE, shows_findings=False)
today = datetime.date.today()
with st.container(horizontal=True, vertical_alignment="center"):
    st.button("Previous", icon=":material/arrow_back:", on_click=_step, args=(-1,), shortcut="Left")
    slide = st.pagination(SLIDE_COUNT, max_visible_pages=None, key=SLIDE_KEY, bind="query-params")
    st.button(
        "Next", icon=":material/arrow_forward:", icon_position="right", on_click=_step, args=(1,), shortcut="Right"
    )
    image_format = st.segmented_control(
        "Camera button saves", list(IMAGE_FORMATS), format_func=IMAGE_FORMATS.get, default="png", required=True,
        key=IMAGE_FORMAT_KEY, bind="query-params", label_visibility="collapsed",
        help="Image format of the chart's camera button: PNG (high resolution) or SVG (vector, for slides).",
    )
upcoming = f" · next: {CHARTS[slide - 1].title}" if slide < SLIDE_COUNT else ""
st.caption(f"Slide {slide} of {SLIDE_COUNT}{upcoming} · the ← and → keys move between slides")

if slide == 1:
    _title_card(view, today)
else:
    _chart_slide(view, CHARTS[slide - 2], today, image_format)
