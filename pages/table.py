"""Evidence table: the filtered findings, a detail card for the selected row, and the CSV downloads."""

import datetime

import streamlit as st

from kviz import export, ui

view = ui.page_view(
    "Evidence table",
    "Every finding that matches the filters, with readable labels. DOI and source links open in a new tab. "
    "Select a row to read it in full; download exactly these rows as CSV.",
)
today = datetime.date.today()
with st.container(horizontal=True):  # files are written on click: a large table costs nothing until then
    st.download_button(
        "Download CSV", lambda: export.csv_bytes(view.rows), export.export_filename(view.state, today),
        mime="text/csv", icon=":material/download:", type="primary", on_click="ignore",
        help="UTF-8, every column of the data dictionary, only the filtered rows.",
    )
    st.download_button(
        "Download CSV for Excel", lambda: export.csv_bytes(view.rows, excel=True),
        export.export_filename(view.state, today, excel=True), mime="text/csv", icon=":material/download:",
        on_click="ignore", help="The same file with a byte-order mark, so Excel reads accents and µ correctly.",
    )
selected = ui.findings_table(view.rows, key="findings_table", max_height=640)
ui.finding_cards(selected, "Select a row (the box at its left) to see the finding's details and links here.")
