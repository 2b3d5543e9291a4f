"""Evidence map: where the evidence is, by vitamin K form and outcome, and how much of it shows benefit."""

import streamlit as st

from kviz import ui
from kviz.charts import catalogue

view = ui.page_view(
    "Evidence map",
    "Each bubble is a vitamin K form and an outcome: its size is the number of publications, its colour the "
    "share of those with a direction of effect that show benefit. Click a bubble (or drag a box around "
    "several) to list the findings behind it.",
)
event = ui.chart(view, catalogue.EVIDENCE_MAP, key="map_chart", selectable=True)
selected = ui.selected_rows(event, view.rows, ("k_form", "outcome"))
if selected.empty:
    st.caption("Select a bubble to list its findings here.")
else:
    st.subheader(f"{len(selected):,} finding{'s' if len(selected) != 1 else ''} in the selection")
    ui.finding_cards(ui.findings_table(selected, key="map_findings"), "Select a row to read the finding in full.")
