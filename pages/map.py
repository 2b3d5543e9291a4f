"""Evidence map: where the evidence is — and where it is not — by vitamin K form and outcome, optionally split by
vitamin D3 or design, with the direction of effect inside every cell."""

import streamlit as st

from kviz import stats, ui
from kviz.charts import catalogue, evidence_map

SPLITS = {"none": "No split", **{key: f"By {name.lower()}" for key, (name, _, _) in stats.MAP_SPLITS.items()}}

view = ui.page_view(
    "Evidence map",
    "Each cell is a vitamin K form and an outcome. Its bar grows with the number of publications (written beside "
    "it) and is split by direction of effect; a dash marks a cell with no publication at all. Click a bar (or drag "
    "a box around several) to list the findings behind it.",
)
split = ui.page_choice("Split rows", SPLITS, key="split_by",
                       help="A second dimension: vitamin D3 given (with, without, D3 only) or the kind of study.")
split = None if split == "none" else split
event = ui.chart(view, catalogue.EVIDENCE_MAP, key="map_chart", selectable=True, variant=(split,),
                 build=lambda: evidence_map.evidence_map(view.rows, view.caption, view.state.count_non_evidence, split))
counted, _ = stats.counted_rows(view.rows, view.state.count_non_evidence)
selected = ui.selected_rows(event, counted.assign(group=stats.split_groups(counted, split)), ("k_form", "outcome", "group"))
if selected.empty:
    st.caption("Select a bar to list its findings here.")
else:
    st.subheader(f"{len(selected):,} finding{'s' if len(selected) != 1 else ''} in the selection")
    ui.finding_cards(ui.findings_table(selected, key="map_findings"), "Select a row to read the finding in full.")
