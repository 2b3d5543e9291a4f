"""Timeline: every dated publication on a time axis, then (opened on request) publications per year by vitamin K
form."""

import streamlit as st

from kviz import schema, ui
from kviz.charts import catalogue

view = ui.page_view(
    "Timeline",
    "Each marker is one finding: colour shows the direction of effect, shape the study design. "
    "Click a marker (or drag a box around several) to read the finding in full below the chart.",
)
rows_by = ui.page_choice(
    "Rows", {axis: schema.VOCABULARIES[axis].title for axis in catalogue.TIMELINES}, key="y",
    help="Arrange the findings by what was measured or by study design.",
)
event = ui.chart(view, catalogue.TIMELINES[rows_by], key="timeline_chart", selectable=True)
selected = ui.selected_rows(event, view.rows, ("finding_id",))
ui.finding_cards(selected, "Select a marker to see that finding's details and links here.")

# Below a chart taller than the screen: built and sent only once opened (a lazy expander), and kept in the URL
# (?per_year=true) so a copied link opens it too.
with st.expander(catalogue.PUBLICATIONS_PER_YEAR.title, key="per_year", on_change="rerun",
                 bind="query-params", icon=":material/bar_chart:") as per_year:
    if per_year.open:
        ui.chart(view, catalogue.PUBLICATIONS_PER_YEAR)
