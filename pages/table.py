"""Evidence table: the filtered findings, newest first, a detail card for the clicked row, and the CSV downloads."""

import datetime

import streamlit as st

from kviz import export, ui

view = ui.page_view(
    "Evidence table",
    "Every finding that matches the filters, newest first, with readable labels. DOI and source links open in a "
    "new tab. Click a row to read it in full; download exactly these rows as CSV.",
)
today = datetime.date.today()
with st.container(horizontal=True, vertical_alignment="bottom"):  # files are written on click: a large table costs nothing until then
    st.download_button(
        "Download CSV", lambda: export.csv_bytes(view.rows), export.export_filename(view.state, today),
        mime="text/csv", icon=":material/download:", type="primary", on_click="ignore",
        help="UTF-8, every column of the data dictionary, only the filtered rows: it loads back into kviz.",
    )
    st.download_button(
        "Download CSV for Excel", lambda: export.csv_bytes(view.rows, excel=True),
        export.export_filename(view.state, today, excel=True), mime="text/csv", icon=":material/download:",
        on_click="ignore", help="The same file with a byte-order mark, so Excel reads accents and µ correctly.",
    )
    st.download_button(
        "Download CSV with labels", lambda: export.labelled_csv_bytes(view.rows),
        export.export_filename(view.state, today, labelled=True), mime="text/csv", icon=":material/download:",
        on_click="ignore", help="The words the app shows (e.g. 'K2 as MK-7', 'Randomised trial') and column titles "
        "instead of codes, newest first, with the effect as text; for reading and sharing, not for loading back.",
    )
    with st.popover("Columns", icon=":material/view_column:"):
        columns = ui.column_chooser()
selected = ui.findings_table(view.rows, key="findings_table", max_height=640, columns=columns)
ui.finding_cards(selected, "Click a row to see the finding's details and links here.")
