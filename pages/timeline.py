"""Timeline: every dated publication on a time axis, then publications per year by vitamin K form."""

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

ui.chart(view, catalogue.PUBLICATIONS_PER_YEAR)
