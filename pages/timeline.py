"""Timeline: every dated publication on a time axis, then publications per year by vitamin K form."""

from kviz import figures, schema, ui

view = ui.page_view(
    "Timeline",
    "Each marker is one finding: colour shows the direction of effect, shape the study design. "
    "Click a marker (or drag a box around several) to read the finding in full below the chart.",
)
rows_by = ui.page_choice(
    "Rows", {axis: schema.VOCABULARIES[axis].title for axis in figures.TIMELINE_AXES}, key="y",
    help="Arrange the findings by what was measured or by study design.",
)
event = ui.chart(
    view, figures.timeline(view.rows, y=rows_by, subtitle=view.caption), f"timeline-by-{rows_by}",
    key="timeline_chart", selectable=True,
)
selected = ui.selected_rows(event, view.rows, ("finding_id",))
ui.finding_cards(selected, "Select a marker to see that finding's details and links here.")

ui.chart(view, figures.publications_per_year(view.rows, subtitle=view.caption), "publications-per-year")
