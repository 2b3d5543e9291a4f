"""kviz dashboard frame: page setup, navigation, the shared sidebar filters, then the chosen page.

Run with `streamlit run app.py`. Every page reads the filtered findings from `kviz.ui.page_view()`.
"""

from pathlib import Path

import streamlit as st

from kviz import ui

ICON = str(Path(__file__).parent / "assets" / "kviz-icon.png")  # the browser tab's icon, served by the app itself

PRESENTATION = st.Page("pages/presentation.py", title="Presentation")
# One line per page: script and title; the first page is the default (/). No page icons: Streamlit would fetch a
# Material icon as the tab's icon from an outside font host, and a meeting room may have no internet. A page's URL
# path is its file name (pages/timeline.py -> /timeline): keep them equal, or a shared link opened first on a
# fresh server hits Streamlit's old pages/ routing by file name and shows "Page not found" (see kviz.ui.page).
PAGES = [
    st.Page("pages/overview.py", title="Overview", default=True),
    st.Page("pages/timeline.py", title="Timeline"),
    st.Page("pages/effects.py", title="Effect directions"),
    st.Page("pages/effect_sizes.py", title="Effect sizes"),
    st.Page("pages/map.py", title="Evidence map"),
    st.Page("pages/table.py", title="Evidence table"),
    PRESENTATION,
    st.Page("pages/data.py", title="Data"),
    st.Page("pages/about.py", title="About & method"),
]

page = st.navigation(PAGES)
# One page config per run, chosen with the page: the Presentation keeps the sidebar closed however its slides are
# stepped (a second call on the page itself made the sidebar flicker open on every rerun).
st.set_page_config(
    page_title="kviz · Vitamin K evidence",
    page_icon=ICON,
    layout="wide",
    initial_sidebar_state="collapsed" if page.url_path == PRESENTATION.url_path else "expanded",
)
if ui.build_view() is None:
    st.stop()  # the load problems are on screen; no page can run without data
page.run()
