"""Effect sizes: each finding's estimate with its 95% CI, and exploratory pooled estimates by vitamin K form, D3 or
design, for one outcome and measure at a time."""

import pandas as pd
import streamlit as st

from kviz import effect_sizes, meta_analysis, schema, ui
from kviz.charts import catalogue, forest

view = ui.page_view(
    "Effect sizes",
    "How big, and how sure? Each square is one finding's estimate with its 95% confidence interval, turned so that "
    "every result compares vitamin K (or more of it) with its comparator. Diamonds pool findings that measure the "
    "same thing at the same site — **exploratory**: the studies differ in people, doses, durations and quality. "
    "Click a square to read the finding.",
)
options = meta_analysis.analyses(view.findings)  # choices from all findings, so a link stays valid under any filter
if options.empty:
    st.info("No finding in the data reports an estimate with its 95% CI.", icon=":material/info:")
    st.stop()
choices = {f"{row.outcome}:{row.measure}": (row.outcome, row.measure) for row in options.itertuples()}
reported = meta_analysis.analyses(view.rows)  # what the filtered findings report
# First shown: what the filtered findings report most (sidebar "Fracture" opens on a fracture measure).
default = ":".join(meta_analysis.first_analysis(reported) or meta_analysis.first_analysis(options))


def _choice_label(choice: str) -> str:
    outcome, measure = choices[choice]
    return f"{schema.OUTCOME.label(outcome)} · {schema.MEASURE.label(measure)}"


with st.container(horizontal=True, vertical_alignment="bottom"):
    chosen = st.selectbox(
        "Outcome and measure", list(choices), index=list(choices).index(default), format_func=_choice_label,
        key="analysis", bind="query-params", help="Only estimates of one outcome and one measure are compared.",
    )
    by = ui.page_choice("Group by", meta_analysis.GROUPINGS, key="by",
                        help="Subgroups get their own pooled diamond; trials and observational studies never mix.")
    method = ui.page_choice("Pooling", meta_analysis.METHODS, key="method",
                            help="How the between-study variance τ² is estimated (random effects).")
outcome, measure = choices[chosen]
with st.container(horizontal=True):
    exclude_flagged = st.toggle("Pool without retracted or questioned studies", key="no_flagged", bind="query-params")
    exclude_open_label = st.toggle("Pool without open-label trials", key="no_open", bind="query-params")

choices_made = (outcome, measure, by, method, exclude_flagged, exclude_open_label)
analysis = ui.shared_result(
    view, catalogue.FOREST_PLOT, variant=choices_made,
    build=lambda: meta_analysis.analyse(view.rows, outcome, measure, by, method, exclude_flagged=exclude_flagged,
                                        exclude_open_label=exclude_open_label),
)
if analysis.rows.empty and not reported.empty:
    st.info("No finding under these filters reports this measure. They report: " + "; ".join(
        f"{_choice_label(f'{row.outcome}:{row.measure}')} ({row.findings})" for row in reported.itertuples()
    ) + ".", icon=":material/info:")
event = ui.chart(view, catalogue.FOREST_PLOT, key="forest_chart", selectable=True, variant=choices_made,
                 build=lambda: forest.forest_plot(analysis, view.caption))
ui.finding_cards(ui.selected_rows(event, view.rows, ("finding_id",)), "Select a square to read that finding here.")

st.header("Pooled estimates (exploratory)", divider="gray")
table = analysis.table
if table.empty:
    st.caption("Nothing to pool: no site has two or more comparable findings under these filters and switches.")
else:
    st.dataframe(
        table.rename(columns={"site": "Site", "subgroup": "Subgroup"}), hide_index=True, width="stretch",
        column_config={
            "k": st.column_config.NumberColumn("Studies (k)"),
            "estimate": st.column_config.NumberColumn(schema.MEASURE.label(measure), format="%.3g"),
            "ci_low": st.column_config.NumberColumn("95% CI low", format="%.3g"),
            "ci_high": st.column_config.NumberColumn("95% CI high", format="%.3g"),
            "tau2": st.column_config.NumberColumn("τ²", format="%.3g",
                                                  help="Between-study variance (log scale for ratios)."),
            "i2": st.column_config.NumberColumn("I² (%)", format="%.0f",
                                                help="Share of the variation beyond chance (Higgins)."),
            "method": st.column_config.TextColumn("Method"),
        },
    )
    st.caption("The same numbers as `python -m kviz pool` with these filters and choices.")

not_pooled = analysis.not_pooled
if not not_pooled.empty:
    st.subheader(f"{len(not_pooled)} finding{'s' if len(not_pooled) != 1 else ''} shown but not pooled")
    st.dataframe(
        pd.DataFrame({
            "Finding": not_pooled["headline"],
            "Site": not_pooled["site"],
            "Estimate (95% CI)": [effect_sizes.effect_text(row) for _, row in not_pooled.iterrows()],
            "Why not pooled": not_pooled["not_pooled"],
        }),
        hide_index=True, width="stretch",
        column_config={"Finding": st.column_config.TextColumn(width="large"),
                       "Why not pooled": st.column_config.TextColumn(width="large")},
    )

st.header("Read this before quoting a number", divider="gray")
st.markdown(
    "- **Exploratory.** Pooling here is a quick look across published results, not a systematic review's "
    "meta-analysis: no risk-of-bias weighting, no check of overlapping participants, and results taken from "
    "abstracts.\n"
    "- **Like with like only.** Estimates are pooled only for the same outcome, measure, site and unit, one per "
    "study and subgroup (the study's first row in the file; its other rows are listed above). Ratios are pooled "
    "on the log scale. Trials and observational studies are pooled apart; published meta-analyses are shown as "
    "published, never pooled again; vitamin D-only comparisons are never pooled.\n"
    "- **Direction.** Results printed as less vs more vitamin K are turned round (1 / ratio or minus the "
    "difference) and the hover says so. Ratios are risks of adverse events: below 1 favours vitamin K. "
    "Differences are in something better when higher: above 0 favours vitamin K.\n"
    "- **τ² and I²** describe how much the studies disagree; with two or three studies they are very uncertain. "
    "A negative DerSimonian–Laird τ² is taken as 0, as its authors defined it.\n"
    "- **Integrity.** Retracted (✕) and questioned (⚠) studies are marked; the switches above pool without them "
    "and without open-label trials."
)
